package endorser

import (
	"fmt"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// endorse turns a chaincode's response into a ProposalResponse as Fabric's
// endorser does: status < 400 is endorsed, with the event; 400–499
// carries the response only; ≥ 500 the response and the payload with the
// read-write set, without endorsement. res may be nil (no simulation). It
// is the one place a response is signed; an endorsed result carries the
// ChaincodeInterest of its writes, and one with private writes hands them
// to l's transient store, for the commit.
func (e *Endorser) endorse(up *identity.UnpackedProposal, l *ledger.Ledger, ccID *peer.ChaincodeID, resp *peer.Response, res *ledger.SimulationResults, event *peer.ChaincodeEvent) (*peer.ProposalResponse, error) {
	if resp.GetStatus() >= 400 && resp.GetStatus() < 500 {
		return &peer.ProposalResponse{Version: 1, Response: resp}, nil
	}
	action := &peer.ChaincodeAction{Response: resp, ChaincodeId: ccID}
	if res != nil {
		b, err := res.PublicBytes()
		if err != nil {
			return nil, fmt.Errorf("failed to marshal simulation results: %w", err)
		}
		action.Results = b
	}
	if event != nil && resp.GetStatus() < 400 {
		b, err := proto.Marshal(event)
		if err != nil {
			return nil, fmt.Errorf("failed to marshal chaincode event: %w", err)
		}
		action.Events = b
	}
	prp, err := proposalResponsePayload(up.ProposalHash, action)
	if err != nil {
		return nil, err
	}
	if resp.GetStatus() >= 500 {
		return &peer.ProposalResponse{Version: 1, Response: resp, Payload: prp}, nil
	}
	if e.cfg.Disseminate && l != nil && res != nil && res.Private != nil {
		if err := l.CheckDissemination(e.cfg.PeerMSPID, res.Private); err != nil {
			return nil, fmt.Errorf("error in simulation: failed to distribute private collection, txID %s, channel %s: %w", up.TxID(), up.ChannelID(), err)
		}
	}
	var interest *peer.ChaincodeInterest
	if l != nil && res != nil {
		if interest, err = e.interest(up, l, res); err != nil {
			return nil, fmt.Errorf("failed to build chaincode interest: %w", err)
		}
		if len(interest.GetChaincodes()) == 0 {
			interest = nil
		}
	}
	endorsement, err := e.cfg.Signer.Endorse(prp)
	if err != nil {
		return nil, fmt.Errorf("failed to endorse: %w", err)
	}
	if l != nil && res != nil && res.Private != nil {
		l.PutTransient(up.TxID(), res.Private)
	}
	return &peer.ProposalResponse{Version: 1, Response: resp, Payload: prp, Endorsement: endorsement, Interest: interest}, nil
}

// proposalResponsePayload returns the marshalled
// ProposalResponsePayload{ProposalHash: hash, Extension: marshalled action}
// in one allocation: the action is marshalled straight into the payload,
// after the field header its size makes, rather than into bytes of its
// own that the payload then copies. The bytes are those of marshalling the
// action, then the payload.
func proposalResponsePayload(hash []byte, action *peer.ChaincodeAction) ([]byte, error) {
	size := proto.Size(action)
	n := 0
	if len(hash) > 0 {
		n += protowire.SizeTag(1) + protowire.SizeBytes(len(hash))
	}
	if size > 0 {
		n += protowire.SizeTag(2) + protowire.SizeBytes(size)
	}
	prp := make([]byte, 0, n)
	if len(hash) > 0 {
		prp = protowire.AppendTag(prp, 1, protowire.BytesType)
		prp = protowire.AppendBytes(prp, hash)
	}
	if size == 0 {
		return prp, nil
	}
	prp = protowire.AppendTag(prp, 2, protowire.BytesType)
	prp = protowire.AppendVarint(prp, uint64(size))
	start := len(prp)
	prp, err := proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(prp, action)
	if err != nil {
		return nil, fmt.Errorf("failed to marshal chaincode action: %w", err)
	}
	if len(prp)-start != size {
		return nil, fmt.Errorf("failed to marshal chaincode action: %d bytes, its size was %d", len(prp)-start, size)
	}
	return prp, nil
}
