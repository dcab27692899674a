package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// SigningIdentity is an X.509 identity with its private key: what a Fabric
// client or peer signs with.
type SigningIdentity struct {
	mspID   string
	certPEM []byte
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	creator []byte // marshalled msp.SerializedIdentity
	// seq, when set, gives proposals their nonces and timestamps
	// (Deterministic).
	seq *sequence
}

// NewSigningIdentity builds a signing identity from a PEM certificate and a
// PEM (PKCS#8 or SEC 1) ECDSA private key that belongs to it.
func NewSigningIdentity(mspID string, certPEM, keyPEM []byte) (*SigningIdentity, error) {
	if mspID == "" {
		return nil, fmt.Errorf("new signing identity: msp id is empty")
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("new signing identity for %s: %w", mspID, err)
	}
	key, err := parseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("new signing identity %q: %w", cert.Subject.CommonName, err)
	}
	return newSigningIdentity(mspID, certPEM, cert, key)
}

func newSigningIdentity(mspID string, certPEM []byte, cert *x509.Certificate, key *ecdsa.PrivateKey) (*SigningIdentity, error) {
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("signing identity %q: private key does not match the certificate's public key", cert.Subject.CommonName)
	}
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: certPEM})
	if err != nil {
		return nil, fmt.Errorf("serialize identity %q: %w", cert.Subject.CommonName, err)
	}
	return &SigningIdentity{mspID: mspID, certPEM: certPEM, cert: cert, key: key, creator: creator}, nil
}

// MSPID returns the identity's MSP ID, e.g. Org1MSP.
func (s *SigningIdentity) MSPID() string { return s.mspID }

// Name returns the certificate's common name, e.g. User1@org1.example.com.
func (s *SigningIdentity) Name() string { return s.cert.Subject.CommonName }

// Certificate returns the parsed certificate.
func (s *SigningIdentity) Certificate() *x509.Certificate { return s.cert }

// CertificatePEM returns the certificate exactly as it is serialized.
func (s *SigningIdentity) CertificatePEM() []byte { return append([]byte(nil), s.certPEM...) }

// PrivateKey returns the identity's private key (e.g. for a TLS client).
func (s *SigningIdentity) PrivateKey() *ecdsa.PrivateKey { return s.key }

// Serialize returns the marshalled msp.SerializedIdentity{Mspid, IdBytes: PEM}:
// the creator of a proposal and the endorser of an endorsement.
func (s *SigningIdentity) Serialize() []byte { return append([]byte(nil), s.creator...) }

// Sign signs SHA-256(msg) with ECDSA and returns the ASN.1 DER signature with
// S in its low form, as Fabric's BCCSP produces and requires.
func (s *SigningIdentity) Sign(msg []byte) ([]byte, error) {
	digest := sha256.Sum256(msg)
	return signDigest(s.key, digest[:])
}

// endorse signs proposalResponsePayload ‖ creator, as Endorse does, and
// also returns the digest it signed. The digest is hashed from the two
// parts in turn: the concatenation is never built.
func (s *SigningIdentity) endorse(proposalResponsePayload []byte) (*peer.Endorsement, [sha256.Size]byte, error) {
	var digest [sha256.Size]byte
	h := sha256.New()
	h.Write(proposalResponsePayload)
	h.Write(s.creator)
	h.Sum(digest[:0])
	sig, err := signDigest(s.key, digest[:])
	if err != nil {
		return nil, digest, fmt.Errorf("endorse: %w", err)
	}
	return &peer.Endorsement{Endorser: s.Serialize(), Signature: sig}, digest, nil
}

type ecdsaSignature struct {
	R, S *big.Int
}

// signDigest signs deterministically (RFC 6979): Fabric verifies any
// valid ECDSA signature, and the same transaction then has the same bytes
// from run to run (see Deterministic).
func signDigest(key *ecdsa.PrivateKey, digest []byte) ([]byte, error) {
	der, err := key.Sign(nil, digest, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("ecdsa sign: %w", err)
	}
	// The standard library's DER is minimal, as asn1.Marshal's is: a low S
	// needs no re-encoding, and a high one only its S replaced.
	if r, sv, ok := splitSignature(der); ok {
		half := halfOrder(key.Curve)
		high := new(big.Int).SetBytes(sv)
		if high.Cmp(half) <= 0 {
			return der, nil
		}
		return appendSignature(make([]byte, 0, len(der)+1), r, high.Sub(key.Curve.Params().N, high).Bytes()), nil
	}
	var parsed ecdsaSignature
	if _, err := asn1.Unmarshal(der, &parsed); err != nil {
		return nil, fmt.Errorf("ecdsa sign: decode signature: %w", err)
	}
	r, sv := parsed.R, parsed.S
	half := halfOrder(key.Curve)
	if sv.Cmp(half) > 0 {
		sv = new(big.Int).Sub(key.Curve.Params().N, sv)
	}
	sig, err := asn1.Marshal(ecdsaSignature{R: r, S: sv})
	if err != nil {
		return nil, fmt.Errorf("encode signature: %w", err)
	}
	return sig, nil
}

// splitSignature returns the contents of the two INTEGERs of a DER
// SEQUENCE { r INTEGER, s INTEGER } whose lengths all fit in one byte, as
// the standard library encodes a P-256 signature; ok is false for any other
// shape, and for integers that are negative or not minimally encoded.
func splitSignature(der []byte) (r, s []byte, ok bool) {
	if len(der) < 2 || der[0] != 0x30 || der[1] >= 0x80 || int(der[1]) != len(der)-2 {
		return nil, nil, false
	}
	rest := der[2:]
	if r, rest, ok = splitInteger(rest); !ok {
		return nil, nil, false
	}
	if s, rest, ok = splitInteger(rest); !ok || len(rest) != 0 {
		return nil, nil, false
	}
	return r, s, true
}

// splitInteger reads one minimally encoded, non-negative DER INTEGER with
// a one-byte length from the front of b.
func splitInteger(b []byte) (content, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != 0x02 || b[1] == 0 || b[1] >= 0x80 || int(b[1]) > len(b)-2 {
		return nil, nil, false
	}
	content, rest = b[2:2+int(b[1])], b[2+int(b[1]):]
	switch {
	case content[0]&0x80 != 0: // negative
		return nil, nil, false
	case len(content) > 1 && content[0] == 0 && content[1]&0x80 == 0: // not minimal
		return nil, nil, false
	}
	return content, rest, true
}

// appendSignature appends the DER SEQUENCE { r INTEGER, s INTEGER } to b:
// r is an INTEGER's contents as splitInteger returns them, s the
// big-endian bytes of a positive number. It encodes as asn1.Marshal of
// ecdsaSignature does.
func appendSignature(b, r, s []byte) []byte {
	sLen := len(s)
	if s[0]&0x80 != 0 {
		sLen++
	}
	b = append(b, 0x30, byte(2+len(r)+2+sLen), 0x02, byte(len(r)))
	b = append(b, r...)
	b = append(b, 0x02, byte(sLen))
	if sLen > len(s) {
		b = append(b, 0)
	}
	return append(b, s...)
}

func halfOrder(c elliptic.Curve) *big.Int {
	return new(big.Int).Rsh(c.Params().N, 1)
}

// verifySignature checks an ASN.1 DER ECDSA signature over a SHA-256 digest,
// refusing high-S signatures as Fabric does.
func verifySignature(pub *ecdsa.PublicKey, digest [sha256.Size]byte, sig []byte) error {
	var es ecdsaSignature
	rest, err := asn1.Unmarshal(sig, &es)
	if err != nil {
		return fmt.Errorf("%w: not an ASN.1 DER ECDSA signature: %v", ErrInvalidSignature, err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %d trailing bytes after the ASN.1 signature", ErrInvalidSignature, len(rest))
	}
	if es.R == nil || es.S == nil || es.R.Sign() <= 0 || es.S.Sign() <= 0 {
		return fmt.Errorf("%w: R and S must be positive", ErrInvalidSignature)
	}
	if half := halfOrder(pub.Curve); es.S.Cmp(half) > 0 {
		return fmt.Errorf("%w: S is not low (must be smaller than half the curve order, as Fabric's BCCSP requires)", ErrInvalidSignature)
	}
	if !ecdsa.Verify(pub, digest[:], es.R, es.S) {
		return fmt.Errorf("%w: the signature does not verify against the certificate's public key", ErrInvalidSignature)
	}
	return nil
}
