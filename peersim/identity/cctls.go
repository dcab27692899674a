package identity

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"time"
)

// DefaultChaincodeCertValidity is how long a chaincode TLS certificate lives
// unless the ChaincodeCA is told otherwise.
const DefaultChaincodeCertValidity = 24 * time.Hour

// ChaincodeCA is the peer's own in-memory CA for the chaincode listener, as a
// Fabric peer creates at start when TLS is on: it issues one client
// certificate per chaincode launch (handed to the chaincode process) and the
// listener's server certificate, and the listener requires client
// certificates it signed. A new CA is made at each peer start, so
// certificates of a previous run stop working. Safe for concurrent use.
type ChaincodeCA struct {
	ca       *authority
	validity time.Duration
}

// NewChaincodeCA creates the CA; validity is the lifetime of the certificates
// it issues (0 means DefaultChaincodeCertValidity).
func NewChaincodeCA(validity time.Duration) (*ChaincodeCA, error) {
	if validity < 0 {
		return nil, fmt.Errorf("new chaincode CA: validity %s is negative", validity)
	}
	if validity == 0 {
		validity = DefaultChaincodeCertValidity
	}
	ca, err := newAuthority(certRequest{
		subject:  pkix.Name{CommonName: "peersim chaincode CA", Organization: []string{"peersim"}},
		validity: 10 * 365 * 24 * time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("new chaincode CA: %w", err)
	}
	return &ChaincodeCA{ca: ca, validity: validity}, nil
}

// CertPEM returns the CA certificate: the chaincode's
// CORE_PEER_TLS_ROOTCERT_FILE when the listener uses a server certificate
// from this CA.
func (c *ChaincodeCA) CertPEM() []byte { return append([]byte(nil), c.ca.certPEM...) }

// CertPool returns a pool holding the CA certificate.
func (c *ChaincodeCA) CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(c.ca.cert)
	return pool
}

// KeyPair is an issued certificate and its private key, both PEM.
type KeyPair struct {
	CertPEM []byte
	KeyPEM  []byte
	Cert    *x509.Certificate
}

// Hash returns SHA-256 of the certificate's DER: the key under which a peer
// remembers which chaincode a client certificate was issued to.
func (k *KeyPair) Hash() []byte { return CertHash(k.Cert.Raw) }

// TLSCertificate returns the pair as a tls.Certificate.
func (k *KeyPair) TLSCertificate() (tls.Certificate, error) {
	cert, err := tls.X509KeyPair(k.CertPEM, k.KeyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls key pair %q: %w", k.Cert.Subject.CommonName, err)
	}
	return cert, nil
}

// CertHash returns SHA-256 of a certificate's DER bytes (e.g.
// tls.ConnectionState.PeerCertificates[0].Raw).
func CertHash(der []byte) []byte {
	sum := sha256.Sum256(der)
	return sum[:]
}

// IssueClient issues a client certificate for a chaincode launch; CN is ccid.
func (c *ChaincodeCA) IssueClient(ccid string) (*KeyPair, error) {
	if ccid == "" {
		return nil, fmt.Errorf("issue chaincode client certificate: chaincode id is empty")
	}
	return c.issue(ccid, nil)
}

// IssueClientPEM is IssueClient returning the certificate and its private
// key as PEM, the form a launcher hands to the chaincode process.
func (c *ChaincodeCA) IssueClientPEM(ccid string) (certPEM, keyPEM []byte, err error) {
	kp, err := c.IssueClient(ccid)
	if err != nil {
		return nil, nil, err
	}
	return kp.CertPEM, kp.KeyPEM, nil
}

// IssueServer issues the chaincode listener's server certificate for the
// given host names and IP addresses.
func (c *ChaincodeCA) IssueServer(hosts ...string) (*KeyPair, error) {
	if len(hosts) == 0 {
		return nil, fmt.Errorf("issue chaincode server certificate: no host: pass the names and addresses chaincode dials, e.g. 127.0.0.1")
	}
	return c.issue(hosts[0], hosts)
}

func (c *ChaincodeCA) issue(cn string, hosts []string) (*KeyPair, error) {
	certPEM, key, err := c.ca.issue(certRequest{
		subject:  pkix.Name{CommonName: cn, Organization: []string{"peersim"}},
		validity: c.validity,
		tls:      true,
		hosts:    hosts,
	})
	if err != nil {
		return nil, err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, err
	}
	return &KeyPair{CertPEM: certPEM, KeyPEM: keyPEM, Cert: cert}, nil
}

// ServerTLSConfig returns the chaincode listener's TLS configuration: it
// presents server and requires a client certificate signed by this CA
// (mutual TLS, TLS 1.2 or later).
func (c *ChaincodeCA) ServerTLSConfig(server *KeyPair) (*tls.Config, error) {
	cert, err := server.TLSCertificate()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    c.CertPool(),
		MinVersion:   tls.VersionTLS12,
	}, nil
}
