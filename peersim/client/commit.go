package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
)

// Result is a committed transaction.
type Result struct {
	// TxID is the transaction ID.
	TxID string
	// Payload is the chaincode's response payload from endorsement.
	Payload []byte
	// Code is the validation code; always VALID when Submit returns no error.
	Code peer.TxValidationCode
	// BlockNumber is the block the transaction was committed in.
	BlockNumber uint64
}

// Submit endorses inv, assembles and signs the transaction, orders it and
// waits until the peer has committed it. With WithEndorsers the proposal is
// endorsed by each of those peers and the transaction carries all their
// endorsements. Before broadcasting it asks the peer for the channel's
// height (qscc GetChainInfo) and opens the DeliverFiltered stream from that
// block, so the commit cannot be missed however late the peer reads the seek
// request. (Fabric's peer CLI seeks from the newest block instead, which
// misses the commit if two blocks are cut before the peer handles the seek.)
// A transaction committed with a code other than VALID gives a
// *CommitError. The wait ends with ctx: give it a deadline.
func (c *Client) Submit(ctx context.Context, inv Invocation) (*Result, error) {
	prop, resps, txID, err := c.proposeForTx(ctx, inv)
	if err != nil {
		return nil, err
	}
	env, err := NewSignedTx(prop, c.signer, resps...)
	if err != nil {
		return nil, err
	}
	res, err := c.order(ctx, inv.ChannelID, txID, env)
	if err != nil {
		c.explain(ctx, inv.ChannelID, err)
		return nil, err
	}
	res.Payload = resps[0].GetResponse().GetPayload()
	return res, nil
}

// order broadcasts a signed transaction and waits for its validation code.
func (c *Client) order(ctx context.Context, channel, txID string, env *common.Envelope) (*Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the deliver stream on every path

	from, err := c.height(ctx, channel)
	if err != nil {
		return nil, err
	}
	events, err := c.openDeliver(ctx, channel, true, []SeekOption{WithStartBlock(from)})
	if err != nil {
		return nil, err
	}
	if err := c.broadcast(ctx, txID, env); err != nil {
		return nil, err
	}
	return c.waitForCommit(ctx, events, txID)
}

// height returns the number of blocks committed on channel, the number of
// the next block to be cut (qscc GetChainInfo).
func (c *Client) height(ctx context.Context, channel string) (uint64, error) {
	payload, err := c.Evaluate(ctx, systemCall("", QSCC, []byte("GetChainInfo"), []byte(channel)))
	if err != nil {
		return 0, fmt.Errorf("read the height of channel %s: %w", channel, err)
	}
	info := &common.BlockchainInfo{}
	if err := proto.Unmarshal(payload, info); err != nil {
		return 0, fmt.Errorf("read the height of channel %s: the peer %s answered with something other than a BlockchainInfo: %w", channel, c.address, err)
	}
	return info.GetHeight(), nil
}

// recvErr returns the stream's real error when Send fails with io.EOF (gRPC
// reports the status on Recv).
func recvErr(stream interface{ RecvMsg(any) error }, err error) error {
	if !errors.Is(err, io.EOF) {
		return err
	}
	if rerr := stream.RecvMsg(&peer.DeliverResponse{}); rerr != nil && !errors.Is(rerr, io.EOF) {
		return rerr
	}
	return err
}

func (c *Client) broadcast(ctx context.Context, txID string, env *common.Envelope) error {
	stream, err := c.broadcaster.Broadcast(ctx)
	if err != nil {
		return &SubmitError{TxID: txID, Err: c.transportError(ctx, "broadcast", err)}
	}
	if err := stream.Send(env); err != nil {
		if errors.Is(err, io.EOF) {
			if _, rerr := stream.Recv(); rerr != nil && !errors.Is(rerr, io.EOF) {
				err = rerr
			}
		}
		return &SubmitError{TxID: txID, Err: c.transportError(ctx, "broadcast", err)}
	}
	resp, err := stream.Recv()
	if err != nil {
		return &SubmitError{TxID: txID, Err: c.transportError(ctx, "broadcast", err)}
	}
	_ = stream.CloseSend()
	if resp.GetStatus() != common.Status_SUCCESS {
		return &SubmitError{TxID: txID, Status: resp.GetStatus(), Info: resp.GetInfo()}
	}
	return nil
}

func (c *Client) waitForCommit(ctx context.Context, events *deliverStream, txID string) (*Result, error) {
	for {
		fb, err := events.nextFiltered(ctx)
		if errors.Is(err, errSeekDone) {
			err = fmt.Errorf("the peer %s ended deliver before the transaction committed", c.address)
		}
		if err != nil {
			return nil, fmt.Errorf("wait for the commit of transaction %s: %w", txID, err)
		}
		for _, ftx := range fb.GetFilteredTransactions() {
			if ftx.GetTxid() != txID {
				continue
			}
			res := &Result{TxID: txID, Code: ftx.GetTxValidationCode(), BlockNumber: fb.GetNumber()}
			if res.Code != peer.TxValidationCode_VALID {
				return nil, &CommitError{TxID: txID, Code: res.Code, BlockNumber: res.BlockNumber, Reason: CodeReason(res.Code)}
			}
			return res, nil
		}
	}
}

// explain asks the peer why a transaction was invalidated (peersim's pscc
// "GetTxReason" channel txid, answering the validator's verdict, e.g. the
// key of an MVCC conflict) and puts the answer in the CommitError. A peer
// that cannot say (Fabric's, or an older peersim) leaves the code's generic
// explanation.
func (c *Client) explain(ctx context.Context, channel string, err error) {
	var ce *CommitError
	if !errors.As(err, &ce) || ctx.Err() != nil {
		return
	}
	reason, qerr := c.Evaluate(ctx, systemCall("", PSCC, []byte("GetTxReason"), []byte(channel), []byte(ce.TxID)))
	if qerr == nil && len(reason) > 0 {
		ce.Reason = string(reason)
	}
}

// NewSeekEnvelope builds the signed request that opens a Deliver or
// DeliverFiltered stream, as Fabric's clients do: a Payload whose channel
// header has type DELIVER_SEEK_INFO, version 0, epoch 0, the channel, a
// timestamp in whole seconds and the optional TLS certificate hash; whose
// signature header carries the signer and a fresh nonce; whose data is the
// marshalled SeekInfo; signed by signer.
func NewSeekEnvelope(signer Signer, channel string, seek *orderer.SeekInfo, tlsCertHash []byte) (*common.Envelope, error) {
	if signer == nil {
		return nil, errors.New("seek envelope: the signer is nil")
	}
	if seek == nil {
		return nil, errors.New("seek envelope: the seek info is nil")
	}
	nonce, err := identity.NewNonce()
	if err != nil {
		return nil, fmt.Errorf("seek envelope: %w", err)
	}
	chdr, err := proto.Marshal(&common.ChannelHeader{
		Type:        int32(common.HeaderType_DELIVER_SEEK_INFO),
		ChannelId:   channel,
		Timestamp:   &timestamppb.Timestamp{Seconds: time.Now().Unix()},
		TlsCertHash: tlsCertHash,
	})
	if err != nil {
		return nil, fmt.Errorf("seek envelope: marshal channel header: %w", err)
	}
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: signer.Serialize(), Nonce: nonce})
	if err != nil {
		return nil, fmt.Errorf("seek envelope: marshal signature header: %w", err)
	}
	data, err := proto.Marshal(seek)
	if err != nil {
		return nil, fmt.Errorf("seek envelope: marshal seek info: %w", err)
	}
	payload, err := proto.Marshal(&common.Payload{
		Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr},
		Data:   data,
	})
	if err != nil {
		return nil, fmt.Errorf("seek envelope: marshal payload: %w", err)
	}
	sig, err := signer.Sign(payload)
	if err != nil {
		return nil, fmt.Errorf("seek envelope: sign: %w", err)
	}
	return &common.Envelope{Payload: payload, Signature: sig}, nil
}
