// Command application is a Fabric application for the assettransfer
// chaincode, written with Fabric's fabric-gateway client exactly as it
// would be for a real network: it connects to a peer's Gateway service
// with an identity from an MSP folder and
//
//  1. listens to the chaincode's events from the current block, keeping a
//     checkpoint of what it has processed;
//  2. submits InitLedger, evaluates GetAllAssets, submits CreateAsset,
//     submits TransferAsset asynchronously and waits for its commit status,
//     and evaluates ReadAsset;
//  3. provokes an endorsement error (a transfer of an asset that does not
//     exist) and prints what the client's error carries;
//  4. provokes an MVCC read conflict (two transfers of one asset endorsed
//     on the same state) and handles it as fabric-gateway's documentation
//     recommends: the commit error names the validation code, and the
//     transaction is retried from the endorsement, against the new state;
//  5. resumes the event stream from its checkpoint, so nothing is read
//     twice and nothing is missed.
//
// Usage (the identity must carry abac.creator=true to create assets):
//
//	peersim identity add appuser --attr abac.creator=true
//	go run ./samples/assettransfer/application -peer 127.0.0.1:7051 \
//	    -msp <data dir>/organizations/peerOrganizations/org1.example.com/users/appuser@org1.example.com/msp
//
// It exits 0 when every step behaved as described, 1 otherwise.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

type config struct {
	peer, mspID, mspDir, channel, chaincode string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.peer, "peer", "127.0.0.1:7051", "the peer's client address (its Gateway service)")
	flag.StringVar(&cfg.mspID, "mspid", "Org1MSP", "the identity's MSP ID")
	flag.StringVar(&cfg.mspDir, "msp", "", "the identity's MSP folder (signcerts/ and keystore/), required")
	flag.StringVar(&cfg.channel, "channel", "mychannel", "the channel")
	flag.StringVar(&cfg.chaincode, "chaincode", "assettransfer", "the chaincode's name")
	flag.Parse()
	if cfg.mspDir == "" {
		fmt.Fprintln(os.Stderr, "application: -msp is required: the MSP folder of an identity allowed to create assets, e.g. one made with `peersim identity add appuser --attr abac.creator=true`")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "application:", err)
		os.Exit(1)
	}
}

// run is the whole application; it writes what it does to out.
func run(ctx context.Context, cfg config, out io.Writer) error {
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	id, sign, err := loadIdentity(cfg.mspID, cfg.mspDir)
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient(cfg.peer, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("connect to %s: %w", cfg.peer, err)
	}
	defer conn.Close()
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn),
		client.WithEvaluateTimeout(30*time.Second), client.WithEndorseTimeout(time.Minute),
		client.WithSubmitTimeout(30*time.Second), client.WithCommitStatusTimeout(time.Minute))
	if err != nil {
		return fmt.Errorf("connect to the gateway: %w", err)
	}
	defer gw.Close()
	network := gw.GetNetwork(cfg.channel)
	contract := network.GetContract(cfg.chaincode)
	say("connected to %s as %s, channel %s, chaincode %s", cfg.peer, cfg.mspID, cfg.channel, cfg.chaincode)

	// 1. Events from the current block on, checkpointed as processed.
	height, err := chainHeight(network, cfg.channel)
	if err != nil {
		return err
	}
	checkpoint := new(client.InMemoryCheckpointer)
	evCtx, stopEvents := context.WithCancel(ctx)
	events, err := network.ChaincodeEvents(evCtx, cfg.chaincode, client.WithStartBlock(height))
	if err != nil {
		stopEvents()
		return fmt.Errorf("listen to events: %w", err)
	}
	say("listening to %s's events from block %d", cfg.chaincode, height)

	// 2. The asset life cycle.
	if _, err := contract.SubmitTransaction("InitLedger"); err != nil {
		stopEvents()
		return explain("InitLedger", err)
	}
	say("InitLedger committed")
	all, err := contract.EvaluateTransaction("GetAllAssets")
	if err != nil {
		stopEvents()
		return explain("GetAllAssets", err)
	}
	say("GetAllAssets: %s", all)

	assetID := fmt.Sprintf("asset%d", time.Now().UnixNano())
	_, created, err := contract.SubmitAsync("CreateAsset", client.WithArguments(assetID, "yellow", "5", "1300"))
	if err == nil {
		err = committed(created)
	}
	if err != nil {
		stopEvents()
		return explain("CreateAsset", err)
	}
	say("CreateAsset %s committed", assetID)

	_, commit, err := contract.SubmitAsync("TransferAsset", client.WithArguments(assetID, "Alice", cfg.mspID))
	if err != nil {
		stopEvents()
		return explain("TransferAsset", err)
	}
	say("TransferAsset %s to Alice submitted as %s; waiting for its commit", assetID, commit.TransactionID())
	st, err := commit.Status()
	if err != nil {
		stopEvents()
		return explain("TransferAsset commit status", err)
	}
	if !st.Successful {
		stopEvents()
		return fmt.Errorf("TransferAsset %s: transaction %s committed invalid: %s", assetID, st.TransactionID, st.Code)
	}
	say("TransferAsset committed in block %d: %s", st.BlockNumber, st.Code)
	asset, err := contract.EvaluateTransaction("ReadAsset", assetID)
	if err != nil {
		stopEvents()
		return explain("ReadAsset", err)
	}
	say("ReadAsset %s: %s", assetID, asset)

	// 3. An endorsement error, as the client reports it.
	_, err = contract.SubmitTransaction("TransferAsset", "no-such-asset", "Alice", cfg.mspID)
	var endorseErr *client.EndorseError
	if !errors.As(err, &endorseErr) {
		stopEvents()
		return fmt.Errorf("TransferAsset of an asset that does not exist: got %v, want an endorsement error", err)
	}
	say("TransferAsset no-such-asset failed to endorse, as it should: %s", describe(err))

	// 4. An MVCC read conflict, handled by retrying from the endorsement.
	bobTx, err := conflict(contract, assetID+"-c", cfg.mspID, say)
	if err != nil {
		stopEvents()
		return err
	}

	// The events of the valid transactions above (InitLedger's too, when
	// it created assets), each checkpointed once processed. Invalid and
	// refused transactions emit none.
	want := []string{created.TransactionID(), commit.TransactionID(), bobTx}
	var last *client.ChaincodeEvent
	for len(want) > 0 {
		ev, err := nextEvent(ctx, events)
		if err != nil {
			stopEvents()
			return err
		}
		say("event %s in block %d (transaction %s)", ev.EventName, ev.BlockNumber, ev.TransactionID)
		if ev.TransactionID == want[0] {
			want = want[1:]
		}
		checkpoint.CheckpointChaincodeEvent(ev)
		last = ev
	}
	stopEvents()

	// 5. Resume from the checkpoint: the next event is the next one, not a
	// replay.
	resumed, err := network.ChaincodeEvents(ctx, cfg.chaincode, client.WithCheckpoint(checkpoint))
	if err != nil {
		return fmt.Errorf("resume events: %w", err)
	}
	say("resuming events after transaction %s", checkpoint.TransactionID())
	if _, err := contract.SubmitTransaction("CreateAsset", assetID+"-b", "purple", "3", "700"); err != nil {
		return explain("CreateAsset", err)
	}
	ev, err := nextEvent(ctx, resumed)
	if err != nil {
		return err
	}
	if ev.TransactionID == last.TransactionID || ev.EventName != "AssetCreated" {
		return fmt.Errorf("resumed stream delivered %s of %s, want the new AssetCreated", ev.EventName, ev.TransactionID)
	}
	say("resumed stream delivered %s in block %d, nothing replayed", ev.EventName, ev.BlockNumber)
	say("all steps done")
	return nil
}

// conflict endorses two transfers of assetID on the same state and submits
// both: the second commits MVCC_READ_CONFLICT. The recommended handling is
// to run the transaction again from its endorsement, which evaluates it on
// the new state (here the asset has changed hands, so the retry is refused
// by the chaincode, which is the right answer).
// It creates assetID first, and returns the id of the transfer that
// committed.
func conflict(contract *client.Contract, assetID, mspID string, say func(string, ...any)) (string, error) {
	if _, err := contract.SubmitTransaction("CreateAsset", assetID, "white", "2", "100"); err != nil {
		return "", explain("CreateAsset", err)
	}
	var txs []*client.Transaction
	for _, owner := range []string{"Bob", "Carol"} {
		p, err := contract.NewProposal("TransferAsset", client.WithArguments(assetID, owner, mspID))
		if err != nil {
			return "", err
		}
		tx, err := p.Endorse()
		if err != nil {
			return "", explain("TransferAsset to "+owner, err)
		}
		txs = append(txs, tx)
	}
	say("endorsed two transfers of %s (to Bob and to Carol) on the same state", assetID)
	var statuses []*client.Status
	for _, tx := range txs {
		commit, err := tx.Submit()
		if err != nil {
			return "", explain("submit", err)
		}
		st, err := commit.Status()
		if err != nil {
			return "", explain("commit status", err)
		}
		statuses = append(statuses, st)
	}
	if !statuses[0].Successful || statuses[1].Code != peer.TxValidationCode_MVCC_READ_CONFLICT {
		return "", fmt.Errorf("two transfers endorsed on the same state committed %s and %s, want VALID and MVCC_READ_CONFLICT", statuses[0].Code, statuses[1].Code)
	}
	say("the first committed %s, the second %s", statuses[0].Code, statuses[1].Code)
	// SubmitTransaction reports the same conflict as a *client.CommitError;
	// either way the answer is to endorse again.
	_, err := contract.SubmitTransaction("TransferAsset", assetID, "Carol", mspID)
	var endorseErr *client.EndorseError
	if !errors.As(err, &endorseErr) {
		return "", fmt.Errorf("retried transfer to Carol: got %v, want the chaincode's refusal on the new state", err)
	}
	say("retried the transfer to Carol on the new state: refused, since Bob owns it now: %s", describe(err))
	return txs[0].TransactionID(), nil
}

// committed waits for commit and turns an invalid one into an error.
func committed(commit *client.Commit) error {
	st, err := commit.Status()
	if err != nil {
		return err
	}
	if !st.Successful {
		return fmt.Errorf("transaction %s committed invalid: %s", st.TransactionID, st.Code)
	}
	return nil
}

// chainHeight reads the channel's height through qscc, as an application
// that wants to replay from "now" does.
func chainHeight(network *client.Network, channel string) (uint64, error) {
	raw, err := network.GetContract("qscc").EvaluateTransaction("GetChainInfo", channel)
	if err != nil {
		return 0, explain("qscc GetChainInfo", err)
	}
	info := &common.BlockchainInfo{}
	if err := proto.Unmarshal(raw, info); err != nil {
		return 0, fmt.Errorf("decode the chain info of %s: %w", channel, err)
	}
	return info.GetHeight(), nil
}

func nextEvent(ctx context.Context, events <-chan *client.ChaincodeEvent) (*client.ChaincodeEvent, error) {
	select {
	case ev, ok := <-events:
		if !ok {
			return nil, errors.New("the event stream ended")
		}
		return ev, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for an event: %w", ctx.Err())
	}
}

// explain wraps a client error with what was being done and what the
// error carries.
func explain(what string, err error) error {
	return fmt.Errorf("%s: %s: %w", what, describe(err), err)
}

// describe says which of fabric-gateway's errors err is, with its gRPC
// status and the details each endorser or orderer gave.
func describe(err error) string {
	kind := "error"
	var (
		endorseErr *client.EndorseError
		submitErr  *client.SubmitError
		statusErr  *client.CommitStatusError
		commitErr  *client.CommitError
	)
	switch {
	case errors.As(err, &endorseErr):
		kind = "EndorseError (transaction " + endorseErr.TransactionID + ")"
	case errors.As(err, &submitErr):
		kind = "SubmitError (transaction " + submitErr.TransactionID + ")"
	case errors.As(err, &statusErr):
		kind = "CommitStatusError (transaction " + statusErr.TransactionID + ")"
	case errors.As(err, &commitErr):
		return fmt.Sprintf("CommitError: transaction %s committed %s", commitErr.TransactionID, commitErr.Code)
	}
	st := status.Convert(err)
	s := fmt.Sprintf("%s: %s %q", kind, st.Code(), st.Message())
	for _, d := range st.Details() {
		if ed, ok := d.(*gp.ErrorDetail); ok {
			s += fmt.Sprintf("; %s (%s): %s", ed.GetAddress(), ed.GetMspId(), ed.GetMessage())
		}
	}
	return s
}

// loadIdentity reads the certificate and private key of an MSP folder.
func loadIdentity(mspID, dir string) (*identity.X509Identity, identity.Sign, error) {
	certPEM, err := onlyFile(filepath.Join(dir, "signcerts"))
	if err != nil {
		return nil, nil, err
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("certificate in %s: %w", dir, err)
	}
	id, err := identity.NewX509Identity(mspID, cert)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := onlyFile(filepath.Join(dir, "keystore"))
	if err != nil {
		return nil, nil, err
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("private key in %s: %w", dir, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, err
	}
	return id, sign, nil
}

// onlyFile reads the one file in dir.
func onlyFile(dir string) ([]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read MSP folder: %w", err)
	}
	if len(entries) != 1 {
		return nil, fmt.Errorf("%s holds %d files, want exactly one", dir, len(entries))
	}
	return os.ReadFile(filepath.Join(dir, entries[0].Name()))
}
