package peersim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	fgid "github.com/hyperledger/fabric-gateway/pkg/identity"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// gatewayUser is what a fabric-gateway application loads from an MSP
// folder the peer wrote: the identity and its signer.
type gatewayUser struct {
	id   *fgid.X509Identity
	sign fgid.Sign
}

func loadGatewayUser(t testing.TB, n *testNet, name string) gatewayUser {
	t.Helper()
	return loadOrgGatewayUser(t, n.p.Org(), name)
}

// loadOrgGatewayUser is loadGatewayUser for a user of org.
func loadOrgGatewayUser(t testing.TB, org *identity.Org, name string) gatewayUser {
	t.Helper()
	dir := filepath.Join(org.UserDir(name), "msp")
	only := func(sub string) []byte {
		t.Helper()
		files, err := filepath.Glob(filepath.Join(dir, sub, "*"))
		if err != nil || len(files) != 1 {
			t.Fatalf("want one file in %s/%s, found %v (%v)", dir, sub, files, err)
		}
		b, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cert, err := fgid.CertificateFromPEM(only("signcerts"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := fgid.NewX509Identity(org.MSPID(), cert)
	if err != nil {
		t.Fatal(err)
	}
	key, err := fgid.PrivateKeyFromPEM(only("keystore"))
	if err != nil {
		t.Fatal(err)
	}
	sign, err := fgid.NewPrivateKeySign(key)
	if err != nil {
		t.Fatal(err)
	}
	return gatewayUser{id: id, sign: sign}
}

// gatewayNet is a development-mode peer with chaincode mycc instantiated
// on mychannel and a fabric-gateway connection for User1, as an
// application opens one.
func gatewayNet(t *testing.T) (*testNet, *client.Gateway, gatewayUser) {
	t.Helper()
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "mycc", "1.0")
	n.startCC(t, "mycc:1.0", newTestCC())
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
	u := loadGatewayUser(t, n, "User1")
	gw, err := client.Connect(u.id, client.WithSign(u.sign), client.WithClientConnection(n.client))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	return n, gw, u
}

func TestGatewaySubmitEvaluateAndCommitStatus(t *testing.T) {
	_, gw, _ := gatewayNet(t)
	contract := gw.GetNetwork(DefaultChannel).GetContract("mycc")
	if _, err := contract.SubmitTransaction("put", "k", "v1"); err != nil {
		t.Fatalf("SubmitTransaction put: %v", err)
	}
	got, err := contract.EvaluateTransaction("get", "k")
	if err != nil {
		t.Fatalf("EvaluateTransaction get: %v", err)
	}
	if string(got) != "v1" {
		t.Errorf("get k = %q, want v1", got)
	}
	// The async flow: the result arrives before the commit, whose status
	// names the block.
	result, commit, err := contract.SubmitAsync("put", client.WithArguments("k", "v2"))
	if err != nil {
		t.Fatalf("SubmitAsync: %v", err)
	}
	if len(result) != 0 {
		t.Errorf("put result = %q, want empty", result)
	}
	st, err := commit.Status()
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if !st.Successful || st.Code != peer.TxValidationCode_VALID || st.TransactionID != commit.TransactionID() || st.BlockNumber == 0 {
		t.Errorf("status = %+v, want a successful VALID commit of %s in a block after the genesis block", st, commit.TransactionID())
	}
}

func TestGatewayErrorsAsFabricGives(t *testing.T) {
	_, gw, _ := gatewayNet(t)
	contract := gw.GetNetwork(DefaultChannel).GetContract("mycc")
	tests := []struct {
		name     string
		call     func() error
		wantCode codes.Code
		wantMsg  string // in the status message
		detail   string // in the one ErrorDetail; "" for none
		as       func(error) bool
	}{
		{name: "a chaincode error fails the endorsement with its message",
			call:     func() error { _, err := contract.SubmitTransaction("fail"); return err },
			wantCode: codes.Aborted, wantMsg: "failed to endorse transaction, see attached details for more info", detail: "asked to fail",
			as: func(err error) bool { var e *client.EndorseError; return errors.As(err, &e) }},
		{name: "a chaincode error fails an evaluation, its message in the detail",
			call:     func() error { _, err := contract.EvaluateTransaction("fail"); return err },
			wantCode: codes.Aborted, wantMsg: "failed to evaluate transaction, see attached details for more info", detail: "asked to fail"},
		{name: "a chaincode the channel does not define has no peers to evaluate it",
			call: func() error {
				_, err := gw.GetNetwork(DefaultChannel).GetContract("nosuchcc").EvaluateTransaction("get", "k")
				return err
			},
			wantCode: codes.FailedPrecondition, wantMsg: "no peers available to evaluate chaincode nosuchcc in channel mychannel"},
		{name: "a chaincode the channel does not define has no endorsement plan",
			call: func() error {
				_, err := gw.GetNetwork(DefaultChannel).GetContract("nosuchcc").SubmitTransaction("put", "k", "v")
				return err
			},
			wantCode: codes.FailedPrecondition, wantMsg: "no combination of peers can be derived which satisfy the endorsement policy: No metadata was found for chaincode nosuchcc in channel mychannel"},
		{name: "endorsing for the peer's organisation by name collects its endorsement",
			call: func() error {
				_, err := contract.Submit("fail", client.WithEndorsingOrganizations("Org1MSP"))
				return err
			},
			wantCode: codes.Aborted, wantMsg: "failed to collect enough transaction endorsements, see attached details for more info", detail: "asked to fail"},
		{name: "a 4xx chaincode status reaches the application with its status and message",
			call:     func() error { _, err := contract.EvaluateTransaction("notfound"); return err },
			wantCode: codes.Unknown, wantMsg: "chaincode response 404, no such thing", detail: "chaincode response 404, no such thing"},
		{name: "a channel the peer does not have is named, with the fix",
			call: func() error {
				_, err := gw.GetNetwork("nochannel").GetContract("mycc").EvaluateTransaction("get", "k")
				return err
			},
			wantCode: codes.Unavailable, wantMsg: "failed to get config for channel [nochannel]: channel nochannel not found: this peer's channels are mychannel; create one with `peersim channel create -c nochannel`"},
		{name: "an organisation the peer does not know has no endorsers",
			call: func() error {
				_, err := contract.Submit("put", client.WithArguments("k", "v"), client.WithEndorsingOrganizations("Org2MSP"))
				return err
			},
			wantCode: codes.Unavailable, wantMsg: "failed to find any endorsing peers for org(s): Org2MSP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("call succeeded, want an error")
			}
			st := status.Convert(err)
			if st.Code() != tt.wantCode || !strings.Contains(st.Message(), tt.wantMsg) {
				t.Fatalf("status = %s %q, want %s containing %q", st.Code(), st.Message(), tt.wantCode, tt.wantMsg)
			}
			var details []string
			for _, d := range st.Details() {
				if ed, ok := d.(*gp.ErrorDetail); ok {
					details = append(details, ed.GetMspId()+": "+ed.GetMessage())
					if ed.GetAddress() == "" {
						t.Errorf("error detail %q names no address", ed.GetMessage())
					}
				}
			}
			switch {
			case tt.detail == "" && len(details) != 0:
				t.Errorf("details = %q, want none", details)
			case tt.detail != "" && (len(details) != 1 || !strings.Contains(details[0], "Org1MSP: ") || !strings.Contains(details[0], tt.detail)):
				t.Errorf("details = %q, want one from Org1MSP containing %q", details, tt.detail)
			}
			if tt.as != nil && !tt.as(err) {
				t.Errorf("error %T does not match the client's error type", err)
			}
		})
	}
}

func TestGatewayCommitErrorCarriesTheValidationCode(t *testing.T) {
	_, gw, _ := gatewayNet(t)
	contract := gw.GetNetwork(DefaultChannel).GetContract("mycc")
	// Two increments endorsed on the same state: the second to commit
	// read a version the first changed.
	var txs []*client.Transaction
	for range 2 {
		p, err := contract.NewProposal("incr", client.WithArguments("n"))
		if err != nil {
			t.Fatal(err)
		}
		tx, err := p.Endorse()
		if err != nil {
			t.Fatalf("Endorse: %v", err)
		}
		txs = append(txs, tx)
	}
	var codes []peer.TxValidationCode
	for _, tx := range txs {
		commit, err := tx.Submit()
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		st, err := commit.Status()
		if err != nil {
			t.Fatalf("Status: %v", err)
		}
		codes = append(codes, st.Code)
	}
	if codes[0] != peer.TxValidationCode_VALID || codes[1] != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Fatalf("codes = %v, want [VALID MVCC_READ_CONFLICT]", codes)
	}
	// SubmitTransaction reports the same as a CommitError.
	p, err := contract.NewProposal("incr", client.WithArguments("n"))
	if err != nil {
		t.Fatal(err)
	}
	stale, err := p.Endorse()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := contract.SubmitTransaction("incr", "n"); err != nil {
		t.Fatal(err)
	}
	commit, err := stale.Submit()
	if err != nil {
		t.Fatal(err)
	}
	st, err := commit.Status()
	if err != nil || st.Successful || st.Code != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Fatalf("stale commit status = %+v, %v; want unsuccessful MVCC_READ_CONFLICT", st, err)
	}
}

func TestGatewayOfflineSigning(t *testing.T) {
	n, _, u := gatewayNet(t)
	gw, err := client.Connect(u.id, client.WithClientConnection(n.client)) // no signer: the application signs
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	contract := gw.GetNetwork(DefaultChannel).GetContract("mycc")
	bytesOf := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sign := func(digest []byte) []byte {
		t.Helper()
		sig, err := u.sign(digest)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	unsigned, err := contract.NewProposal("put", client.WithArguments("offline", "yes"))
	if err != nil {
		t.Fatal(err)
	}
	proposal, err := gw.NewSignedProposal(bytesOf(unsigned.Bytes()), sign(unsigned.Digest()))
	if err != nil {
		t.Fatal(err)
	}
	unsignedTx, err := proposal.Endorse()
	if err != nil {
		t.Fatalf("Endorse: %v", err)
	}
	tx, err := gw.NewSignedTransaction(bytesOf(unsignedTx.Bytes()), sign(unsignedTx.Digest()))
	if err != nil {
		t.Fatal(err)
	}
	unsignedCommit, err := tx.Submit()
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	commit, err := gw.NewSignedCommit(bytesOf(unsignedCommit.Bytes()), sign(unsignedCommit.Digest()))
	if err != nil {
		t.Fatal(err)
	}
	st, err := commit.Status()
	if err != nil || !st.Successful {
		t.Fatalf("Status = %+v, %v; want a successful commit", st, err)
	}
	// A proposal whose signature does not verify is refused before it is
	// simulated: FailedPrecondition, as Fabric's gateway answers its
	// endorser's pre-process failures.
	probe, err := contract.NewProposal("get", client.WithArguments("offline"))
	if err != nil {
		t.Fatal(err)
	}
	forged := sign(probe.Digest())
	forged[len(forged)-1] ^= 1
	bad, err := gw.NewSignedProposal(bytesOf(probe.Bytes()), forged)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Evaluate()
	if st := status.Convert(err); st.Code() != codes.FailedPrecondition || !strings.Contains(st.Message(), "evaluate call to endorser returned error: ") {
		t.Errorf("evaluate of a forged proposal = %s %q, want FailedPrecondition from the endorser", st.Code(), st.Message())
	}
	// An unsigned proposal is refused by the peer, not sent unsigned.
	if _, err := contract.EvaluateTransaction("get", "offline"); err == nil {
		t.Error("evaluate without a signer succeeded, want the client's missing-signature error")
	}
}

func TestGatewayChaincodeEvents(t *testing.T) {
	_, gw, _ := gatewayNet(t)
	network := gw.GetNetwork(DefaultChannel)
	contract := network.GetContract("mycc")
	var txIDs []string
	for _, k := range []string{"a", "b", "c"} {
		_, commit, err := contract.SubmitAsync("put", client.WithArguments(k, "v"))
		if err != nil {
			t.Fatal(err)
		}
		if st, err := commit.Status(); err != nil || !st.Successful {
			t.Fatalf("put %s: %+v, %v", k, st, err)
		}
		txIDs = append(txIDs, commit.TransactionID())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	read := func(t *testing.T, events <-chan *client.ChaincodeEvent, n int) []string {
		t.Helper()
		var got []string
		for range n {
			ev, ok := <-events
			if !ok {
				t.Fatalf("events ended after %v", got)
			}
			if ev.ChaincodeName != "mycc" || ev.EventName != "put" {
				t.Errorf("event = %+v, want mycc's put", ev)
			}
			got = append(got, string(ev.Payload))
		}
		return got
	}
	t.Run("from block 0 replays every event", func(t *testing.T) {
		events, err := network.ChaincodeEvents(ctx, "mycc", client.WithStartBlock(0))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(read(t, events, 3), ","); got != "a,b,c" {
			t.Errorf("events = %s, want a,b,c", got)
		}
	})
	t.Run("a checkpoint resumes after its transaction", func(t *testing.T) {
		cp := new(client.InMemoryCheckpointer)
		cp.CheckpointTransaction(1, txIDs[0]) // block number is informational once a txid is set
		events, err := network.ChaincodeEvents(ctx, "mycc", client.WithCheckpoint(cp))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(read(t, events, 2), ","); got != "b,c" {
			t.Errorf("events = %s, want b,c", got)
		}
	})
	t.Run("by default only new commits are delivered", func(t *testing.T) {
		events, err := network.ChaincodeEvents(ctx, "mycc")
		if err != nil {
			t.Fatal(err)
		}
		// The call returns before the gateway has read the request, so
		// which new commit is the first delivered is not known: commit
		// until one arrives. None of a, b and c may, they came before.
		for i := range 1000 {
			if _, err := contract.SubmitTransaction("put", fmt.Sprintf("new%d", i), "v"); err != nil {
				t.Fatal(err)
			}
			select {
			case ev := <-events:
				if !strings.HasPrefix(string(ev.Payload), "new") {
					t.Fatalf("first event = %q, want one committed after the call", ev.Payload)
				}
				return
			default: // not delivered yet: commit another
			}
		}
		t.Fatal("1000 commits after the call and no event delivered")
	})
}
