package identity

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

func mustUnmarshal(t *testing.T, b []byte, m proto.Message) {
	t.Helper()
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatalf("unmarshal %T: %v", m, err)
	}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatalf("marshal %T: %v", m, err)
	}
	return b
}

func TestSignedProposalHasFabricsStructure(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	user := mustIdentity(t, org, "User1")
	ts := time.Date(2026, 11, 22, 1, 2, 3, 4, time.UTC)
	sp, txID, err := user.NewSignedProposal(Invocation{
		ChannelID: "mychannel",
		Chaincode: "basic",
		Type:      peer.ChaincodeSpec_GOLANG,
		Args:      [][]byte{[]byte("CreateAsset"), []byte("a1")},
		Transient: map[string][]byte{"secret": []byte("s3")},
		Timestamp: ts,
	})
	if err != nil {
		t.Fatal(err)
	}
	var prop peer.Proposal
	mustUnmarshal(t, sp.ProposalBytes, &prop)
	var hdr common.Header
	mustUnmarshal(t, prop.Header, &hdr)
	var chdr common.ChannelHeader
	mustUnmarshal(t, hdr.ChannelHeader, &chdr)
	var shdr common.SignatureHeader
	mustUnmarshal(t, hdr.SignatureHeader, &shdr)

	if common.HeaderType(chdr.Type) != common.HeaderType_ENDORSER_TRANSACTION || chdr.ChannelId != "mychannel" || chdr.Epoch != 0 {
		t.Errorf("channel header: type %d channel %q epoch %d", chdr.Type, chdr.ChannelId, chdr.Epoch)
	}
	if !chdr.Timestamp.AsTime().Equal(ts) {
		t.Errorf("timestamp %v, want %v", chdr.Timestamp.AsTime(), ts)
	}
	if len(shdr.Nonce) != NonceSize || !bytes.Equal(shdr.Creator, user.Serialize()) {
		t.Errorf("signature header: nonce %d bytes, creator matches %v", len(shdr.Nonce), bytes.Equal(shdr.Creator, user.Serialize()))
	}
	sum := sha256.Sum256(append(append([]byte(nil), shdr.Nonce...), shdr.Creator...))
	if want := hex.EncodeToString(sum[:]); chdr.TxId != want || txID != want {
		t.Errorf("txid %q (returned %q), want hex(sha256(nonce||creator)) %q", chdr.TxId, txID, want)
	}
	var sid msp.SerializedIdentity
	mustUnmarshal(t, shdr.Creator, &sid)
	if sid.Mspid != "Org1MSP" || !bytes.HasPrefix(sid.IdBytes, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Errorf("creator: mspid %q, id_bytes not PEM", sid.Mspid)
	}
	var ext peer.ChaincodeHeaderExtension
	mustUnmarshal(t, chdr.Extension, &ext)
	if ext.ChaincodeId.GetName() != "basic" {
		t.Errorf("header extension chaincode id %v", ext.ChaincodeId)
	}
	var cpp peer.ChaincodeProposalPayload
	mustUnmarshal(t, prop.Payload, &cpp)
	if string(cpp.TransientMap["secret"]) != "s3" {
		t.Errorf("transient map %v", cpp.TransientMap)
	}
	var cis peer.ChaincodeInvocationSpec
	mustUnmarshal(t, cpp.Input, &cis)
	if cis.ChaincodeSpec.Type != peer.ChaincodeSpec_GOLANG || cis.ChaincodeSpec.ChaincodeId.GetName() != "basic" ||
		len(cis.ChaincodeSpec.Input.Args) != 2 || string(cis.ChaincodeSpec.Input.Args[0]) != "CreateAsset" {
		t.Errorf("invocation spec %v", cis.ChaincodeSpec)
	}

	up, err := org.MSP().ValidateProposal(sp)
	if err != nil {
		t.Fatalf("ValidateProposal: %v", err)
	}
	if up.TxID() != txID || up.ChannelID() != "mychannel" || up.ChaincodeID.Name != "basic" ||
		string(up.Input().Args[1]) != "a1" || string(up.TransientMap["secret"]) != "s3" {
		t.Errorf("unpacked proposal fields wrong: %+v", up)
	}
	if up.Creator.Role() != msp.MSPRole_CLIENT || up.Creator.MSPID() != "Org1MSP" {
		t.Errorf("creator %s role %v", up.Creator, up.Creator.Role())
	}
	stripped := mustMarshal(t, &peer.ChaincodeProposalPayload{Input: cpp.Input})
	wantHash := sha256.Sum256(bytes.Join([][]byte{hdr.ChannelHeader, hdr.SignatureHeader, stripped}, nil))
	if !bytes.Equal(up.ProposalHash, wantHash[:]) {
		t.Error("ProposalHash is not sha256(channel header || signature header || payload without transient map)")
	}
}

func TestTwoProposalsGetDifferentNoncesAndTxIDs(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	inv := Invocation{ChannelID: "ch", Chaincode: "cc"}
	_, a, err := org.Peer().NewSignedProposal(inv)
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := org.Peer().NewSignedProposal(inv)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two proposals share txid %s", a)
	}
}

// resign rebuilds a proposal after mutating its headers and signs it with signer.
func resign(t *testing.T, sp *peer.SignedProposal, signer *SigningIdentity, mutate func(*common.ChannelHeader, *common.SignatureHeader)) *peer.SignedProposal {
	t.Helper()
	var prop peer.Proposal
	mustUnmarshal(t, sp.ProposalBytes, &prop)
	var hdr common.Header
	mustUnmarshal(t, prop.Header, &hdr)
	var chdr common.ChannelHeader
	mustUnmarshal(t, hdr.ChannelHeader, &chdr)
	var shdr common.SignatureHeader
	mustUnmarshal(t, hdr.SignatureHeader, &shdr)
	mutate(&chdr, &shdr)
	hdr.ChannelHeader = mustMarshal(t, &chdr)
	hdr.SignatureHeader = mustMarshal(t, &shdr)
	prop.Header = mustMarshal(t, &hdr)
	out, err := signer.SignProposal(&prop)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// issueExpired issues a client certificate of org's CA that expired an hour ago.
func issueExpired(t *testing.T, org *Org) *SigningIdentity {
	t.Helper()
	certPEM, key, err := org.ca.issue(certRequest{
		subject:  pkix.Name{CommonName: "old@org1.example.com", OrganizationalUnit: []string{OUClient}},
		validity: time.Hour,
		now:      time.Now().Add(-3 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	id, err := newSigningIdentity(org.MSPID(), certPEM, cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func highS(t *testing.T, sig []byte) []byte {
	t.Helper()
	var es ecdsaSignature
	if _, err := asn1.Unmarshal(sig, &es); err != nil {
		t.Fatal(err)
	}
	n, _ := new(big.Int).SetString("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16)
	es.S = new(big.Int).Sub(n, es.S)
	out, err := asn1.Marshal(es)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestValidateProposalRefusesBadProposals(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	other := newTestOrg(t, "Org1MSP", "org1.example.com") // same names, another CA
	user := mustIdentity(t, org, "User1")
	admin := mustIdentity(t, org, "Admin")
	inv := Invocation{ChannelID: "mychannel", Chaincode: "basic", Args: [][]byte{[]byte("f")}}
	good := func(s *SigningIdentity) *peer.SignedProposal {
		sp, _, err := s.NewSignedProposal(inv)
		if err != nil {
			t.Fatal(err)
		}
		return sp
	}
	unknownMSP, err := NewSigningIdentity("Org9MSP", user.CertificatePEM(), mustKeyPEM(t, user))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		sp      func() *peer.SignedProposal
		msp     *MSP
		wantIs  error
		wantErr string
	}{
		{
			name: "a flipped signature byte",
			sp: func() *peer.SignedProposal {
				sp := good(user)
				sp.Signature[len(sp.Signature)-1] ^= 0x01
				return sp
			},
			wantIs: ErrInvalidSignature,
		},
		{
			name: "a signature by someone other than the creator",
			sp: func() *peer.SignedProposal {
				sp := good(user)
				sig, err := admin.Sign(sp.ProposalBytes)
				if err != nil {
					t.Fatal(err)
				}
				sp.Signature = sig
				return sp
			},
			wantIs:  ErrInvalidSignature,
			wantErr: "the creator's signature over the proposal is not valid",
		},
		{
			name: "a high-S signature",
			sp: func() *peer.SignedProposal {
				sp := good(user)
				sp.Signature = highS(t, sp.Signature)
				return sp
			},
			wantIs:  ErrInvalidSignature,
			wantErr: "S is not low",
		},
		{
			name: "a txid that is not hex(sha256(nonce||creator))",
			sp: func() *peer.SignedProposal {
				return resign(t, good(user), user, func(c *common.ChannelHeader, _ *common.SignatureHeader) { c.TxId = "abc" })
			},
			wantIs:  ErrInvalidTxID,
			wantErr: "invalid txid. got [abc], expected [",
		},
		{
			name: "a nonce changed after the txid was computed",
			sp: func() *peer.SignedProposal {
				return resign(t, good(user), user, func(_ *common.ChannelHeader, s *common.SignatureHeader) { s.Nonce = []byte("another nonce") })
			},
			wantIs: ErrInvalidTxID,
		},
		{
			name:    "a creator from an unknown CA",
			sp:      func() *peer.SignedProposal { return good(mustIdentity(t, other, "User1")) },
			wantIs:  ErrInvalidIdentity,
			wantErr: "access denied: channel [mychannel] creator org [Org1MSP]: the supplied identity is not valid: Org1MSP/User1@org1.example.com: does not chain to a CA of MSP Org1MSP",
		},
		{
			name:    "a creator of an MSP the peer does not know",
			sp:      func() *peer.SignedProposal { return good(unknownMSP) },
			wantIs:  ErrUnknownMSP,
			wantErr: `access denied: channel [mychannel] creator org unknown, creator is malformed: unknown msp: MSP "Org9MSP" is unknown (known: Org1MSP)`,
		},
		{
			name: "a non-zero epoch",
			sp: func() *peer.SignedProposal {
				return resign(t, good(user), user, func(c *common.ChannelHeader, _ *common.SignatureHeader) { c.Epoch = 7 })
			},
			wantIs:  ErrInvalidProposal,
			wantErr: "epoch is non-zero",
		},
		{
			name: "no signature",
			sp: func() *peer.SignedProposal {
				sp := good(user)
				sp.Signature = nil
				return sp
			},
			wantIs:  ErrInvalidProposal,
			wantErr: "empty signature bytes",
		},
		{
			name:    "an expired creator",
			sp:      func() *peer.SignedProposal { return good(issueExpired(t, org)) },
			wantIs:  ErrInvalidIdentity,
			wantErr: "expired",
		},
		{
			name:    "a creator checked after its certificate's end of validity",
			sp:      func() *peer.SignedProposal { return good(user) },
			msp:     mustMSP(t, []MSPConfig{org.MSPConfig()}, WithClock(func() time.Time { return time.Now().AddDate(20, 0, 0) })),
			wantIs:  ErrInvalidIdentity,
			wantErr: "expired",
		},
		{
			name: "a header type other than ENDORSER_TRANSACTION or CONFIG",
			sp: func() *peer.SignedProposal {
				return resign(t, good(user), user, func(c *common.ChannelHeader, _ *common.SignatureHeader) {
					c.Type = int32(common.HeaderType_MESSAGE)
				})
			},
			wantIs:  ErrInvalidProposal,
			wantErr: "invalid header type MESSAGE",
		},
		{
			name: "an empty creator",
			sp: func() *peer.SignedProposal {
				return resign(t, good(user), user, func(_ *common.ChannelHeader, s *common.SignatureHeader) { s.Creator = nil })
			},
			wantIs:  ErrInvalidProposal,
			wantErr: "creator is empty",
		},
		{
			name:    "no proposal bytes",
			sp:      func() *peer.SignedProposal { return &peer.SignedProposal{} },
			wantIs:  ErrInvalidProposal,
			wantErr: "no proposal bytes",
		},
		{
			name:    "garbage proposal bytes",
			sp:      func() *peer.SignedProposal { return &peer.SignedProposal{ProposalBytes: []byte{0xff, 0xff, 0xff}} },
			wantIs:  ErrInvalidProposal,
			wantErr: "error unmarshalling Proposal",
		},
		{
			name: "a proposal without a header",
			sp: func() *peer.SignedProposal {
				sp, err := user.SignProposal(&peer.Proposal{Payload: []byte("x")})
				if err != nil {
					t.Fatal(err)
				}
				return sp
			},
			wantIs:  ErrInvalidProposal,
			wantErr: "proposal header is nil",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.msp
			if m == nil {
				m = org.MSP()
			}
			_, err := m.ValidateProposal(tt.sp())
			if err == nil {
				t.Fatal("ValidateProposal accepted the proposal")
			}
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	var txErr *TxIDError
	_, err = org.MSP().ValidateProposal(resign(t, good(user), user, func(c *common.ChannelHeader, _ *common.SignatureHeader) { c.TxId = "abc" }))
	if !errors.As(err, &txErr) || txErr.Got != "abc" || len(txErr.Expected) != 64 {
		t.Errorf("errors.As TxIDError: %v", err)
	}
}

func mustKeyPEM(t *testing.T, s *SigningIdentity) []byte {
	t.Helper()
	b, err := encodeKey(s.PrivateKey())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustMSP(t *testing.T, cfgs []MSPConfig, opts ...Option) *MSP {
	t.Helper()
	m, err := NewMSP(cfgs, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSignaturesAreLowSAndVerify(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	p := org.Peer()
	half := halfOrder(p.PrivateKey().Curve)
	for i := range 32 {
		msg := make([]byte, 16)
		if _, err := rand.Read(msg); err != nil {
			t.Fatal(err)
		}
		sig, err := p.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		var es ecdsaSignature
		if _, err := asn1.Unmarshal(sig, &es); err != nil {
			t.Fatalf("signature %d is not ASN.1 DER: %v", i, err)
		}
		if es.S.Cmp(half) > 0 {
			t.Fatalf("signature %d has high S", i)
		}
		if _, err := org.MSP().Verify(p.Serialize(), msg, sig); err != nil {
			t.Fatalf("signature %d does not verify: %v", i, err)
		}
	}
	if _, err := org.MSP().Verify(p.Serialize(), []byte("m"), []byte("not asn1")); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("garbage signature: %v", err)
	}
}

func TestEndorsementSignsPayloadAndEndorser(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	payload := []byte("proposal response payload")
	e, err := org.Peer().Endorse(payload)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e.Endorser, org.Peer().Serialize()) {
		t.Error("endorser is not the peer's serialized identity")
	}
	// The signature covers payload || endorser, as Fabric's endorser signs it.
	msg := append(append([]byte(nil), payload...), e.Endorser...)
	id, err := org.MSP().DeserializeIdentity(e.Endorser)
	if err != nil {
		t.Fatal(err)
	}
	if err := id.Verify(msg, e.Signature); err != nil {
		t.Errorf("signature over payload||endorser: %v", err)
	}
	if _, err := org.MSP().VerifyEndorsement(payload, e); err != nil {
		t.Errorf("VerifyEndorsement: %v", err)
	}
	if _, err := org.MSP().VerifyEndorsement([]byte("other payload"), e); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("VerifyEndorsement of another payload: %v, want ErrInvalidSignature", err)
	}
	if got, err := org.MSP().VerifyEndorsement(payload, e); err == nil && got.Role() != msp.MSPRole_PEER {
		t.Errorf("endorser role %v, want PEER", got.Role())
	}
}

func TestInvocationValidate(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	tests := []struct {
		name    string
		inv     Invocation
		wantErr string
	}{
		{"no chaincode", Invocation{ChannelID: "ch"}, "Chaincode is empty"},
		{"an empty non-nil nonce", Invocation{Chaincode: "cc", Nonce: []byte{}}, "Nonce is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := org.Peer().NewSignedProposal(tt.inv)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
	nonce := []byte("fixed nonce")
	_, txID, err := org.Peer().NewSignedProposal(Invocation{Chaincode: "cc", Nonce: nonce})
	if err != nil {
		t.Fatal(err)
	}
	if txID != ComputeTxID(nonce, org.Peer().Serialize()) {
		t.Error("a given nonce is not used for the txid")
	}
}
