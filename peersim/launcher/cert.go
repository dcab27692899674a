package launcher

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// clientCert is the TLS client certificate issued for one launch: the PEM
// handed to the chaincode and the hash under which the registry finds the
// launch again when the chaincode registers.
type clientCert struct {
	certPEM, keyPEM []byte
	hash            []byte // certHash of the certificate's DER
}

// issueClient has ca issue the client certificate of a launch of ccid and
// hashes it.
func issueClient(ca CertIssuer, ccid string) (*clientCert, error) {
	certPEM, keyPEM, err := ca.IssueClientPEM(ccid)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("client certificate issued for %s: no CERTIFICATE PEM block", ccid)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("client certificate issued for %s: %w", ccid, err)
	}
	return &clientCert{certPEM: certPEM, keyPEM: keyPEM, hash: certHash(cert.Raw)}, nil
}

// certHash is SHA-256 of a certificate's DER bytes, the key of the
// registry's launches by certificate (tls.ConnectionState's
// PeerCertificates[0].Raw on the peer's side).
func certHash(der []byte) []byte {
	sum := sha256.Sum256(der)
	return sum[:]
}
