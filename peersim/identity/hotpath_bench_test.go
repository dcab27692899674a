package identity

import (
	"bytes"
	"testing"
)

// BenchmarkUnpackProposal measures taking a signed proposal apart and
// hashing it, as the endorser does for every proposal before its checks.
func BenchmarkUnpackProposal(b *testing.B) {
	org := newTestOrg(b, "Org1MSP", "org1.example.com")
	user, err := org.Identity("User1")
	if err != nil {
		b.Fatal(err)
	}
	// A proposal like the load benchmark's: put(key, 64-byte value).
	sp, _, err := user.NewSignedProposal(Invocation{
		ChannelID: "mychannel", Chaincode: "basic",
		Args: [][]byte{[]byte("put"), []byte("key-000001"), bytes.Repeat([]byte("v"), 64)},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnpackProposal(sp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEndorse measures the peer's endorsement of a proposal response
// payload the size of the load benchmark's put: the signature over
// payload ‖ endorser, and, for SelfEndorser, its record.
func BenchmarkEndorse(b *testing.B) {
	org := newTestOrg(b, "Org1MSP", "org1.example.com")
	m, err := NewMSP([]MSPConfig{org.MSPConfig()})
	if err != nil {
		b.Fatal(err)
	}
	prp := bytes.Repeat([]byte{0x5a}, 400)
	b.Run("SigningIdentity", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := org.Peer().Endorse(prp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SelfEndorser", func(b *testing.B) {
		se := m.SelfEndorser(org.Peer())
		b.ReportAllocs()
		for b.Loop() {
			if _, err := se.Endorse(prp); err != nil {
				b.Fatal(err)
			}
		}
	})
}
