package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"
)

// AttributeOID returns the X.509 extension under which Fabric CA stores an
// identity's attributes as JSON {"attrs":{"name":"value"}}; fabric-chaincode-go's
// cid package reads it. It is a function, not a variable, so that no caller
// can change what the package writes.
func AttributeOID() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1} }

// Attribute names Fabric CA puts into every enrollment certificate.
const (
	AttrEnrollmentID = "hf.EnrollmentID"
	AttrType         = "hf.Type"
	AttrAffiliation  = "hf.Affiliation"
)

// The NodeOU identifiers cryptogen writes into config.yaml and into the OU of
// each certificate.
const (
	OUClient  = "client"
	OUPeer    = "peer"
	OUAdmin   = "admin"
	OUOrderer = "orderer"
)

// backdate is how far into the past NotBefore is set, so that a peer whose
// clock is a little behind still accepts fresh certificates (cryptogen does
// the same).
const backdate = 5 * time.Minute

// authority is a CA: its certificate and its signing key.
type authority struct {
	cert    *x509.Certificate
	certPEM []byte
	key     *ecdsa.PrivateKey
}

// certRequest describes a certificate to issue.
type certRequest struct {
	subject  pkix.Name
	validity time.Duration
	now      time.Time
	isCA     bool
	tls      bool // server+client auth and SANs
	hosts    []string
	attrs    map[string]string // nil: no attribute extension
	// det, when set, derives the key and serial number (Deterministic).
	det *Deterministic
}

// label names req's key and serial number for Deterministic.
func (req certRequest) label() string {
	switch {
	case req.isCA:
		return "ca/" + req.subject.CommonName
	case req.tls:
		return "tls/" + req.subject.CommonName
	}
	return "sign/" + req.subject.CommonName
}

// newKey returns req's key: derived with Deterministic, else random.
func (req certRequest) newKey() (*ecdsa.PrivateKey, error) {
	if req.det != nil {
		return req.det.key(req.label())
	}
	return newKey()
}

func newKey() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate ECDSA P-256 key: %w", err)
	}
	return key, nil
}

// subjectKeyID is what Fabric's tools use as SKI: SHA-256 of the uncompressed
// public point.
func subjectKeyID(pub *ecdsa.PublicKey) ([]byte, error) {
	ecdh, err := pub.ECDH()
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	sum := sha256.Sum256(ecdh.Bytes())
	return sum[:], nil
}

func serialNumber() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return nil, fmt.Errorf("serial number: %w", err)
	}
	return n, nil
}

// template builds the x509 template for req with public key pub.
func (req certRequest) template(pub *ecdsa.PublicKey) (*x509.Certificate, error) {
	var serial *big.Int
	if req.det != nil {
		serial = req.det.serial(req.label())
	} else {
		var err error
		if serial, err = serialNumber(); err != nil {
			return nil, err
		}
	}
	ski, err := subjectKeyID(pub)
	if err != nil {
		return nil, err
	}
	now := req.now
	if now.IsZero() {
		now = time.Now()
	}
	notBefore := now.Add(-backdate).UTC().Truncate(time.Minute)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               req.subject,
		NotBefore:             notBefore,
		NotAfter:              now.Add(req.validity).UTC().Truncate(time.Minute),
		SubjectKeyId:          ski,
		BasicConstraintsValid: true,
		IsCA:                  req.isCA,
	}
	switch {
	case req.isCA:
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment |
			x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}
	case req.tls:
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	default:
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	for _, h := range req.hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	if req.attrs != nil {
		value, err := json.Marshal(struct {
			Attrs map[string]string `json:"attrs"`
		}{req.attrs})
		if err != nil {
			return nil, fmt.Errorf("encode attributes: %w", err)
		}
		// Fabric CA stores the JSON itself as the extension value, not an
		// ASN.1-wrapped string; cid reads it back that way.
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{
			Id: AttributeOID(), Critical: false, Value: value,
		})
	}
	return tmpl, nil
}

// newAuthority creates a self-signed CA.
func newAuthority(req certRequest) (*authority, error) {
	req.isCA = true
	key, err := req.newKey()
	if err != nil {
		return nil, err
	}
	tmpl, err := req.template(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, rfc6979Signer{key})
	if err != nil {
		return nil, fmt.Errorf("self-sign CA %q: %w", req.subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA %q: %w", req.subject.CommonName, err)
	}
	return &authority{cert: cert, certPEM: encodeCert(der), key: key}, nil
}

// issue creates a key pair and a certificate for it signed by a.
func (a *authority) issue(req certRequest) (certPEM []byte, key *ecdsa.PrivateKey, err error) {
	key, err = req.newKey()
	if err != nil {
		return nil, nil, err
	}
	tmpl, err := req.template(&key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	if tmpl.NotAfter.After(a.cert.NotAfter) {
		tmpl.NotAfter = a.cert.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, rfc6979Signer{a.key})
	if err != nil {
		return nil, nil, fmt.Errorf("issue certificate %q: %w", req.subject.CommonName, err)
	}
	return encodeCert(der), key, nil
}

func encodeCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// parseCertPEM parses the first certificate of a PEM block.
func parseCertPEM(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("no PEM block found (expected -----BEGIN CERTIFICATE-----)")
	}
	if block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("PEM block is %q, expected CERTIFICATE", block.Type)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return cert, nil
}

// parseKeyPEM parses a PKCS#8 or SEC 1 ECDSA private key.
func parseKeyPEM(data []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("no PEM block found (expected -----BEGIN PRIVATE KEY-----)")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		key, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("private key is %T, expected ECDSA", k)
		}
		return key, nil
	}
	key, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse private key (neither PKCS#8 nor SEC 1): %w", err)
	}
	return key, nil
}

func readCertFile(path string) (*x509.Certificate, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	cert, err := parseCertPEM(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return cert, data, nil
}

func readKeyFile(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := parseKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// loadAuthority reads a CA certificate and its key.
func loadAuthority(certPath, keyPath string) (*authority, error) {
	cert, certPEM, err := readCertFile(certPath)
	if err != nil {
		return nil, err
	}
	key, err := readKeyFile(keyPath)
	if err != nil {
		return nil, err
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("key %s does not belong to certificate %s", keyPath, certPath)
	}
	return &authority{cert: cert, certPEM: certPEM, key: key}, nil
}
