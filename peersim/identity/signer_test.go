package identity

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/asn1"
	"fmt"
	"math/big"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// lowSByReencoding is how signDigest made a signature low-S before it
// learnt to keep the standard library's DER: decode, replace a high S,
// encode again. The tests hold the new encoding to it byte for byte.
func lowSByReencoding(t *testing.T, der []byte, n *big.Int) []byte {
	t.Helper()
	var es ecdsaSignature
	if _, err := asn1.Unmarshal(der, &es); err != nil {
		t.Fatal(err)
	}
	if es.S.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		es.S = new(big.Int).Sub(n, es.S)
	}
	b, err := asn1.Marshal(es)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignDigestEncodesAsTheASN1RoundTrip(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	key := org.Peer().PrivateKey()
	n := key.Curve.Params().N
	var high, low int
	for i := range 200 {
		digest := sha256.Sum256(fmt.Appendf(nil, "message %d", i))
		der, err := key.Sign(nil, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		want := lowSByReencoding(t, der, n)
		if bytes.Equal(want, der) {
			low++
		} else {
			high++
		}
		got, err := signDigest(key, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("digest %d: signDigest = %x, want %x (the ASN.1 round trip of %x)", i, got, want, der)
		}
	}
	if high == 0 || low == 0 {
		t.Fatalf("%d high-S and %d low-S signatures: the test must see both", high, low)
	}
}

func TestSplitSignatureRefusesWhatItDoesNotKnow(t *testing.T) {
	tests := []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"not a sequence", []byte{0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}},
		{"sequence length wrong", []byte{0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}},
		{"long-form length", []byte{0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}},
		{"one integer", []byte{0x30, 0x03, 0x02, 0x01, 0x01}},
		{"trailing bytes", []byte{0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00}},
		{"empty integer", []byte{0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x01}},
		{"negative r", []byte{0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01}},
		{"non-minimal s", []byte{0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x01}},
		{"integer beyond the end", []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x05, 0x01}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, s, ok := splitSignature(tt.der); ok {
				t.Fatalf("splitSignature(%x) = %x, %x, true; want false", tt.der, r, s)
			}
		})
	}
	if r, s, ok := splitSignature([]byte{0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x01}); !ok || !bytes.Equal(r, []byte{0x00, 0x80}) || !bytes.Equal(s, []byte{0x01}) {
		t.Fatalf("a positive r with its sign byte: splitSignature = %x, %x, %v", r, s, ok)
	}
}

func TestSelfEndorserRecordsWhatAVerifierLooksUp(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	m := mustMSP(t, []MSPConfig{org.MSPConfig()})
	se := m.SelfEndorser(org.Peer())
	payloads := [][]byte{[]byte("first payload"), []byte("second, longer payload")}
	var ends []*peer.Endorsement
	for _, prp := range payloads {
		e, err := se.Endorse(prp)
		if err != nil {
			t.Fatal(err)
		}
		ends = append(ends, e)
	}
	for i, prp := range payloads {
		sd := EndorsementSignedData(prp, ends[i])
		if !recorded(m.sigs, signatureKey(sd.Identity, sha256.Sum256(sd.Data), sd.Signature)) {
			t.Errorf("endorsement %d is not recorded under the key a verifier computes", i)
		}
	}
}
