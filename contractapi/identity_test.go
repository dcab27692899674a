package contractapi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

type identityContract struct{ Contract }

func (c *identityContract) Who(ctx TransactionContextInterface) (string, error) {
	return ctx.GetClientIdentity().GetMSPID()
}

func (c *identityContract) Role(ctx TransactionContextInterface) (string, error) {
	v, _, err := ctx.GetClientIdentity().GetAttributeValue("role")
	return v, err
}

func (c *identityContract) Subject(ctx TransactionContextInterface) (string, error) {
	cert, err := ctx.GetClientIdentity().GetX509Certificate()
	if err != nil {
		return "", err
	}
	return cert.Subject.CommonName, nil
}

func (c *identityContract) ID(ctx TransactionContextInterface) (string, error) {
	return ctx.GetClientIdentity().GetID()
}

func (c *identityContract) Assert(ctx TransactionContextInterface) error {
	return ctx.GetClientIdentity().AssertAttributeValue("role", "admin")
}

// creatorBytes returns a serialized identity of MSP mspID holding a fresh
// self-signed certificate with a Fabric CA "role" attribute.
func creatorBytes(t *testing.T, mspID string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "user1", Organization: []string{"Org1"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtraExtensions: []pkix.Extension{{
			Id:    asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1},
			Value: []byte(`{"attrs":{"role":"auditor"}}`),
		}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestClientIdentity(t *testing.T) {
	cc := mustChaincode(t, &identityContract{})
	good := creatorBytes(t, "Org1MSP")
	notPEM, err := proto.Marshal(&msp.SerializedIdentity{Mspid: "Org1MSP", IdBytes: []byte("-----BEGIN CERTIFICATE-----\nnot base64\n")})
	if err != nil {
		t.Fatal(err)
	}
	badCert, err := proto.Marshal(&msp.SerializedIdentity{Mspid: "Org1MSP", IdBytes: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")})})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		fn         string
		creator    []byte
		creatorErr error
		status     int32
		payload    string
		message    string
	}{
		{"the MSP ID of a good creator", "Who", good, nil, 200, "Org1MSP", ""},
		{"an attribute of a good creator", "Role", good, nil, 200, "auditor", ""},
		{"the certificate of a good creator", "Subject", good, nil, 200, "user1", ""},
		{"an attribute assertion that fails", "Assert", good, nil, 500, "", "attribute 'role' equals 'auditor', not 'admin'"},
		{"a missing creator is an error, not a panic", "Who", nil, nil, 500, "", "failed to get transaction invoker's identity"},
		{"a creator the stub cannot give is an error", "Subject", nil, errors.New("stub broken"), 500, "", "stub broken"},
		{"a creator that is not a serialized identity is an error", "ID", []byte{0xff, 0xff, 0xff}, nil, 500, "", "failed to unmarshal transaction invoker's identity"},
		{"identity bytes that are no certificate are an error", "Role", notPEM, nil, 500, "", "neither X509 PEM format nor an idemix credential"},
		{"a malformed certificate is an error", "Assert", badCert, nil, 500, "", "failed to parse certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub := newStub(tt.fn)
			stub.creator, stub.creatorErr = tt.creator, tt.creatorErr
			checkResponse(t, cc.Invoke(stub), tt.status, tt.payload, tt.message)
		})
	}
	stub := newStub("ID")
	stub.creator = good
	if resp := cc.Invoke(stub); resp.GetStatus() != 200 || len(resp.GetPayload()) == 0 {
		t.Errorf("GetID of a good creator: %d %q", resp.GetStatus(), resp.GetMessage())
	}
}

func TestUnreadableIdentityReportsOnEveryMethod(t *testing.T) {
	id := clientIdentity(newStub())
	if _, err := id.GetID(); err == nil || !strings.Contains(err.Error(), "identity") {
		t.Errorf("GetID error %v", err)
	}
	if _, err := id.GetMSPID(); err == nil {
		t.Error("GetMSPID gave no error")
	}
	if _, _, err := id.GetAttributeValue("a"); err == nil {
		t.Error("GetAttributeValue gave no error")
	}
	if err := id.AssertAttributeValue("a", "b"); err == nil {
		t.Error("AssertAttributeValue gave no error")
	}
	if c, err := id.GetX509Certificate(); err == nil || c != nil {
		t.Error("GetX509Certificate gave no error")
	}
}
