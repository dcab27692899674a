package identity

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Config describes the organisation the peer creates on first start.
type Config struct {
	// MSPID is the organisation's MSP ID.
	MSPID string `envconfig:"MSPID" default:"Org1MSP"`
	// Domain is the organisation's domain; names derive from it
	// (ca.<domain>, peer0.<domain>, Admin@<domain>).
	Domain string `envconfig:"DOMAIN" default:"org1.example.com"`
	// PeerName is the peer's host label, e.g. peer0 for peer0.<domain>.
	PeerName string `envconfig:"PEER_NAME" default:"peer0"`
	// Hosts are extra subject alternative names of the peer's TLS server
	// certificate (its own names are always included).
	Hosts []string `envconfig:"TLS_HOSTS" default:"localhost,127.0.0.1"`
	// Validity is how long the CAs and certificates are valid.
	Validity time.Duration `envconfig:"CERT_VALIDITY" default:"87600h"`
	// Deterministic, when set, makes the organisation's keys, certificates
	// and proposals reproducible (test kits; see Deterministic).
	Deterministic *Deterministic `ignored:"true"`
}

// DefaultConfig returns the configuration of Fabric's test network's first
// organisation: Org1MSP, org1.example.com, peer0.
func DefaultConfig() Config {
	return Config{
		MSPID:    "Org1MSP",
		Domain:   "org1.example.com",
		PeerName: "peer0",
		Hosts:    []string{"localhost", "127.0.0.1"},
		Validity: 10 * 365 * 24 * time.Hour,
	}
}

// Validate names the first bad field and its value.
func (c Config) Validate() error {
	if c.MSPID == "" || strings.ContainsAny(c.MSPID, " \t\r\n/\\") {
		return fmt.Errorf("identity config: MSPID %q must be non-empty without spaces or slashes, e.g. Org1MSP", c.MSPID)
	}
	if !validHostname(c.Domain) {
		return fmt.Errorf("identity config: Domain %q is not a host name, e.g. org1.example.com", c.Domain)
	}
	if c.PeerName == "" || strings.Contains(c.PeerName, ".") || !validHostname(c.PeerName) {
		return fmt.Errorf("identity config: PeerName %q must be a single host label, e.g. peer0", c.PeerName)
	}
	for i, h := range c.Hosts {
		if strings.TrimSpace(h) == "" || strings.ContainsAny(h, " \t/") {
			return fmt.Errorf("identity config: Hosts[%d] %q is not a host name or IP address", i, h)
		}
	}
	if c.Validity < time.Hour {
		return fmt.Errorf("identity config: Validity %s is too short: use at least 1h (default 87600h)", c.Validity)
	}
	return nil
}

func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return false
			}
		}
	}
	return true
}

// Org is an organisation in the folder layout of Fabric's cryptogen
// (crypto-config/peerOrganizations/<domain>):
//
//	ca/ca.<domain>-cert.pem, ca/priv_sk             signing CA
//	tlsca/tlsca.<domain>-cert.pem, tlsca/priv_sk    TLS CA
//	msp/{cacerts,tlscacerts,config.yaml}            the organisation's MSP
//	peers/<peer>.<domain>/{msp,tls}                 the peer (tls: server.crt, server.key, ca.crt)
//	users/Admin@<domain>/{msp,tls}                  admin (tls: client.crt, client.key, ca.crt)
//	users/User1@<domain>/{msp,tls}                  a client user
//	users/<name>@<domain>/msp                       identities issued with IssueIdentity
//
// Each msp folder holds cacerts/, tlscacerts/, signcerts/, keystore/priv_sk
// and config.yaml with NodeOUs. An Org is safe for concurrent use.
type Org struct {
	dir   string
	cfg   Config
	ca    *authority
	tlsCA *authority
	peer  *SigningIdentity
	msp   *MSP
	seq   *sequence // Config.Deterministic: the proposals' nonces and times

	issueMu sync.Mutex
}

// EnsureOrg loads the organisation from dir, creating it first if dir does
// not exist or is empty. Creation writes to a temporary sibling folder and
// then moves it into place, the ca/ folder (what marks an organisation) last,
// so a crash never leaves something that loads as half an organisation.
func EnsureOrg(dir string, cfg Config) (*Org, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("ensure org %s in %s: %w", cfg.MSPID, dir, err)
	case len(entries) > 0:
		return LoadOrg(dir, cfg)
	}
	if err := createOrg(dir, cfg); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "ca")); statErr == nil {
			// Another process created it at the same time: use theirs.
			return LoadOrg(dir, cfg)
		}
		return nil, fmt.Errorf("create org %s in %s: %w", cfg.MSPID, dir, err)
	}
	return LoadOrg(dir, cfg)
}

func (c Config) subject(cn string, ous ...string) pkix.Name {
	return pkix.Name{
		Country:            []string{"US"},
		Province:           []string{"California"},
		Locality:           []string{"San Francisco"},
		OrganizationalUnit: ous,
		CommonName:         cn,
	}
}

func (c Config) peerHost() string { return c.PeerName + "." + c.Domain }

func (c Config) userFolder(name string) string {
	if strings.Contains(name, "@") {
		return name
	}
	return name + "@" + c.Domain
}

func createOrg(dir string, cfg Config) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	now := time.Now()
	if cfg.Deterministic != nil {
		now = cfg.Deterministic.Time
	}
	caSubject := cfg.subject("ca." + cfg.Domain)
	caSubject.Organization = []string{cfg.Domain}
	ca, err := newAuthority(certRequest{subject: caSubject, validity: cfg.Validity, now: now, det: cfg.Deterministic})
	if err != nil {
		return err
	}
	tlsSubject := cfg.subject("tlsca." + cfg.Domain)
	tlsSubject.Organization = []string{cfg.Domain}
	tlsCA, err := newAuthority(certRequest{subject: tlsSubject, validity: cfg.Validity, now: now, det: cfg.Deterministic})
	if err != nil {
		return err
	}
	o := &Org{dir: tmp, cfg: cfg, ca: ca, tlsCA: tlsCA}
	if err := o.writeAuthority("ca", ca); err != nil {
		return err
	}
	if err := o.writeAuthority("tlsca", tlsCA); err != nil {
		return err
	}
	if err := o.writeMSPFolder(filepath.Join(tmp, "msp")); err != nil {
		return err
	}
	peerHost := cfg.peerHost()
	if err := o.writeNode(filepath.Join(tmp, "peers", peerHost), peerHost, OUPeer, nil, true,
		append([]string{peerHost, cfg.PeerName}, cfg.Hosts...)); err != nil {
		return err
	}
	for _, u := range []struct {
		name string
		ou   string
	}{{"Admin", OUAdmin}, {"User1", OUClient}} {
		cn := cfg.userFolder(u.name)
		if err := o.writeNode(filepath.Join(tmp, "users", cn), cn, u.ou, nil, false, []string{cn, u.name}); err != nil {
			return err
		}
	}
	return moveInto(tmp, dir)
}

// moveInto moves the content of the folder tmp to dir: a rename when dir does
// not exist, else entry by entry into the (empty) dir, ca/ last.
func moveInto(tmp, dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return os.Rename(tmp, dir)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Name() != "ca" {
			names = append(names, e.Name())
		}
	}
	names = append(names, "ca")
	for _, n := range names {
		if err := os.Rename(filepath.Join(tmp, n), filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return nil
}

func (o *Org) caFile() string    { return "ca." + o.cfg.Domain + "-cert.pem" }
func (o *Org) tlsCAFile() string { return "tlsca." + o.cfg.Domain + "-cert.pem" }

func (o *Org) writeAuthority(sub string, a *authority) error {
	keyPEM, err := encodeKey(a.key)
	if err != nil {
		return err
	}
	d := filepath.Join(o.dir, sub)
	return writeFiles(map[string][]byte{
		filepath.Join(d, sub+"."+o.cfg.Domain+"-cert.pem"): a.certPEM,
		filepath.Join(d, "priv_sk"):                        keyPEM,
	})
}

// writeMSPFolder writes cacerts/, tlscacerts/ and config.yaml into dir.
func (o *Org) writeMSPFolder(dir string) error {
	return writeFiles(map[string][]byte{
		filepath.Join(dir, "cacerts", o.caFile()):       o.ca.certPEM,
		filepath.Join(dir, "tlscacerts", o.tlsCAFile()): o.tlsCA.certPEM,
		filepath.Join(dir, "config.yaml"):               nodeOUsYAML(o.caFile()),
	})
}

// writeNode writes an identity folder: msp/ with signcerts and keystore, and
// when hosts is not nil a tls/ folder (server.* for servers, client.* else).
func (o *Org) writeNode(dir, cn, ou string, attrs map[string]string, server bool, hosts []string) error {
	validity := o.cfg.Validity
	ous := []string{ou}
	if attrs != nil {
		ous = append(ous, affiliationOUs(attrs[AttrAffiliation])...)
	}
	det := o.cfg.Deterministic
	var now time.Time
	if det != nil {
		now = det.Time
	}
	certPEM, key, err := o.ca.issue(certRequest{subject: o.cfg.subject(cn, ous...), validity: validity, attrs: attrs, det: det, now: now})
	if err != nil {
		return err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return err
	}
	mspDir := filepath.Join(dir, "msp")
	if err := o.writeMSPFolder(mspDir); err != nil {
		return err
	}
	files := map[string][]byte{
		filepath.Join(mspDir, "signcerts", cn+"-cert.pem"): certPEM,
		filepath.Join(mspDir, "keystore", "priv_sk"):       keyPEM,
	}
	if hosts != nil {
		tlsCert, tlsKey, err := o.tlsCA.issue(certRequest{subject: o.cfg.subject(cn), validity: validity, tls: true, hosts: hosts, det: det, now: now})
		if err != nil {
			return err
		}
		tlsKeyPEM, err := encodeKey(tlsKey)
		if err != nil {
			return err
		}
		kind := "client"
		if server {
			kind = "server"
		}
		files[filepath.Join(dir, "tls", "ca.crt")] = o.tlsCA.certPEM
		files[filepath.Join(dir, "tls", kind+".crt")] = tlsCert
		files[filepath.Join(dir, "tls", kind+".key")] = tlsKeyPEM
	}
	return writeFiles(files)
}

// affiliationOUs splits a Fabric CA affiliation (org1.department1) into the
// OUs Fabric CA adds to the certificate.
func affiliationOUs(affiliation string) []string {
	if affiliation == "" {
		return nil
	}
	return strings.Split(affiliation, ".")
}

func writeFiles(files map[string][]byte) error {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if filepath.Base(p) == "priv_sk" || strings.HasSuffix(p, ".key") {
			mode = 0o600
		}
		if err := os.WriteFile(p, files[p], mode); err != nil {
			return err
		}
	}
	return nil
}

// LoadOrg reads an organisation EnsureOrg created. cfg must name the same
// MSP ID and domain (the MSP ID is not stored in Fabric's layout).
func LoadOrg(dir string, cfg Config) (*Org, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := &Org{dir: dir, cfg: cfg}
	if cfg.Deterministic != nil {
		o.seq = &sequence{d: cfg.Deterministic}
	}
	var err error
	o.ca, err = loadAuthority(filepath.Join(dir, "ca", o.caFile()), filepath.Join(dir, "ca", "priv_sk"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load org %s from %s: no %s in ca/: the folder is not an organisation for domain %s (created for another domain, or not by peersim)",
			cfg.MSPID, dir, o.caFile(), cfg.Domain)
	}
	if err != nil {
		return nil, fmt.Errorf("load org %s: %w", cfg.MSPID, err)
	}
	o.tlsCA, err = loadAuthority(filepath.Join(dir, "tlsca", o.tlsCAFile()), filepath.Join(dir, "tlsca", "priv_sk"))
	if err != nil {
		return nil, fmt.Errorf("load org %s: %w", cfg.MSPID, err)
	}
	mspCfg, err := LoadMSPConfig(filepath.Join(dir, "msp"), cfg.MSPID)
	if err != nil {
		return nil, fmt.Errorf("load org %s: %w", cfg.MSPID, err)
	}
	if o.msp, err = NewMSP([]MSPConfig{mspCfg}); err != nil {
		return nil, fmt.Errorf("load org %s: %w", cfg.MSPID, err)
	}
	if o.peer, err = LoadSigningIdentity(o.PeerMSPDir(), cfg.MSPID); err != nil {
		return nil, fmt.Errorf("load org %s: peer %s: %w", cfg.MSPID, cfg.peerHost(), err)
	}
	return o, nil
}

// Dir returns the organisation's folder.
func (o *Org) Dir() string { return o.dir }

// MSPID returns the organisation's MSP ID.
func (o *Org) MSPID() string { return o.cfg.MSPID }

// Config returns the configuration the organisation was loaded with.
func (o *Org) Config() Config { return o.cfg }

// MSPDir returns the organisation's msp folder (cacerts, tlscacerts,
// config.yaml): what a channel configuration points at.
func (o *Org) MSPDir() string { return filepath.Join(o.dir, "msp") }

// PeerMSPDir returns the peer's msp folder (CORE_PEER_MSPCONFIGPATH of a
// Fabric peer).
func (o *Org) PeerMSPDir() string { return filepath.Join(o.dir, "peers", o.cfg.peerHost(), "msp") }

// PeerTLSDir returns the peer's tls folder: server.crt, server.key, ca.crt.
func (o *Org) PeerTLSDir() string { return filepath.Join(o.dir, "peers", o.cfg.peerHost(), "tls") }

// UserDir returns the folder of a user, e.g. UserDir("Admin") is
// users/Admin@<domain>; it holds msp/ and, for Admin and User1, tls/.
func (o *Org) UserDir(name string) string {
	return filepath.Join(o.dir, "users", o.cfg.userFolder(name))
}

// MSPConfig returns the organisation's MSP configuration (as read from its
// msp folder).
func (o *Org) MSPConfig() MSPConfig {
	return MSPConfig{ID: o.cfg.MSPID, RootCerts: [][]byte{o.ca.certPEM}, NodeOUs: DefaultNodeOUs(o.ca.certPEM)}
}

// MSP returns an MSP that knows this organisation only.
func (o *Org) MSP() *MSP { return o.msp }

// Peer returns the peer's signing identity (CN <peer>.<domain>, OU peer).
func (o *Org) Peer() *SigningIdentity { return o.peer }

// Identity loads a user's signing identity by name: "Admin", "User1", a name
// given to IssueIdentity, or a full folder name such as
// "Admin@org1.example.com".
func (o *Org) Identity(name string) (*SigningIdentity, error) {
	if err := checkIdentityName(name); err != nil {
		return nil, err
	}
	dir := filepath.Join(o.UserDir(name), "msp")
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("identity %q of %s: %w (no folder %s): issue it first", name, o.cfg.MSPID, ErrIdentityNotFound, dir)
	}
	id, err := LoadSigningIdentity(dir, o.cfg.MSPID)
	if err != nil {
		return nil, fmt.Errorf("identity %q of %s: %w", name, o.cfg.MSPID, err)
	}
	id.seq = o.seq
	return id, nil
}

// Identities lists the user folders under users/, sorted.
func (o *Org) Identities() ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(o.dir, "users"))
	if err != nil {
		return nil, fmt.Errorf("list identities of %s: %w", o.cfg.MSPID, err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

func checkIdentityName(name string) error {
	if name == "" {
		return fmt.Errorf("identity name is empty")
	}
	if name == "." || name == ".." || strings.HasPrefix(name, ".") {
		return fmt.Errorf("identity name %q must not start with '.'", name)
	}
	for _, c := range name {
		if !(c == '.' || c == '-' || c == '_' || c == '@' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("identity name %q has character %q: use letters, digits, '.', '-', '_' and '@'", name, c)
		}
	}
	return nil
}

// IssueIdentity issues a new identity as Fabric CA enrols one and stores it
// under users/<name>@<domain>/msp. The certificate's CN is name, its OU is
// "admin" (admin true) or "client", followed by the affiliation's parts; the
// attribute extension (OID 1.2.3.4.5.6.7.8.1) holds attrs plus
// hf.EnrollmentID = name, hf.Type = admin/client and hf.Affiliation (attrs
// may set hf.Affiliation, default ""). An existing name gives
// ErrIdentityExists.
func (o *Org) IssueIdentity(name string, attrs map[string]string, admin bool) (*SigningIdentity, error) {
	if err := checkIdentityName(name); err != nil {
		return nil, fmt.Errorf("issue identity: %w", err)
	}
	typ := OUClient
	if admin {
		typ = OUAdmin
	}
	all := map[string]string{AttrAffiliation: ""}
	for k, v := range attrs {
		switch k {
		case AttrEnrollmentID, AttrType:
			return nil, fmt.Errorf("issue identity %q: attribute %s is set by the CA, remove it from attrs", name, k)
		case "":
			return nil, fmt.Errorf("issue identity %q: attribute with empty name", name)
		}
		all[k] = v
	}
	all[AttrEnrollmentID] = name
	all[AttrType] = typ
	for _, part := range affiliationOUs(all[AttrAffiliation]) {
		if part == "" {
			return nil, fmt.Errorf("issue identity %q: affiliation %q has an empty part", name, all[AttrAffiliation])
		}
	}

	o.issueMu.Lock()
	defer o.issueMu.Unlock()
	final := o.UserDir(name)
	if _, err := os.Stat(final); err == nil {
		return nil, fmt.Errorf("issue identity %q of %s: %w in %s", name, o.cfg.MSPID, ErrIdentityExists, final)
	}
	users := filepath.Join(o.dir, "users")
	if err := os.MkdirAll(users, 0o755); err != nil {
		return nil, fmt.Errorf("issue identity %q: %w", name, err)
	}
	tmp, err := os.MkdirTemp(users, ".issue-")
	if err != nil {
		return nil, fmt.Errorf("issue identity %q: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	if err := o.writeNode(tmp, name, typ, all, false, nil); err != nil {
		return nil, fmt.Errorf("issue identity %q: %w", name, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, fmt.Errorf("issue identity %q: %w", name, err)
	}
	return o.Identity(name)
}

// TLSRootCertPEM returns the organisation's TLS CA certificate (tls/ca.crt).
func (o *Org) TLSRootCertPEM() []byte { return append([]byte(nil), o.tlsCA.certPEM...) }

// TLSRootCAs returns a pool holding the organisation's TLS CA.
func (o *Org) TLSRootCAs() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(o.tlsCA.cert)
	return pool
}

// PeerTLSCertificate loads the peer's TLS server certificate and key.
func (o *Org) PeerTLSCertificate() (tls.Certificate, error) {
	d := o.PeerTLSDir()
	cert, err := tls.LoadX509KeyPair(filepath.Join(d, "server.crt"), filepath.Join(d, "server.key"))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("load peer TLS certificate from %s: %w", d, err)
	}
	return cert, nil
}
