package identity

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
)

// newTestOrg creates an organisation in a temporary folder.
func newTestOrg(t testing.TB, mspID, domain string) *Org {
	t.Helper()
	cfg := DefaultConfig()
	cfg.MSPID, cfg.Domain = mspID, domain
	org, err := EnsureOrg(filepath.Join(t.TempDir(), domain), cfg)
	if err != nil {
		t.Fatalf("EnsureOrg(%s): %v", mspID, err)
	}
	return org
}

func mustIdentity(t *testing.T, org *Org, name string) *SigningIdentity {
	t.Helper()
	id, err := org.Identity(name)
	if err != nil {
		t.Fatalf("Identity(%q): %v", name, err)
	}
	return id
}

func TestEnsureOrgWritesCryptogenLayout(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	d := org.Dir()
	for _, rel := range []string{
		"ca/ca.org1.example.com-cert.pem",
		"ca/priv_sk",
		"tlsca/tlsca.org1.example.com-cert.pem",
		"tlsca/priv_sk",
		"msp/cacerts/ca.org1.example.com-cert.pem",
		"msp/tlscacerts/tlsca.org1.example.com-cert.pem",
		"msp/config.yaml",
		"peers/peer0.org1.example.com/msp/cacerts/ca.org1.example.com-cert.pem",
		"peers/peer0.org1.example.com/msp/signcerts/peer0.org1.example.com-cert.pem",
		"peers/peer0.org1.example.com/msp/keystore/priv_sk",
		"peers/peer0.org1.example.com/msp/config.yaml",
		"peers/peer0.org1.example.com/tls/ca.crt",
		"peers/peer0.org1.example.com/tls/server.crt",
		"peers/peer0.org1.example.com/tls/server.key",
		"users/Admin@org1.example.com/msp/signcerts/Admin@org1.example.com-cert.pem",
		"users/Admin@org1.example.com/msp/keystore/priv_sk",
		"users/Admin@org1.example.com/tls/client.crt",
		"users/User1@org1.example.com/msp/signcerts/User1@org1.example.com-cert.pem",
		"users/User1@org1.example.com/tls/client.key",
	} {
		if _, err := os.Stat(filepath.Join(d, rel)); err != nil {
			t.Errorf("missing %s: %v", rel, err)
		}
	}
	yaml, err := os.ReadFile(filepath.Join(d, "msp", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"NodeOUs:\n  Enable: true\n",
		"  ClientOUIdentifier:\n    Certificate: cacerts/ca.org1.example.com-cert.pem\n    OrganizationalUnitIdentifier: client\n",
		"  PeerOUIdentifier:\n    Certificate: cacerts/ca.org1.example.com-cert.pem\n    OrganizationalUnitIdentifier: peer\n",
		"  AdminOUIdentifier:\n    Certificate: cacerts/ca.org1.example.com-cert.pem\n    OrganizationalUnitIdentifier: admin\n",
		"  OrdererOUIdentifier:\n    Certificate: cacerts/ca.org1.example.com-cert.pem\n    OrganizationalUnitIdentifier: orderer\n",
	} {
		if !strings.Contains(string(yaml), want) {
			t.Errorf("config.yaml lacks %q; got:\n%s", want, yaml)
		}
	}
	if info, err := os.Stat(filepath.Join(d, "ca", "priv_sk")); err == nil && info.Mode().Perm() != 0o600 {
		t.Errorf("ca/priv_sk mode = %v, want 0600", info.Mode().Perm())
	}
}

func TestCertificatesLookLikeCryptogens(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	caCert, _, err := readCertFile(filepath.Join(org.Dir(), "ca", "ca.org1.example.com-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if !caCert.IsCA || caCert.Subject.CommonName != "ca.org1.example.com" || len(caCert.SubjectKeyId) != 32 {
		t.Errorf("CA: IsCA=%v CN=%q SKI len %d, want CA ca.org1.example.com with a 32-byte SKI", caCert.IsCA, caCert.Subject.CommonName, len(caCert.SubjectKeyId))
	}
	tests := []struct {
		name string
		id   func() *SigningIdentity
		cn   string
		ou   string
		role msp.MSPRole_MSPRoleType
	}{
		{"the peer has OU peer", org.Peer, "peer0.org1.example.com", OUPeer, msp.MSPRole_PEER},
		{"the admin has OU admin", func() *SigningIdentity { return mustIdentity(t, org, "Admin") }, "Admin@org1.example.com", OUAdmin, msp.MSPRole_ADMIN},
		{"user1 has OU client", func() *SigningIdentity { return mustIdentity(t, org, "User1") }, "User1@org1.example.com", OUClient, msp.MSPRole_CLIENT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.id()
			c := id.Certificate()
			if c.Subject.CommonName != tt.cn {
				t.Errorf("CN = %q, want %q", c.Subject.CommonName, tt.cn)
			}
			if !slices.Equal(c.Subject.OrganizationalUnit, []string{tt.ou}) {
				t.Errorf("OU = %v, want [%s]", c.Subject.OrganizationalUnit, tt.ou)
			}
			pub, ok := c.PublicKey.(*ecdsa.PublicKey)
			if !ok || pub.Curve.Params().Name != "P-256" {
				t.Errorf("public key %T, want ECDSA P-256", c.PublicKey)
			}
			if c.SignatureAlgorithm != x509.ECDSAWithSHA256 {
				t.Errorf("signature algorithm %v, want ECDSA-SHA256", c.SignatureAlgorithm)
			}
			if !bytes.Equal(c.AuthorityKeyId, caCert.SubjectKeyId) || len(c.SubjectKeyId) != 32 {
				t.Errorf("AKI/SKI not set as Fabric's tools set them")
			}
			if id.MSPID() != "Org1MSP" {
				t.Errorf("MSPID = %q", id.MSPID())
			}
			verified, err := org.MSP().DeserializeIdentity(id.Serialize())
			if err != nil {
				t.Fatalf("own MSP refuses %s: %v", tt.cn, err)
			}
			if verified.Role() != tt.role {
				t.Errorf("Role = %v, want %v", verified.Role(), tt.role)
			}
		})
	}
	tlsCert, err := org.PeerTLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(tlsCert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: org.TLSRootCAs(), DNSName: "localhost"}); err != nil {
		t.Errorf("peer TLS certificate does not verify for localhost against the TLS CA: %v", err)
	}
	if !slices.Contains(leaf.DNSNames, "peer0.org1.example.com") {
		t.Errorf("peer TLS SANs %v lack peer0.org1.example.com", leaf.DNSNames)
	}
}

func TestEnsureOrgLoadsWhatItCreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "org1")
	cfg := DefaultConfig()
	first, err := EnsureOrg(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	second, err := EnsureOrg(dir, cfg)
	if err != nil {
		t.Fatalf("second EnsureOrg: %v", err)
	}
	if !bytes.Equal(first.Peer().Serialize(), second.Peer().Serialize()) {
		t.Error("the peer identity changed on reload: EnsureOrg must not recreate an existing org")
	}
	if !bytes.Equal(first.MSPConfig().RootCerts[0], second.MSPConfig().RootCerts[0]) {
		t.Error("the CA changed on reload")
	}
	// An identity signed by the first load verifies with the second's MSP.
	sig, err := first.Peer().Sign([]byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := second.MSP().Verify(first.Peer().Serialize(), []byte("hello"), sig); err != nil {
		t.Errorf("verify across reload: %v", err)
	}
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("temporary folders left behind: %d entries next to the org", len(entries))
	}
}

func TestEnsureOrgCreatesInAnExistingEmptyFolder(t *testing.T) {
	dir := t.TempDir()
	if _, err := EnsureOrg(dir, DefaultConfig()); err != nil {
		t.Fatalf("EnsureOrg on an empty folder: %v", err)
	}
}

func TestLoadOrgRefusesAForeignFolder(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
		cfg     func() Config
		wantErr string
	}{
		{
			name:    "a non-empty folder that is not an org",
			prepare: func(t *testing.T, dir string) { writeTestFile(t, filepath.Join(dir, "notes.txt"), "hi") },
			cfg:     DefaultConfig,
			wantErr: "not an organisation for domain org1.example.com",
		},
		{
			name: "an org created for another domain",
			prepare: func(t *testing.T, dir string) {
				cfg := DefaultConfig()
				cfg.Domain = "org2.example.com"
				if _, err := EnsureOrg(dir, cfg); err != nil {
					t.Fatal(err)
				}
			},
			cfg:     DefaultConfig,
			wantErr: "no ca.org1.example.com-cert.pem in ca/",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "org")
			tt.prepare(t, dir)
			_, err := EnsureOrg(dir, tt.cfg())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"the default config is valid", func(*Config) {}, ""},
		{"an empty MSP ID is refused", func(c *Config) { c.MSPID = "" }, `MSPID ""`},
		{"an MSP ID with a slash is refused", func(c *Config) { c.MSPID = "Org/1" }, `MSPID "Org/1"`},
		{"a domain with a space is refused", func(c *Config) { c.Domain = "org 1" }, `Domain "org 1"`},
		{"a peer name with a dot is refused", func(c *Config) { c.PeerName = "peer0.org1" }, `PeerName "peer0.org1"`},
		{"an empty extra host is refused", func(c *Config) { c.Hosts = []string{""} }, `Hosts[0] ""`},
		{"a validity under an hour is refused", func(c *Config) { c.Validity = time.Minute }, "Validity 1m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.mutate(&cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

// creatorStub is the one method cid needs from a chaincode stub.
type creatorStub struct{ creator []byte }

func (s creatorStub) GetCreator() ([]byte, error) { return s.creator, nil }

func TestIssuedAttributesAreReadByFabricCID(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	tests := []struct {
		name      string
		id        string
		attrs     map[string]string
		admin     bool
		wantAttrs map[string]string
		wantOUs   []string
		wantRole  msp.MSPRole_MSPRoleType
	}{
		{
			name:      "a client with custom attributes",
			id:        "alice",
			attrs:     map[string]string{"role": "auditor", "level": "3"},
			wantAttrs: map[string]string{"role": "auditor", "level": "3", "hf.EnrollmentID": "alice", "hf.Type": "client", "hf.Affiliation": ""},
			wantOUs:   []string{"client"},
			wantRole:  msp.MSPRole_CLIENT,
		},
		{
			name:      "an admin with an affiliation",
			id:        "bob",
			attrs:     map[string]string{"hf.Affiliation": "org1.department1"},
			admin:     true,
			wantAttrs: map[string]string{"hf.EnrollmentID": "bob", "hf.Type": "admin", "hf.Affiliation": "org1.department1"},
			wantOUs:   []string{"admin", "org1", "department1"},
			wantRole:  msp.MSPRole_ADMIN,
		},
		{
			name:      "an identity without attributes still has Fabric CA's hf attributes",
			id:        "carol",
			wantAttrs: map[string]string{"hf.EnrollmentID": "carol", "hf.Type": "client", "hf.Affiliation": ""},
			wantOUs:   []string{"client"},
			wantRole:  msp.MSPRole_CLIENT,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := org.IssueIdentity(tt.id, tt.attrs, tt.admin)
			if err != nil {
				t.Fatalf("IssueIdentity: %v", err)
			}
			cl, err := cid.New(creatorStub{creator: id.Serialize()})
			if err != nil {
				t.Fatalf("cid.New: %v", err)
			}
			for name, want := range tt.wantAttrs {
				got, found, err := cl.GetAttributeValue(name)
				if err != nil || !found || got != want {
					t.Errorf("GetAttributeValue(%q) = %q, %v, %v; want %q, true, nil", name, got, found, err, want)
				}
			}
			if _, found, _ := cl.GetAttributeValue("absent"); found {
				t.Error("GetAttributeValue(absent) found")
			}
			if mspID, _ := cl.GetMSPID(); mspID != "Org1MSP" {
				t.Errorf("GetMSPID = %q", mspID)
			}
			if ok, err := cid.HasOUValue(creatorStub{creator: id.Serialize()}, tt.wantOUs[0]); err != nil || !ok {
				t.Errorf("HasOUValue(%q) = %v, %v", tt.wantOUs[0], ok, err)
			}
			cert, _ := cl.GetX509Certificate()
			// The OUs form one multi-valued RDN, a DER SET: stored sorted, as
			// in Fabric CA's certificates.
			gotOUs := slices.Sorted(slices.Values(cert.Subject.OrganizationalUnit))
			if cert.Subject.CommonName != tt.id || !slices.Equal(gotOUs, slices.Sorted(slices.Values(tt.wantOUs))) {
				t.Errorf("subject CN=%q OU=%v, want CN=%q OU=%v", cert.Subject.CommonName, cert.Subject.OrganizationalUnit, tt.id, tt.wantOUs)
			}
			for _, ext := range cert.Extensions {
				if ext.Id.Equal(AttributeOID()) && ext.Critical {
					t.Error("attribute extension is critical; Fabric CA marks it non-critical")
				}
			}
			verified, err := org.MSP().DeserializeIdentity(id.Serialize())
			if err != nil {
				t.Fatalf("MSP refuses the issued identity: %v", err)
			}
			if verified.Role() != tt.wantRole {
				t.Errorf("Role = %v, want %v", verified.Role(), tt.wantRole)
			}
			reloaded := mustIdentity(t, org, tt.id)
			if !bytes.Equal(reloaded.Serialize(), id.Serialize()) {
				t.Error("Identity(name) does not load the issued identity back")
			}
		})
	}
}

func TestIssueIdentityRefusesBadRequests(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	if _, err := org.IssueIdentity("dave", nil, false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		id      string
		attrs   map[string]string
		wantErr string
		wantIs  error
	}{
		{"an existing name", "dave", nil, "identity already exists", ErrIdentityExists},
		{"cryptogen's User1", "User1", nil, "identity already exists", ErrIdentityExists},
		{"an empty name", "", nil, "identity name is empty", nil},
		{"a path in the name", "../evil", nil, "must not start with '.'", nil},
		{"a slash in the name", "a/b", nil, `has character '/'`, nil},
		{"setting hf.Type", "erin", map[string]string{"hf.Type": "peer"}, "hf.Type is set by the CA", nil},
		{"setting hf.EnrollmentID", "erin", map[string]string{"hf.EnrollmentID": "x"}, "hf.EnrollmentID is set by the CA", nil},
		{"an empty affiliation part", "erin", map[string]string{"hf.Affiliation": "org1..dep"}, "empty part", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := org.IssueIdentity(tt.id, tt.attrs, false)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
		})
	}
	if _, err := org.Identity("nobody"); !errors.Is(err, ErrIdentityNotFound) {
		t.Errorf("Identity(nobody) = %v, want ErrIdentityNotFound", err)
	}
	names, err := org.Identities()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Admin@org1.example.com", "User1@org1.example.com", "dave@org1.example.com"}; !slices.Equal(names, want) {
		t.Errorf("Identities = %v, want %v (no temporary folders)", names, want)
	}
}

func TestIssueIdentityConcurrentlyGivesOneWinner(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	const n = 4
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := org.IssueIdentity("frank", nil, false)
			errs <- err
		}()
	}
	var ok int
	for range n {
		if err := <-errs; err == nil {
			ok++
		} else if !errors.Is(err, ErrIdentityExists) {
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d issues succeeded, want exactly 1", ok)
	}
}

func TestLoadMSPConfigWithAdmincertsAndNoNodeOUs(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	admin := mustIdentity(t, org, "Admin")
	user := mustIdentity(t, org, "User1")
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "cacerts", "ca.pem"), string(org.MSPConfig().RootCerts[0]))
	writeTestFile(t, filepath.Join(dir, "admincerts", "admin.pem"), string(user.CertificatePEM()))
	cfg, err := LoadMSPConfig(dir, "Org1MSP")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NodeOUs != nil {
		t.Fatal("NodeOUs enabled without config.yaml")
	}
	m, err := NewMSP([]MSPConfig{cfg})
	if err != nil {
		t.Fatal(err)
	}
	u, err := m.DeserializeIdentity(user.Serialize())
	if err != nil {
		t.Fatal(err)
	}
	if u.Role() != msp.MSPRole_ADMIN {
		t.Errorf("User1 listed in admincerts: Role = %v, want ADMIN", u.Role())
	}
	a, err := m.DeserializeIdentity(admin.Serialize())
	if err != nil {
		t.Fatal(err)
	}
	if a.Role() != msp.MSPRole_MEMBER {
		t.Errorf("Admin not in admincerts, NodeOUs off: Role = %v, want MEMBER", a.Role())
	}
	err = m.SatisfiesPrincipal(u, RolePrincipal("Org1MSP", msp.MSPRole_CLIENT))
	if err == nil || !strings.Contains(err.Error(), "NodeOUs not activated") {
		t.Errorf("CLIENT principal without NodeOUs: %v", err)
	}
}

func TestLoadSigningIdentityFromPeerMSPFolder(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	id, err := LoadSigningIdentity(org.PeerMSPDir(), "Org1MSP")
	if err != nil {
		t.Fatal(err)
	}
	if id.Name() != "peer0.org1.example.com" {
		t.Errorf("Name = %q", id.Name())
	}
	cfg, err := LoadMSPConfig(org.PeerMSPDir(), "Org1MSP")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NodeOUs == nil || cfg.NodeOUs.Peer.OrganizationalUnitIdentifier != "peer" || len(cfg.NodeOUs.Peer.Certificate) == 0 {
		t.Errorf("NodeOUs from the peer's config.yaml = %+v", cfg.NodeOUs)
	}
	if _, err := LoadSigningIdentity(t.TempDir(), "Org1MSP"); !errors.Is(err, ErrIdentityNotFound) {
		t.Errorf("empty folder: %v, want ErrIdentityNotFound", err)
	}
}

func TestEnsureOrgConcurrentlyAgreesOnOneOrg(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "org1")
	const n = 3
	type result struct {
		org *Org
		err error
	}
	results := make(chan result, n)
	for range n {
		go func() {
			org, err := EnsureOrg(dir, DefaultConfig())
			results <- result{org, err}
		}()
	}
	var peers [][]byte
	for range n {
		r := <-results
		if r.err != nil {
			t.Fatalf("EnsureOrg: %v", r.err)
		}
		peers = append(peers, r.org.Peer().Serialize())
	}
	final, err := LoadOrg(dir, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range peers {
		if !bytes.Equal(p, final.Peer().Serialize()) {
			t.Errorf("caller %d got a peer identity that is not the one on disk", i)
		}
	}
}
