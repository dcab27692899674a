package ccsupport

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Execute runs one INIT or TRANSACTION and composes Fabric's error texts:
// "transaction returned with failure: <ERROR payload>" or "failed to
// execute transaction <txid>: <cause>". With Config.OrgInstance, an
// ex.CCID that names a package (lscc's name:version) runs on the
// organisation's own process of it (see runAs).
func (s *Support) Execute(ctx context.Context, ex syscc.Execution) (*peer.Response, *peer.ChaincodeEvent, error) {
	ex.CCID = s.runAs(ex.CCID)
	typ := peer.ChaincodeMessage_TRANSACTION
	if ex.Init {
		typ = peer.ChaincodeMessage_INIT
	}
	if s.cfg.Gate != nil {
		leave, err := s.cfg.Gate.enter(ctx, ex.ChannelID, ex.TxID)
		if err != nil {
			return nil, nil, fmt.Errorf("failed to execute transaction %s on %s: waiting for another organisation's execution of it: %w", ex.TxID, ex.CCID, err)
		}
		defer leave()
	}
	start := time.Now()
	msg, err := s.cfg.Server.Execute(ctx, ex.CCID, chaincode.ExecuteRequest{
		Type: typ, ChannelID: ex.ChannelID, TxID: ex.TxID, Namespace: ex.Namespace,
		Input: ex.Input, SignedProposal: ex.SignedProposal, Simulator: txSimulator{ex.Simulator},
	})
	s.cfg.Executed(ex.CCID, typ.String(), err == nil && msg.GetType() == peer.ChaincodeMessage_COMPLETED,
		errors.Is(err, chaincode.ErrExecuteTimeout), time.Since(start))
	if err != nil {
		return nil, nil, fmt.Errorf("failed to execute transaction %s: %w", ex.TxID, err)
	}
	switch msg.GetType() {
	case peer.ChaincodeMessage_COMPLETED:
		resp := &peer.Response{}
		if err := proto.Unmarshal(msg.GetPayload(), resp); err != nil {
			return nil, nil, fmt.Errorf("failed to execute transaction %s: decode chaincode response: %w", ex.TxID, err)
		}
		return resp, msg.GetChaincodeEvent(), nil
	case peer.ChaincodeMessage_ERROR:
		return nil, nil, fmt.Errorf("transaction returned with failure: %s", msg.GetPayload())
	}
	return nil, nil, fmt.Errorf("failed to execute transaction %s: unexpected message type %s from chaincode %s", ex.TxID, msg.GetType(), ex.CCID)
}
