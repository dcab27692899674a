package client

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// NewSignedTx assembles the transaction envelope for a proposal and its
// endorsed responses (see identity.NewTransaction for its shape) and signs
// it, as Fabric's clients do (protoutil.CreateSignedTx). The signer must be
// the proposal's creator.
func NewSignedTx(prop *peer.Proposal, signer Signer, resps ...*peer.ProposalResponse) (*common.Envelope, error) {
	if signer == nil {
		return nil, errors.New("assemble transaction: the signer is nil")
	}
	env, sigHdr, err := identity.NewTransaction(prop, resps...)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(sigHdr.GetCreator(), signer.Serialize()) {
		return nil, errors.New("assemble transaction: the signer is not the proposal's creator: sign with the identity that made the proposal")
	}
	if env.Signature, err = signer.Sign(env.GetPayload()); err != nil {
		return nil, fmt.Errorf("assemble transaction: sign: %w", err)
	}
	return env, nil
}
