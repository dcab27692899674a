package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"sync"
	"time"
)

// Deterministic makes an organisation reproducible (Config.Deterministic):
// created with the same Deterministic, it has the same keys, certificates
// and, for the same sequence of calls, the same proposals.
//
//   - Every private key is derived from Seed and the certificate's subject
//     (HMAC-SHA-256, retried until the value is a valid P-256 scalar, then
//     ecdsa.ParseRawPrivateKey), every serial number likewise, and every
//     validity starts from Time instead of the clock.
//   - The identities the Org returns draw each proposal's nonce and
//     timestamp from one counter shared by the Org: the nth proposal (from
//     0) has the nonce HMAC-SHA-256(Seed, "nonce" ‖ n)[:24], hence a txid
//     fixed by n and the creator, and the timestamp Time + n milliseconds.
//     An Invocation that sets its own Nonce or Timestamp keeps it.
//
// Signatures are deterministic whatever the configuration: the package
// signs with RFC 6979 (ecdsa.PrivateKey.Sign with a nil random source), so
// the same key and message always give the same signature.
type Deterministic struct {
	Seed []byte
	Time time.Time
}

func (d *Deterministic) mac(label string, n uint64) []byte {
	m := hmac.New(sha256.New, d.Seed)
	m.Write([]byte(label))
	m.Write(binary.BigEndian.AppendUint64(nil, n))
	return m.Sum(nil)
}

// key derives the P-256 key named label.
func (d *Deterministic) key(label string) (*ecdsa.PrivateKey, error) {
	for i := range uint64(64) {
		if k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d.mac("key/"+label, i)); err == nil {
			return k, nil
		}
	}
	// The odds of 64 values out of range are below 2^-2000.
	return nil, fmt.Errorf("derive key %s: no valid scalar", label)
}

// serial derives a 128-bit serial number for label.
func (d *Deterministic) serial(label string) *big.Int {
	return new(big.Int).SetBytes(d.mac("serial/"+label, 0)[:16])
}

// sequence hands out the nonces and timestamps of an Org's proposals.
type sequence struct {
	d  *Deterministic
	mu sync.Mutex
	n  uint64
}

func (s *sequence) next() ([]byte, time.Time) {
	s.mu.Lock()
	n := s.n
	s.n++
	s.mu.Unlock()
	return s.d.mac("nonce", n)[:NonceSize], s.d.Time.Add(time.Duration(n) * time.Millisecond)
}

// rfc6979Signer signs with a key deterministically, whatever random
// source x509.CreateCertificate passes it.
type rfc6979Signer struct{ key *ecdsa.PrivateKey }

func (s rfc6979Signer) Public() crypto.PublicKey { return &s.key.PublicKey }

func (s rfc6979Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.key.Sign(nil, digest, opts)
}
