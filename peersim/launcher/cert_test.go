package launcher

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
)

// fakeIssuer is a CertIssuer whose IssueClientPEM returns fixed values.
type fakeIssuer struct {
	certPEM, keyPEM []byte
	err             error
}

func (f fakeIssuer) IssueClientPEM(string) ([]byte, []byte, error) { return f.certPEM, f.keyPEM, f.err }
func (f fakeIssuer) CertPEM() []byte                               { return nil }

func TestIssueClientHashesTheCertificateAsIdentityDoes(t *testing.T) {
	ca, err := identity.NewChaincodeCA(0)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := ca.IssueClient("mycc:1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := issueClient(fakeIssuer{certPEM: kp.CertPEM, keyPEM: kp.KeyPEM}, "mycc:1")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.hash, kp.Hash()) || !bytes.Equal(got.hash, identity.CertHash(kp.Cert.Raw)) {
		t.Errorf("hash %x, want identity's %x", got.hash, kp.Hash())
	}
	if !bytes.Equal(got.certPEM, kp.CertPEM) || !bytes.Equal(got.keyPEM, kp.KeyPEM) {
		t.Error("the issued PEM was not kept as the issuer returned it")
	}

	// The real CA through the interface.
	if _, err := issueClient(ca, "mycc:1"); err != nil {
		t.Errorf("issue through *identity.ChaincodeCA: %v", err)
	}
}

func TestIssueClientRefusesWhatIsNotACertificate(t *testing.T) {
	ca, err := identity.NewChaincodeCA(0)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := ca.IssueClient("mycc:1")
	if err != nil {
		t.Fatal(err)
	}
	failed := errors.New("CA is down")
	tests := []struct {
		name    string
		issuer  fakeIssuer
		wantErr string
	}{
		{"the issuer's error is returned", fakeIssuer{err: failed}, "CA is down"},
		{"certificate bytes that are not PEM are refused", fakeIssuer{certPEM: []byte("not pem"), keyPEM: kp.KeyPEM}, "client certificate issued for mycc:1: no CERTIFICATE PEM block"},
		{"a key where the certificate belongs is refused", fakeIssuer{certPEM: kp.KeyPEM, keyPEM: kp.KeyPEM}, "client certificate issued for mycc:1: no CERTIFICATE PEM block"},
		{"a CERTIFICATE block that does not parse is refused", fakeIssuer{certPEM: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}, "client certificate issued for mycc:1: x509: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := issueClient(tt.issuer, "mycc:1")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	if _, err := issueClient(fakeIssuer{err: failed}, "mycc:1"); !errors.Is(err, failed) {
		t.Errorf("error %v does not wrap the issuer's", err)
	}
}
