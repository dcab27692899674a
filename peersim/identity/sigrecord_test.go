package identity

import (
	"crypto/sha256"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func TestSignatureRecordNeverAcceptsWhatDidNotVerify(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	user, admin := mustIdentity(t, org, "User1"), mustIdentity(t, org, "Admin")
	m := mustMSP(t, []MSPConfig{org.MSPConfig()})
	msg := []byte("an envelope's payload")
	sig, err := user.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	// Verified once (Broadcast): recorded.
	if _, err := m.Verify(user.Serialize(), msg, sig); err != nil {
		t.Fatal(err)
	}
	if !recorded(m.sigs, signatureKey(user.Serialize(), sha256.Sum256(msg), sig)) {
		t.Fatal("a signature that verified is not in the record")
	}
	flipped := append([]byte(nil), sig...)
	flipped[len(flipped)-1] ^= 1
	tests := []struct {
		name            string
		creator, m, sig []byte
		wantErr         error // nil: valid
	}{
		{name: "the same signature again is valid", creator: user.Serialize(), m: msg, sig: sig},
		{name: "a changed message fails", creator: user.Serialize(), m: []byte("an envelope's payloaD"), sig: sig, wantErr: ErrInvalidSignature},
		{name: "a changed signature fails", creator: user.Serialize(), m: msg, sig: flipped, wantErr: ErrInvalidSignature},
		{name: "the signature presented as another identity's fails", creator: admin.Serialize(), m: msg, sig: sig, wantErr: ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Verify(tt.creator, tt.m, tt.sig)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if n := m.sigs.Len(); n != 1 {
		t.Errorf("the record holds %d signatures, want only the one that verified", n)
	}
}

func TestSignatureRecordStillChecksTheSigner(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	user := mustIdentity(t, org, "User1")
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	m := mustMSP(t, []MSPConfig{org.MSPConfig()}, WithClock(func() time.Time { return time.Unix(0, now.Load()) }))
	msg := []byte("payload")
	sig, err := user.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(user.Serialize(), msg, sig); err != nil {
		t.Fatal(err)
	}
	now.Store(user.Certificate().NotAfter.Add(time.Hour).UnixNano())
	if _, err := m.Verify(user.Serialize(), msg, sig); !errors.Is(err, ErrInvalidIdentity) {
		t.Fatalf("a recorded signature by an expired identity: Verify = %v, want ErrInvalidIdentity", err)
	}
}

func TestSelfEndorserRecordsOnlyWhatItSigned(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	m := mustMSP(t, []MSPConfig{org.MSPConfig()})
	policy := AnyMember("Org1MSP")
	prp := []byte("a proposal response payload")
	e, err := m.SelfEndorser(org.Peer()).Endorse(prp)
	if err != nil {
		t.Fatal(err)
	}
	sd := EndorsementSignedData(prp, e)
	if !recorded(m.sigs, signatureKey(sd.Identity, sha256.Sum256(sd.Data), sd.Signature)) {
		t.Fatal("the endorsement the MSP's SelfEndorser made is not in the record")
	}
	if err := m.EvaluateEndorsements(policy, prp, []*peer.Endorsement{e}); err != nil {
		t.Fatalf("own endorsement: %v", err)
	}
	flipped := append([]byte(nil), e.Signature...)
	flipped[len(flipped)-1] ^= 1
	for name, tc := range map[string]struct {
		prp []byte
		e   *peer.Endorsement
	}{
		"over another payload":     {prp: []byte("another proposal response payload"), e: e},
		"with a changed signature": {prp: prp, e: &peer.Endorsement{Endorser: e.Endorser, Signature: flipped}},
		"as another endorser":      {prp: prp, e: &peer.Endorsement{Endorser: mustIdentity(t, org, "User1").Serialize(), Signature: e.Signature}},
	} {
		if err := m.EvaluateEndorsements(policy, tc.prp, []*peer.Endorsement{tc.e}); !errors.Is(err, ErrPolicyNotSatisfied) {
			t.Errorf("own endorsement %s: EvaluateEndorsements = %v, want ErrPolicyNotSatisfied", name, err)
		}
	}
}

func TestSignatureRecordIsBoundedAndCanBeOff(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	user := mustIdentity(t, org, "User1")
	for _, tc := range []struct {
		size, want int
	}{{size: 2, want: 2}, {size: 0, want: 0}} {
		m := mustMSP(t, []MSPConfig{org.MSPConfig()}, WithSignatureRecord(tc.size))
		for i := range 3 {
			msg := []byte{byte(i)}
			sig, err := user.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Verify(user.Serialize(), msg, sig); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Verify(user.Serialize(), msg, sig); err != nil {
				t.Fatalf("record of %d, second verify: %v", tc.size, err)
			}
		}
		if n := m.sigs.Len(); n != tc.want {
			t.Errorf("record of %d holds %d signatures, want %d", tc.size, n, tc.want)
		}
	}
}
