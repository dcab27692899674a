package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// NonceSize is the length of the random nonce in a proposal's signature
// header (Fabric's clients use 24 bytes).
const NonceSize = 24

// NewNonce returns NonceSize random bytes.
func NewNonce() ([]byte, error) {
	nonce := make([]byte, NonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("generate nonce: %w", err)
	}
	return nonce, nil
}

// ComputeTxID returns the transaction ID Fabric requires for a nonce and a
// creator: hex(SHA-256(nonce ‖ creator)).
func ComputeTxID(nonce, creator []byte) string {
	h := sha256.New()
	h.Write(nonce)
	h.Write(creator)
	return hex.EncodeToString(h.Sum(nil))
}

// Invocation describes a chaincode call to propose.
type Invocation struct {
	// ChannelID is the channel, e.g. mychannel.
	ChannelID string
	// Chaincode is the chaincode name.
	Chaincode string
	// Version is the chaincode version; optional (the legacy lifecycle's
	// peer CLI leaves it empty on invoke).
	Version string
	// Type is the chaincode language in the spec; the peer CLI sends GOLANG
	// by default, the Gateway client leaves it UNDEFINED.
	Type peer.ChaincodeSpec_Type
	// Args are the function name followed by its arguments.
	Args [][]byte
	// Transient is the transient map: passed to the chaincode, never
	// recorded in the transaction.
	Transient map[string][]byte
	// IsInit marks a call to the chaincode's Init (new lifecycle --isInit).
	IsInit bool
	// Nonce is the nonce to use; nil draws a fresh random one.
	Nonce []byte
	// Timestamp is the client timestamp; zero means now.
	Timestamp time.Time
}

// Validate checks the fields a proposal needs.
func (inv Invocation) Validate() error {
	if inv.Chaincode == "" {
		return fmt.Errorf("invocation: Chaincode is empty: name the chaincode to call")
	}
	if inv.Nonce != nil && len(inv.Nonce) == 0 {
		return fmt.Errorf("invocation: Nonce is empty: leave it nil for a random one")
	}
	return nil
}

// NewProposal builds the unsigned proposal for inv as Fabric's clients do:
// ChannelHeader{ENDORSER_TRANSACTION, txid, timestamp, channel, extension =
// ChaincodeHeaderExtension}, SignatureHeader{creator, nonce}, payload =
// ChaincodeProposalPayload{input = ChaincodeInvocationSpec, transient map}.
// It returns the proposal and its txid.
func (s *SigningIdentity) NewProposal(inv Invocation) (*peer.Proposal, string, error) {
	if err := inv.Validate(); err != nil {
		return nil, "", err
	}
	nonce, ts := inv.Nonce, inv.Timestamp
	if s.seq != nil && (nonce == nil || ts.IsZero()) {
		seqNonce, seqTime := s.seq.next()
		if nonce == nil {
			nonce = seqNonce
		}
		if ts.IsZero() {
			ts = seqTime
		}
	}
	if nonce == nil {
		var err error
		if nonce, err = NewNonce(); err != nil {
			return nil, "", err
		}
	}
	if ts.IsZero() {
		ts = time.Now()
	}
	ccID := &peer.ChaincodeID{Name: inv.Chaincode, Version: inv.Version}
	spec := &peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		Type:        inv.Type,
		ChaincodeId: ccID,
		Input:       &peer.ChaincodeInput{Args: inv.Args, IsInit: inv.IsInit},
	}}
	specBytes, err := proto.Marshal(spec)
	if err != nil {
		return nil, "", fmt.Errorf("marshal chaincode invocation spec for %s: %w", inv.Chaincode, err)
	}
	payload, err := proto.Marshal(&peer.ChaincodeProposalPayload{Input: specBytes, TransientMap: inv.Transient})
	if err != nil {
		return nil, "", fmt.Errorf("marshal chaincode proposal payload for %s: %w", inv.Chaincode, err)
	}
	ext, err := proto.Marshal(&peer.ChaincodeHeaderExtension{ChaincodeId: ccID})
	if err != nil {
		return nil, "", fmt.Errorf("marshal chaincode header extension for %s: %w", inv.Chaincode, err)
	}
	txID := ComputeTxID(nonce, s.creator)
	chdr, err := proto.Marshal(&common.ChannelHeader{
		Type:      int32(common.HeaderType_ENDORSER_TRANSACTION),
		ChannelId: inv.ChannelID,
		TxId:      txID,
		Timestamp: timestamppb.New(ts),
		Extension: ext,
	})
	if err != nil {
		return nil, "", fmt.Errorf("marshal channel header: %w", err)
	}
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: s.creator, Nonce: nonce})
	if err != nil {
		return nil, "", fmt.Errorf("marshal signature header: %w", err)
	}
	hdr, err := proto.Marshal(&common.Header{ChannelHeader: chdr, SignatureHeader: shdr})
	if err != nil {
		return nil, "", fmt.Errorf("marshal header: %w", err)
	}
	return &peer.Proposal{Header: hdr, Payload: payload}, txID, nil
}

// SignProposal marshals and signs a proposal.
func (s *SigningIdentity) SignProposal(prop *peer.Proposal) (*peer.SignedProposal, error) {
	b, err := proto.Marshal(prop)
	if err != nil {
		return nil, fmt.Errorf("marshal proposal: %w", err)
	}
	sig, err := s.Sign(b)
	if err != nil {
		return nil, fmt.Errorf("sign proposal: %w", err)
	}
	return &peer.SignedProposal{ProposalBytes: b, Signature: sig}, nil
}

// NewSignedProposal builds and signs the proposal for inv; it returns the
// signed proposal and its txid.
func (s *SigningIdentity) NewSignedProposal(inv Invocation) (*peer.SignedProposal, string, error) {
	prop, txID, err := s.NewProposal(inv)
	if err != nil {
		return nil, "", err
	}
	sp, err := s.SignProposal(prop)
	if err != nil {
		return nil, "", err
	}
	return sp, txID, nil
}

// Endorse signs a proposal response payload as an endorsing peer: the
// signature covers payload ‖ endorser identity.
func (s *SigningIdentity) Endorse(proposalResponsePayload []byte) (*peer.Endorsement, error) {
	e, _, err := s.endorse(proposalResponsePayload)
	return e, err
}

// VerifyEndorsement checks that an endorsement's endorser is a valid identity
// of a known MSP and that its signature covers proposalResponsePayload ‖
// endorser.
func (m *MSP) VerifyEndorsement(proposalResponsePayload []byte, e *peer.Endorsement) (*Identity, error) {
	if e == nil {
		return nil, fmt.Errorf("verify endorsement: endorsement is nil")
	}
	sd := EndorsementSignedData(proposalResponsePayload, e)
	id, err := m.Verify(sd.Identity, sd.Data, sd.Signature)
	if err != nil {
		return nil, fmt.Errorf("verify endorsement: %w", err)
	}
	return id, nil
}

// UnpackedProposal is a signed proposal taken apart.
type UnpackedProposal struct {
	SignedProposal  *peer.SignedProposal
	Proposal        *peer.Proposal
	ChannelHeader   *common.ChannelHeader
	SignatureHeader *common.SignatureHeader
	// ChaincodeID comes from the ChaincodeHeaderExtension.
	ChaincodeID *peer.ChaincodeID
	// Spec is the ChaincodeInvocationSpec's spec (chaincode id and input).
	Spec         *peer.ChaincodeSpec
	TransientMap map[string][]byte
	// ProposalHash is what a ProposalResponsePayload carries: SHA-256 of
	// channel header ‖ signature header ‖ payload without the transient map.
	ProposalHash []byte
	// Creator is set by MSP.ValidateProposal (nil after UnpackProposal).
	Creator *Identity
}

// ChannelID returns the channel the proposal is for.
func (u *UnpackedProposal) ChannelID() string { return u.ChannelHeader.GetChannelId() }

// TxID returns the proposal's transaction ID.
func (u *UnpackedProposal) TxID() string { return u.ChannelHeader.GetTxId() }

// Input returns the chaincode input (args, decorations, is_init).
func (u *UnpackedProposal) Input() *peer.ChaincodeInput { return u.Spec.GetInput() }

// UnpackProposal parses a signed proposal without checking signatures or the
// txid: the header must carry a channel header of type ENDORSER_TRANSACTION
// or CONFIG with a chaincode header extension naming a chaincode, and a
// signature header with creator and nonce; the payload must be a
// ChaincodeProposalPayload holding a ChaincodeInvocationSpec with an input.
func UnpackProposal(sp *peer.SignedProposal) (*UnpackedProposal, error) {
	if sp == nil || len(sp.ProposalBytes) == 0 {
		return nil, fmt.Errorf("%w: signed proposal has no proposal bytes", ErrInvalidProposal)
	}
	// The proposal's messages are allocated together, with the result
	// that holds them: one allocation instead of nine.
	m := &unpackedMessages{}
	prop := &m.prop
	if err := proto.Unmarshal(sp.ProposalBytes, prop); err != nil {
		return nil, fmt.Errorf("%w: error unmarshalling Proposal: %v", ErrInvalidProposal, err)
	}
	if len(prop.Header) == 0 {
		return nil, fmt.Errorf("%w: proposal header is nil", ErrInvalidProposal)
	}
	hdr := &m.hdr
	if err := proto.Unmarshal(prop.Header, hdr); err != nil {
		return nil, fmt.Errorf("%w: error unmarshalling Header: %v", ErrInvalidProposal, err)
	}
	chdr := &m.chdr
	if err := proto.Unmarshal(hdr.ChannelHeader, chdr); err != nil {
		return nil, fmt.Errorf("%w: error unmarshalling ChannelHeader: %v", ErrInvalidProposal, err)
	}
	shdr := &m.shdr
	if err := proto.Unmarshal(hdr.SignatureHeader, shdr); err != nil {
		return nil, fmt.Errorf("%w: error unmarshalling SignatureHeader: %v", ErrInvalidProposal, err)
	}
	switch common.HeaderType(chdr.Type) {
	case common.HeaderType_ENDORSER_TRANSACTION, common.HeaderType_CONFIG:
	default:
		return nil, fmt.Errorf("%w: invalid header type %s: a proposal must be ENDORSER_TRANSACTION or CONFIG", ErrInvalidProposal, common.HeaderType(chdr.Type))
	}
	if len(shdr.Nonce) == 0 {
		return nil, fmt.Errorf("%w: nonce is empty in the signature header", ErrInvalidProposal)
	}
	if len(shdr.Creator) == 0 {
		return nil, fmt.Errorf("%w: creator is empty in the signature header", ErrInvalidProposal)
	}
	ext := &m.ext
	if err := proto.Unmarshal(chdr.Extension, ext); err != nil {
		return nil, fmt.Errorf("%w: error unmarshalling ChaincodeHeaderExtension: %v", ErrInvalidProposal, err)
	}
	if ext.ChaincodeId == nil {
		return nil, fmt.Errorf("%w: ChaincodeHeaderExtension.ChaincodeId is nil", ErrInvalidProposal)
	}
	if ext.ChaincodeId.Name == "" {
		return nil, fmt.Errorf("%w: ChaincodeHeaderExtension.ChaincodeId.Name is empty", ErrInvalidProposal)
	}
	cpp := &m.cpp
	if err := proto.Unmarshal(prop.Payload, cpp); err != nil {
		return nil, fmt.Errorf("%w: error unmarshalling ChaincodeProposalPayload: %v", ErrInvalidProposal, err)
	}
	cis := &m.cis
	if err := proto.Unmarshal(cpp.Input, cis); err != nil {
		return nil, fmt.Errorf("%w: error unmarshalling ChaincodeInvocationSpec: %v", ErrInvalidProposal, err)
	}
	if cis.ChaincodeSpec == nil {
		return nil, fmt.Errorf("%w: chaincode invocation spec did not contain chaincode spec", ErrInvalidProposal)
	}
	if cis.ChaincodeSpec.Input == nil {
		return nil, fmt.Errorf("%w: chaincode input did not contain any input", ErrInvalidProposal)
	}
	m.up = UnpackedProposal{
		SignedProposal:  sp,
		Proposal:        prop,
		ChannelHeader:   chdr,
		SignatureHeader: shdr,
		ChaincodeID:     ext.ChaincodeId,
		Spec:            cis.ChaincodeSpec,
		TransientMap:    cpp.TransientMap,
		ProposalHash:    proposalHash(m.hash[:0], hdr, cpp),
	}
	return &m.up, nil
}

// unpackedMessages is an UnpackedProposal with the messages it was taken
// apart into, allocated as one.
type unpackedMessages struct {
	up   UnpackedProposal
	prop peer.Proposal
	hdr  common.Header
	chdr common.ChannelHeader
	shdr common.SignatureHeader
	ext  peer.ChaincodeHeaderExtension
	cpp  peer.ChaincodeProposalPayload
	cis  peer.ChaincodeInvocationSpec
	hash [sha256.Size]byte
}

// proposalHash appends to dst the hash an endorsement binds to: SHA-256 of
// the header bytes as signed and of the payload with the transient map
// removed. That payload, ChaincodeProposalPayload{Input: cpp.Input}, is
// hashed as protobuf encodes it (field 1, omitted when empty) without
// marshalling it.
func proposalHash(dst []byte, hdr *common.Header, cpp *peer.ChaincodeProposalPayload) []byte {
	h := sha256.New()
	h.Write(hdr.ChannelHeader)
	h.Write(hdr.SignatureHeader)
	if len(cpp.Input) > 0 {
		var prefix [1 + binary.MaxVarintLen64]byte
		field := protowire.AppendTag(prefix[:0], 1, protowire.BytesType)
		h.Write(protowire.AppendVarint(field, uint64(len(cpp.Input))))
		h.Write(cpp.Input)
	}
	return h.Sum(dst)
}

// ValidateProposal unpacks a signed proposal and checks what a Fabric
// endorser checks before simulating, in its order: header type, epoch 0,
// nonce and creator present, txid = hex(SHA-256(nonce ‖ creator)), a
// signature present, the creator deserializes to an identity of a known MSP
// that is valid (chains to its CA, not expired), and the signature over the
// proposal bytes is the creator's. Creator errors start with Fabric's
// client-visible words ("access denied: channel [ch] creator org [Org1MSP]")
// followed by the reason Fabric only logs. Replay (a txid already in the
// ledger) is not checked here: that is the ledger's and the peer's job.
func (m *MSP) ValidateProposal(sp *peer.SignedProposal) (*UnpackedProposal, error) {
	up, err := UnpackProposal(sp)
	if err != nil {
		return nil, err
	}
	if up.ChannelHeader.Epoch != 0 {
		return nil, fmt.Errorf("%w: epoch is non-zero (%d)", ErrInvalidProposal, up.ChannelHeader.Epoch)
	}
	if want := ComputeTxID(up.SignatureHeader.Nonce, up.SignatureHeader.Creator); up.TxID() != want {
		return nil, &TxIDError{Got: up.TxID(), Expected: want}
	}
	if len(sp.Signature) == 0 {
		return nil, fmt.Errorf("%w: empty signature bytes", ErrInvalidProposal)
	}
	creator, err := m.DeserializeIdentity(up.SignatureHeader.Creator)
	if err != nil {
		var sid msp.SerializedIdentity
		if proto.Unmarshal(up.SignatureHeader.Creator, &sid) != nil || errors.Is(err, ErrUnknownMSP) {
			return nil, fmt.Errorf("access denied: channel [%s] creator org unknown, creator is malformed: %w", up.ChannelID(), err)
		}
		return nil, fmt.Errorf("access denied: channel [%s] creator org [%s]: %w", up.ChannelID(), sid.Mspid, err)
	}
	if err := creator.Verify(sp.ProposalBytes, sp.Signature); err != nil {
		return nil, fmt.Errorf("access denied: channel [%s] creator org [%s]: the creator's signature over the proposal is not valid (creator %s, txid %s): %w",
			up.ChannelID(), creator.MSPID(), creator, up.TxID(), err)
	}
	up.Creator = creator
	return up, nil
}
