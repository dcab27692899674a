package endorser

import (
	"fmt"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
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
	ext, err := proto.Marshal(action)
	if err != nil {
		return nil, fmt.Errorf("failed to marshal chaincode action: %w", err)
	}
	prp, err := proto.Marshal(&peer.ProposalResponsePayload{ProposalHash: up.ProposalHash, Extension: ext})
	if err != nil {
		return nil, fmt.Errorf("failed to marshal proposal response payload: %w", err)
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
