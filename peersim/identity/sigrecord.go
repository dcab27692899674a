package identity

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/chaincodekit/chaincodekit/internal/bounded"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// DefaultSignatureRecordSize is how many verified signatures an MSP
// remembers unless WithSignatureRecord says otherwise: a few blocks' worth
// of transactions, each with its envelope and its endorsement.
const DefaultSignatureRecordSize = 4096

// signatureRecord remembers signatures known to be valid: ones that
// verified through the MSP, and endorsements this process made with its
// own key (SelfEndorser). Each is keyed by a SHA-256 over the signer's
// serialized identity, the digest of the signed message and the signature,
// each length-prefixed, so the same signature over other bytes, or by
// another identity, or other signature bytes miss and are verified in
// full. It holds no identity: whether the signer is still valid (its
// chain, its expiry) is checked on every use, through the identity cache.
// It is bounded and forgets the oldest entry first.
type signatureRecord = bounded.Map[[sha256.Size]byte, struct{}]

func newSignatureRecord(max int) *signatureRecord {
	return bounded.New[[sha256.Size]byte, struct{}](max)
}

// signatureKey identifies sig over the message whose SHA-256 is digest,
// by the identity serialized.
func signatureKey(serialized []byte, digest [sha256.Size]byte, sig []byte) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(serialized)))
	h.Write(n[:])
	h.Write(serialized)
	h.Write(digest[:])
	binary.BigEndian.PutUint64(n[:], uint64(len(sig)))
	h.Write(n[:])
	h.Write(sig)
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// recorded reports whether r holds signature key k.
func recorded(r *signatureRecord, k [sha256.Size]byte) bool {
	_, ok := r.Get(k)
	return ok
}

// record adds signature key k to r.
func record(r *signatureRecord, k [sha256.Size]byte) { r.AddIfAbsent(k, struct{}{}) }

// verifyBy checks sig over msg with the validated identity id, unless the
// MSP's record already holds that signature, and records it when it
// verifies.
func (m *MSP) verifyBy(id *Identity, msg, sig []byte) error {
	digest := sha256.Sum256(msg)
	k := signatureKey(id.serialized, digest, sig)
	if recorded(m.sigs, k) {
		return nil
	}
	if err := id.verifyDigest(digest, sig); err != nil {
		return err
	}
	record(m.sigs, k)
	return nil
}

// SelfEndorser signs proposal response payloads as its SigningIdentity's
// Endorse does and records each endorsement it makes in its MSP's signature
// record, so that validating a transaction this process endorsed does not
// verify the process's own signature again. An endorsement changed in any
// byte, or made by another identity, is not in the record and is verified
// in full. Make one with MSP.SelfEndorser.
type SelfEndorser struct {
	msp    *MSP
	signer *SigningIdentity
}

// SelfEndorser returns an endorser that signs with s and records what it
// signs in m.
func (m *MSP) SelfEndorser(s *SigningIdentity) *SelfEndorser {
	return &SelfEndorser{msp: m, signer: s}
}

// Endorse signs proposalResponsePayload ‖ endorser, as
// SigningIdentity.Endorse does, and records the signature.
func (e *SelfEndorser) Endorse(proposalResponsePayload []byte) (*peer.Endorsement, error) {
	en, digest, err := e.signer.endorse(proposalResponsePayload)
	if err != nil {
		return nil, err
	}
	// digest is SHA-256(payload ‖ endorser), what a verifier hashes from
	// EndorsementSignedData.
	record(e.msp.sigs, signatureKey(en.Endorser, digest, en.Signature))
	return en, nil
}
