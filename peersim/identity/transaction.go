package identity

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// NewTransaction assembles the unsigned transaction envelope for a
// proposal and its endorsed responses, as Fabric's clients and its Gateway
// do:
//
//	Envelope{Payload: Payload{Header: the proposal's header,
//	    Data: Transaction{Actions: [TransactionAction{Header: the proposal's signature header,
//	        Payload: ChaincodeActionPayload{
//	            ChaincodeProposalPayload: the proposal's payload without its transient map,
//	            Action: ChaincodeEndorsedAction{ProposalResponsePayload: the first response's payload,
//	                Endorsements: one per distinct endorser, in response order}}}]}}}
//
// Every response must be successful (status in [200, 400)) and all response
// payloads must be byte-for-byte equal. The proposal's creator signs the
// payload bytes into Envelope.Signature.
func NewTransaction(prop *peer.Proposal, resps ...*peer.ProposalResponse) (*common.Envelope, *common.SignatureHeader, error) {
	if prop == nil {
		return nil, nil, errors.New("assemble transaction: the proposal is nil")
	}
	if len(resps) == 0 {
		return nil, nil, errors.New("assemble transaction: no proposal responses: endorse the proposal first")
	}
	hdr := &common.Header{}
	if err := proto.Unmarshal(prop.GetHeader(), hdr); err != nil {
		return nil, nil, fmt.Errorf("assemble transaction: unmarshal proposal header: %w", err)
	}
	sigHdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(hdr.GetSignatureHeader(), sigHdr); err != nil {
		return nil, nil, fmt.Errorf("assemble transaction: unmarshal signature header: %w", err)
	}
	ccPayload := &peer.ChaincodeProposalPayload{}
	if err := proto.Unmarshal(prop.GetPayload(), ccPayload); err != nil {
		return nil, nil, fmt.Errorf("assemble transaction: unmarshal chaincode proposal payload: %w", err)
	}

	var endorsements []*peer.Endorsement
	seen := make(map[string]bool)
	for i, r := range resps {
		if r == nil || r.GetResponse() == nil {
			return nil, nil, fmt.Errorf("assemble transaction: proposal response %d has no response", i)
		}
		if st := r.GetResponse().GetStatus(); st < 200 || st >= 400 {
			return nil, nil, fmt.Errorf("assemble transaction: proposal response %d was not successful: status %d: %s", i, st, r.GetResponse().GetMessage())
		}
		if i > 0 && !bytes.Equal(r.GetPayload(), resps[0].GetPayload()) {
			return nil, nil, fmt.Errorf("assemble transaction: the payload of proposal response %d differs from the first: the endorsers simulated different results", i)
		}
		e := r.GetEndorsement()
		if e == nil || seen[string(e.GetEndorser())] {
			continue
		}
		seen[string(e.GetEndorser())] = true
		endorsements = append(endorsements, e)
	}
	if len(endorsements) == 0 {
		return nil, nil, errors.New("assemble transaction: the proposal responses carry no endorsement")
	}

	// The transaction keeps the proposal's input but never its transient map.
	txPropPayload, err := proto.Marshal(&peer.ChaincodeProposalPayload{Input: ccPayload.GetInput()})
	if err != nil {
		return nil, nil, fmt.Errorf("assemble transaction: marshal chaincode proposal payload: %w", err)
	}
	actionPayload, err := proto.Marshal(&peer.ChaincodeActionPayload{
		ChaincodeProposalPayload: txPropPayload,
		Action: &peer.ChaincodeEndorsedAction{
			ProposalResponsePayload: resps[0].GetPayload(),
			Endorsements:            endorsements,
		},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("assemble transaction: marshal chaincode action payload: %w", err)
	}
	tx, err := proto.Marshal(&peer.Transaction{Actions: []*peer.TransactionAction{{
		Header:  hdr.GetSignatureHeader(),
		Payload: actionPayload,
	}}})
	if err != nil {
		return nil, nil, fmt.Errorf("assemble transaction: marshal transaction: %w", err)
	}
	payload, err := proto.Marshal(&common.Payload{Header: hdr, Data: tx})
	if err != nil {
		return nil, nil, fmt.Errorf("assemble transaction: marshal payload: %w", err)
	}
	return &common.Envelope{Payload: payload}, sigHdr, nil
}
