package identity

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// MSPConfig is what an MSP needs to verify the identities of one organisation:
// the content of an msp folder (cacerts, intermediatecerts, admincerts,
// config.yaml).
type MSPConfig struct {
	// ID is the MSP ID, e.g. Org1MSP.
	ID string
	// RootCerts are the PEM certificates of cacerts/.
	RootCerts [][]byte
	// IntermediateCerts are the PEM certificates of intermediatecerts/.
	IntermediateCerts [][]byte
	// Admins are the PEM certificates of admincerts/ (optional when NodeOUs
	// are enabled).
	Admins [][]byte
	// NodeOUs classifies identities by OU; nil means NodeOUs are disabled and
	// only MEMBER and ADMIN (via Admins) can be told apart.
	NodeOUs *NodeOUs
}

// NodeOUs is the NodeOUs section of an msp's config.yaml.
type NodeOUs struct {
	Client  OUIdentifier
	Peer    OUIdentifier
	Admin   OUIdentifier
	Orderer OUIdentifier
}

// OUIdentifier binds an OU value to an optional certifier (a CA certificate
// that must be in the identity's chain).
type OUIdentifier struct {
	// OrganizationalUnitIdentifier is the OU value, e.g. client.
	OrganizationalUnitIdentifier string
	// Certificate is the PEM of the certifying CA; empty means any CA of the
	// MSP.
	Certificate []byte
}

// DefaultNodeOUs returns the NodeOUs cryptogen writes: client, peer, admin and
// orderer, each certified by caCertPEM (may be nil).
func DefaultNodeOUs(caCertPEM []byte) *NodeOUs {
	return &NodeOUs{
		Client:  OUIdentifier{OrganizationalUnitIdentifier: OUClient, Certificate: caCertPEM},
		Peer:    OUIdentifier{OrganizationalUnitIdentifier: OUPeer, Certificate: caCertPEM},
		Admin:   OUIdentifier{OrganizationalUnitIdentifier: OUAdmin, Certificate: caCertPEM},
		Orderer: OUIdentifier{OrganizationalUnitIdentifier: OUOrderer, Certificate: caCertPEM},
	}
}

// Validate checks that the configuration can build an MSP.
func (c MSPConfig) Validate() error {
	if strings.TrimSpace(c.ID) == "" {
		return fmt.Errorf("msp config: ID is empty: set it to the organisation's MSP ID, e.g. Org1MSP")
	}
	if len(c.RootCerts) == 0 {
		return fmt.Errorf("msp config %s: RootCerts is empty: an MSP needs at least one CA certificate (cacerts/)", c.ID)
	}
	check := func(field string, pems [][]byte) error {
		for i, p := range pems {
			if _, err := parseCertPEM(p); err != nil {
				return fmt.Errorf("msp config %s: %s[%d]: %w", c.ID, field, i, err)
			}
		}
		return nil
	}
	if err := check("RootCerts", c.RootCerts); err != nil {
		return err
	}
	if err := check("IntermediateCerts", c.IntermediateCerts); err != nil {
		return err
	}
	if err := check("Admins", c.Admins); err != nil {
		return err
	}
	if c.NodeOUs != nil {
		for _, ou := range []struct {
			name string
			id   OUIdentifier
		}{{"Client", c.NodeOUs.Client}, {"Peer", c.NodeOUs.Peer}, {"Admin", c.NodeOUs.Admin}, {"Orderer", c.NodeOUs.Orderer}} {
			if len(ou.id.Certificate) == 0 {
				continue
			}
			if _, err := parseCertPEM(ou.id.Certificate); err != nil {
				return fmt.Errorf("msp config %s: NodeOUs.%s.Certificate: %w", c.ID, ou.name, err)
			}
		}
	}
	return nil
}

// MSP verifies identities, signatures, proposals and signature policies for a
// set of organisations (the MSPs a channel knows). It is safe for concurrent
// use.
type MSP struct {
	orgs map[string]*orgMSP
	now  func() time.Time
	// cacheSize and cache: the identities that validated (see
	// identityCache); nil when WithIdentityCache(0).
	cacheSize int
	cache     *identityCache
	// sigSize and sigs: the signatures known to be valid (see
	// signatureRecord); nil when WithSignatureRecord(0).
	sigSize int
	sigs    *signatureRecord
}

// Option configures an MSP.
type Option func(*MSP)

// WithIdentityCache sets how many validated identities the MSP remembers,
// so that a certificate seen before is not parsed and chain-verified again
// while its chain is valid (default DefaultIdentityCacheSize; 0 turns the
// cache off).
func WithIdentityCache(size int) Option {
	return func(m *MSP) { m.cacheSize = size }
}

// WithSignatureRecord sets how many valid signatures the MSP remembers, so
// that a signature verified once (an envelope at Broadcast, then at
// validation) or made by this process (SelfEndorser) is not verified again
// while its signer's identity is still valid (default
// DefaultSignatureRecordSize; 0 turns the record off).
func WithSignatureRecord(size int) Option {
	return func(m *MSP) { m.sigSize = size }
}

// WithClock sets the clock certificates' validity is checked against
// (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(m *MSP) { m.now = now }
}

type ouRule struct {
	ou        string
	certifier *x509.Certificate // nil: any
}

type orgMSP struct {
	id            string
	roots         *x509.CertPool
	intermediates *x509.CertPool
	admins        [][]byte // DER
	nodeOUs       bool
	client        ouRule
	peer          ouRule
	admin         ouRule
	orderer       ouRule
}

// NewMSP builds an MSP that knows the given organisations.
func NewMSP(configs []MSPConfig, opts ...Option) (*MSP, error) {
	if len(configs) == 0 {
		return nil, fmt.Errorf("new msp: no organisation given: pass at least one MSPConfig")
	}
	m := &MSP{orgs: make(map[string]*orgMSP, len(configs)), now: time.Now, cacheSize: DefaultIdentityCacheSize, sigSize: DefaultSignatureRecordSize}
	for _, o := range opts {
		o(m)
	}
	m.cache = newIdentityCache(m.cacheSize)
	m.sigs = newSignatureRecord(m.sigSize)
	for _, c := range configs {
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("new msp: %w", err)
		}
		if _, dup := m.orgs[c.ID]; dup {
			return nil, fmt.Errorf("new msp: msp id %s given twice", c.ID)
		}
		org := &orgMSP{id: c.ID, roots: x509.NewCertPool(), intermediates: x509.NewCertPool()}
		for _, p := range c.RootCerts {
			cert, _ := parseCertPEM(p)
			org.roots.AddCert(cert)
		}
		for _, p := range c.IntermediateCerts {
			cert, _ := parseCertPEM(p)
			org.intermediates.AddCert(cert)
		}
		for _, p := range c.Admins {
			cert, _ := parseCertPEM(p)
			org.admins = append(org.admins, cert.Raw)
		}
		if c.NodeOUs != nil {
			org.nodeOUs = true
			rule := func(id OUIdentifier) ouRule {
				r := ouRule{ou: id.OrganizationalUnitIdentifier}
				if len(id.Certificate) > 0 {
					r.certifier, _ = parseCertPEM(id.Certificate)
				}
				return r
			}
			org.client = rule(c.NodeOUs.Client)
			org.peer = rule(c.NodeOUs.Peer)
			org.admin = rule(c.NodeOUs.Admin)
			org.orderer = rule(c.NodeOUs.Orderer)
		}
		m.orgs[c.ID] = org
	}
	return m, nil
}

// IDs returns the MSP IDs this MSP knows, sorted.
func (m *MSP) IDs() []string {
	ids := make([]string, 0, len(m.orgs))
	for id := range m.orgs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Identity is a deserialized and validated X.509 identity.
type Identity struct {
	mspID      string
	cert       *x509.Certificate
	chain      []*x509.Certificate // leaf first
	serialized []byte
	nodeRole   msp.MSPRole_MSPRoleType // by NodeOU; MEMBER when none
	admin      bool
}

// MSPID returns the identity's MSP ID.
func (id *Identity) MSPID() string { return id.mspID }

// Certificate returns the identity's certificate.
func (id *Identity) Certificate() *x509.Certificate { return id.cert }

// Serialized returns the marshalled msp.SerializedIdentity it was read from.
func (id *Identity) Serialized() []byte { return append([]byte(nil), id.serialized...) }

// Role classifies the identity: ADMIN (admin NodeOU or listed in
// admincerts), PEER, CLIENT or ORDERER by NodeOU, and MEMBER otherwise.
func (id *Identity) Role() msp.MSPRole_MSPRoleType {
	if id.admin {
		return msp.MSPRole_ADMIN
	}
	return id.nodeRole
}

// IsAdmin reports whether the identity is an admin of its MSP.
func (id *Identity) IsAdmin() bool { return id.admin }

// Verify checks sig (ASN.1 DER, low S) over SHA-256(msg) with the identity's
// public key.
func (id *Identity) Verify(msg, sig []byte) error {
	return id.verifyDigest(sha256.Sum256(msg), sig)
}

// verifyDigest is Verify of a message whose SHA-256 is digest.
func (id *Identity) verifyDigest(digest [sha256.Size]byte, sig []byte) error {
	pub, ok := id.cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("%w: certificate key of %q is %T, only ECDSA is supported", ErrInvalidSignature, id.cert.Subject.CommonName, id.cert.PublicKey)
	}
	return verifySignature(pub, digest, sig)
}

// String names the identity for error messages: MSPID/CN.
func (id *Identity) String() string { return id.mspID + "/" + id.cert.Subject.CommonName }

// key identifies the identity for deduplication.
func (id *Identity) key() string {
	sum := sha256.Sum256(id.cert.Raw)
	return id.mspID + "\x00" + string(sum[:])
}

// DeserializeIdentity parses a marshalled msp.SerializedIdentity and validates
// it: the MSP ID must be known, the certificate must chain to one of that
// MSP's CAs and be valid now, must not be a CA, and with NodeOUs enabled must
// carry exactly one of the client, peer, admin or orderer OUs.
func (m *MSP) DeserializeIdentity(serialized []byte) (*Identity, error) {
	now := m.now()
	if id := cachedAt(m.cache, serialized, now); id != nil {
		return id, nil
	}
	var sid msp.SerializedIdentity
	if err := proto.Unmarshal(serialized, &sid); err != nil {
		return nil, fmt.Errorf("could not deserialize a SerializedIdentity: %w", err)
	}
	org, ok := m.orgs[sid.Mspid]
	if !ok {
		return nil, fmt.Errorf("%w: MSP %q is unknown (known: %s)", ErrUnknownMSP, sid.Mspid, strings.Join(m.IDs(), ", "))
	}
	cert, err := parseCertPEM(sid.IdBytes)
	if err != nil {
		return nil, fmt.Errorf("identity of MSP %s: id_bytes must be a PEM certificate: %w", sid.Mspid, err)
	}
	id := &Identity{mspID: sid.Mspid, cert: cert, serialized: append([]byte(nil), serialized...)}
	if err := org.validate(id, now); err != nil {
		return nil, err
	}
	remember(m.cache, id)
	return id, nil
}

func (o *orgMSP) validate(id *Identity, now time.Time) error {
	cert := id.cert
	name := fmt.Sprintf("%s/%s", o.id, cert.Subject.CommonName)
	if cert.IsCA {
		return fmt.Errorf("%w: %s: a CA certificate (basic constraints CA=true) cannot be used as an identity", ErrInvalidIdentity, name)
	}
	chains, err := cert.Verify(x509.VerifyOptions{
		Roots:         o.roots,
		Intermediates: o.intermediates,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		var invalid x509.CertificateInvalidError
		if errors.As(err, &invalid) && invalid.Reason == x509.Expired {
			return fmt.Errorf("%w: %s: certificate valid from %s to %s, now is %s: %v", ErrInvalidIdentity, name,
				cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339), now.UTC().Format(time.RFC3339), err)
		}
		return fmt.Errorf("%w: %s: does not chain to a CA of MSP %s: %v", ErrInvalidIdentity, name, o.id, err)
	}
	id.chain = chains[0]
	for _, a := range o.admins {
		if bytes.Equal(a, cert.Raw) {
			id.admin = true
		}
	}
	id.nodeRole = msp.MSPRole_MEMBER
	if !o.nodeOUs {
		return nil
	}
	var found []msp.MSPRole_MSPRoleType
	for _, r := range []struct {
		rule ouRule
		role msp.MSPRole_MSPRoleType
	}{{o.client, msp.MSPRole_CLIENT}, {o.peer, msp.MSPRole_PEER}, {o.admin, msp.MSPRole_ADMIN}, {o.orderer, msp.MSPRole_ORDERER}} {
		if r.rule.ou != "" && o.hasOU(id, r.rule) {
			found = append(found, r.role)
		}
	}
	switch len(found) {
	case 0:
		if id.admin {
			// Listed in admincerts: accepted as an admin.
			return nil
		}
		return fmt.Errorf("%w: %s: NodeOUs are enabled and the certificate has none of the OUs %s, %s, %s, %s (its OUs: %v)",
			ErrInvalidIdentity, name, o.client.ou, o.peer.ou, o.admin.ou, o.orderer.ou, cert.Subject.OrganizationalUnit)
	case 1:
		id.nodeRole = found[0]
		if id.nodeRole == msp.MSPRole_ADMIN {
			id.admin = true
		}
		return nil
	default:
		return fmt.Errorf("%w: %s: the identity must be a client, a peer, an orderer or an admin, not a combination of them (its OUs: %v)",
			ErrInvalidIdentity, name, cert.Subject.OrganizationalUnit)
	}
}

// hasOU reports whether the identity carries the rule's OU and, if the rule
// names a certifier, that certifier is in its chain.
func (o *orgMSP) hasOU(id *Identity, r ouRule) bool {
	if !slices.Contains(id.cert.Subject.OrganizationalUnit, r.ou) {
		return false
	}
	if r.certifier == nil {
		return true
	}
	for _, c := range id.chain[1:] {
		if bytes.Equal(c.Raw, r.certifier.Raw) {
			return true
		}
	}
	return false
}

// Verify deserializes and validates serialized, then checks sig over msg
// (a signature in the MSP's record, see WithSignatureRecord, is not
// verified again; the identity always is).
func (m *MSP) Verify(serialized, msg, sig []byte) (*Identity, error) {
	id, err := m.DeserializeIdentity(serialized)
	if err != nil {
		return nil, err
	}
	if err := m.verifyBy(id, msg, sig); err != nil {
		return nil, fmt.Errorf("signature of %s: %w", id, err)
	}
	return id, nil
}

// SatisfiesPrincipal reports, as an error, whether a validated identity
// satisfies a principal: ROLE (MEMBER, ADMIN, CLIENT, PEER, ORDERER),
// IDENTITY (the same certificate) or ORGANIZATION_UNIT.
func (m *MSP) SatisfiesPrincipal(id *Identity, p *msp.MSPPrincipal) error {
	if p == nil {
		return fmt.Errorf("principal is nil")
	}
	switch p.PrincipalClassification {
	case msp.MSPPrincipal_ROLE:
		var role msp.MSPRole
		if err := proto.Unmarshal(p.Principal, &role); err != nil {
			return fmt.Errorf("could not unmarshal MSPRole from principal: %w", err)
		}
		if role.MspIdentifier != id.mspID {
			return fmt.Errorf("the identity is a member of a different MSP (expected %s, got %s)", role.MspIdentifier, id.mspID)
		}
		org := m.orgs[id.mspID]
		switch role.Role {
		case msp.MSPRole_MEMBER:
			return nil
		case msp.MSPRole_ADMIN:
			if id.admin {
				return nil
			}
			return fmt.Errorf("%s is not an admin of %s (no admin OU and not in admincerts)", id, id.mspID)
		case msp.MSPRole_CLIENT, msp.MSPRole_PEER, msp.MSPRole_ORDERER:
			if !org.nodeOUs {
				return fmt.Errorf("NodeOUs not activated in MSP %s: cannot tell %s identities apart", id.mspID, strings.ToLower(role.Role.String()))
			}
			if id.nodeRole == role.Role {
				return nil
			}
			return fmt.Errorf("%s is a %s, not a %s", id, strings.ToLower(id.Role().String()), strings.ToLower(role.Role.String()))
		default:
			return fmt.Errorf("invalid MSP role type %d", role.Role)
		}
	case msp.MSPPrincipal_IDENTITY:
		var sid msp.SerializedIdentity
		if err := proto.Unmarshal(p.Principal, &sid); err != nil {
			return fmt.Errorf("could not unmarshal SerializedIdentity from principal: %w", err)
		}
		want, err := parseCertPEM(sid.IdBytes)
		if err != nil {
			return fmt.Errorf("identity principal of MSP %s: %w", sid.Mspid, err)
		}
		if sid.Mspid == id.mspID && bytes.Equal(want.Raw, id.cert.Raw) {
			return nil
		}
		return fmt.Errorf("the identities do not match: %s is not %s/%s", id, sid.Mspid, want.Subject.CommonName)
	case msp.MSPPrincipal_ORGANIZATION_UNIT:
		var ou msp.OrganizationUnit
		if err := proto.Unmarshal(p.Principal, &ou); err != nil {
			return fmt.Errorf("could not unmarshal OrganizationUnit from principal: %w", err)
		}
		if ou.MspIdentifier != id.mspID {
			return fmt.Errorf("the identity is a member of a different MSP (expected %s, got %s)", ou.MspIdentifier, id.mspID)
		}
		if !slices.Contains(id.cert.Subject.OrganizationalUnit, ou.OrganizationalUnitIdentifier) {
			return fmt.Errorf("%s does not have OU %q", id, ou.OrganizationalUnitIdentifier)
		}
		if len(ou.CertifiersIdentifier) == 0 {
			return nil
		}
		for _, c := range id.chain[1:] {
			sum := sha256.Sum256(c.Raw)
			if bytes.Equal(sum[:], ou.CertifiersIdentifier) {
				return nil
			}
		}
		return fmt.Errorf("%s has OU %q but not from the certifier the principal names", id, ou.OrganizationalUnitIdentifier)
	default:
		return fmt.Errorf("principal classification %s is not supported by peersim", p.PrincipalClassification)
	}
}
