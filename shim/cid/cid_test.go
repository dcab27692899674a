package cid_test

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

	"github.com/google/go-cmp/cmp"
	fabriccid "github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"

	"github.com/chaincodekit/chaincodekit/shim/cid"
)

// Compile-time checks that the identity type fits both interfaces.
var (
	_ cid.ClientIdentity       = (*cid.ClientID)(nil)
	_ fabriccid.ClientIdentity = (*cid.ClientID)(nil)
)

// fakeStub is a stub whose GetCreator returns fixed values.
type fakeStub struct {
	creator []byte
	err     error
}

func (s fakeStub) GetCreator() ([]byte, error) { return s.creator, s.err }

// attrsOID is the extension Fabric CA puts attributes into.
var attrsOID = asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}

// testCA issues certificates for the tests.
type testCA struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

func newTestCA(t *testing.T, subject pkix.Name) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate CA key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               subject,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("create CA certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse CA certificate: %v", err)
	}
	return testCA{key: key, cert: cert}
}

// issue returns the DER of a leaf certificate; edit adjusts its template.
func (ca testCA) issue(t *testing.T, subject pkix.Name, edit func(*x509.Certificate)) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate leaf key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      subject,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if edit != nil {
		edit(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("create leaf certificate: %v", err)
	}
	return der
}

func withAttrs(value string) func(*x509.Certificate) {
	return func(c *x509.Certificate) {
		c.ExtraExtensions = append(c.ExtraExtensions, pkix.Extension{Id: attrsOID, Value: []byte(value)})
	}
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func serializedIdentity(t *testing.T, mspID string, idBytes []byte) []byte {
	t.Helper()
	b, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: idBytes})
	if err != nil {
		t.Fatalf("marshal serialized identity: %v", err)
	}
	return b
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatalf("marshal %T: %v", m, err)
	}
	return b
}

func idemixIdentity(t *testing.T, ou string, role msp.MSPRole_MSPRoleType) []byte {
	t.Helper()
	return mustMarshal(t, &msp.SerializedIdemixIdentity{
		NymX:  []byte("x"),
		NymY:  []byte("y"),
		Ou:    mustMarshal(t, &msp.OrganizationUnit{MspIdentifier: "Org1MSP", OrganizationalUnitIdentifier: ou}),
		Role:  mustMarshal(t, &msp.MSPRole{MspIdentifier: "Org1MSP", Role: role}),
		Proof: []byte("proof"),
	})
}

// observation is everything a chaincode can learn from one creator, through
// the package functions and through ClientID's methods.
type observation struct {
	NewErr       string
	ID, IDErr    string
	MSPID        string
	MSPIDErr     string
	Attrs        []attrObservation
	OUs          []ouObservation
	CertRaw      []byte
	CertErr      string
	FuncsAgree   bool
	FuncsMessage string
}

type attrObservation struct {
	Name, Value, Err             string
	Found                        bool
	AssertRightErr, AssertBadErr string
}

type ouObservation struct {
	OU  string
	Has bool
	Err string
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

var (
	probeAttrs = []string{"hf.EnrollmentID", "hf.Type", "role", "ou", "email", "missing", ""}
	probeOUs   = []string{"client", "org1", "department1", "peer", ""}
)

// funcs is the package-level API of either cid package.
type funcs struct {
	getID       func() (string, error)
	getMSPID    func() (string, error)
	getAttr     func(string) (string, bool, error)
	assertAttr  func(string, string) error
	hasOU       func(string) (bool, error)
	getCert     func() (*x509.Certificate, error)
	identity    func() (fabriccid.ClientIdentity, error)
	hasOUMethod func(fabriccid.ClientIdentity, string) (bool, error)
}

func ours(stub fakeStub) funcs {
	return funcs{
		getID:      func() (string, error) { return cid.GetID(stub) },
		getMSPID:   func() (string, error) { return cid.GetMSPID(stub) },
		getAttr:    func(n string) (string, bool, error) { return cid.GetAttributeValue(stub, n) },
		assertAttr: func(n, v string) error { return cid.AssertAttributeValue(stub, n, v) },
		hasOU:      func(ou string) (bool, error) { return cid.HasOUValue(stub, ou) },
		getCert:    func() (*x509.Certificate, error) { return cid.GetX509Certificate(stub) },
		identity: func() (fabriccid.ClientIdentity, error) {
			c, err := cid.New(stub)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		hasOUMethod: func(c fabriccid.ClientIdentity, ou string) (bool, error) { return c.(*cid.ClientID).HasOUValue(ou) },
	}
}

func fabrics(stub fakeStub) funcs {
	return funcs{
		getID:      func() (string, error) { return fabriccid.GetID(stub) },
		getMSPID:   func() (string, error) { return fabriccid.GetMSPID(stub) },
		getAttr:    func(n string) (string, bool, error) { return fabriccid.GetAttributeValue(stub, n) },
		assertAttr: func(n, v string) error { return fabriccid.AssertAttributeValue(stub, n, v) },
		hasOU:      func(ou string) (bool, error) { return fabriccid.HasOUValue(stub, ou) },
		getCert:    func() (*x509.Certificate, error) { return fabriccid.GetX509Certificate(stub) },
		identity: func() (fabriccid.ClientIdentity, error) {
			c, err := fabriccid.New(stub)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		hasOUMethod: func(c fabriccid.ClientIdentity, ou string) (bool, error) {
			return c.(*fabriccid.ClientID).HasOUValue(ou)
		},
	}
}

// observe asks f everything, once through the package functions and once
// through the identity's methods, and records whether the two agree.
func observe(f funcs) observation {
	var o observation
	id, idErr := f.getID()
	o.ID, o.IDErr = id, errText(idErr)
	mspID, mspErr := f.getMSPID()
	o.MSPID, o.MSPIDErr = mspID, errText(mspErr)
	for _, name := range probeAttrs {
		v, found, err := f.getAttr(name)
		o.Attrs = append(o.Attrs, attrObservation{
			Name: name, Value: v, Found: found, Err: errText(err),
			AssertRightErr: errText(f.assertAttr(name, v)),
			AssertBadErr:   errText(f.assertAttr(name, v+"-other")),
		})
	}
	for _, ou := range probeOUs {
		has, err := f.hasOU(ou)
		o.OUs = append(o.OUs, ouObservation{OU: ou, Has: has, Err: errText(err)})
	}
	cert, certErr := f.getCert()
	if cert != nil {
		o.CertRaw = cert.Raw
	}
	o.CertErr = errText(certErr)

	c, err := f.identity()
	o.NewErr = errText(err)
	o.FuncsAgree, o.FuncsMessage = true, ""
	if err != nil {
		return o
	}
	disagree := func(what string) {
		o.FuncsAgree, o.FuncsMessage = false, what
	}
	if mid, err := c.GetID(); mid != o.ID || errText(err) != o.IDErr {
		disagree("GetID")
	}
	if m, err := c.GetMSPID(); m != o.MSPID || errText(err) != o.MSPIDErr {
		disagree("GetMSPID")
	}
	for _, a := range o.Attrs {
		v, found, err := c.GetAttributeValue(a.Name)
		if v != a.Value || found != a.Found || errText(err) != a.Err ||
			errText(c.AssertAttributeValue(a.Name, a.Value)) != a.AssertRightErr ||
			errText(c.AssertAttributeValue(a.Name, a.Value+"-other")) != a.AssertBadErr {
			disagree("attribute " + a.Name)
		}
	}
	for _, ou := range o.OUs {
		if has, err := f.hasOUMethod(c, ou.OU); has != ou.Has || errText(err) != ou.Err {
			disagree("OU " + ou.OU)
		}
	}
	if cert, err := c.GetX509Certificate(); (cert == nil) != (o.CertRaw == nil) || errText(err) != o.CertErr {
		disagree("GetX509Certificate")
	}
	return o
}

type creatorCase struct {
	name    string
	creator []byte
	err     error
	// check, when set, asserts something about our observation beyond
	// agreeing with Fabric, so that a case cannot pass by both failing.
	check func(t *testing.T, o observation)
}

func creatorCases(t *testing.T) []creatorCase {
	ca := newTestCA(t, pkix.Name{
		Country: []string{"US"}, Province: []string{"North Carolina"}, Locality: []string{"Durham"},
		StreetAddress: []string{"1 Main St"}, PostalCode: []string{"27701"},
		Organization: []string{"org1.example.com"}, CommonName: "ca.org1.example.com", SerialNumber: "42",
	})
	client := pkix.Name{
		Organization:       []string{"org1.example.com"},
		OrganizationalUnit: []string{"client", "org1", "department1"},
		CommonName:         "user1",
	}
	fabricCAAttrs := `{"attrs":{"hf.Affiliation":"org1.department1","hf.EnrollmentID":"user1","hf.Type":"client","role":"auditor"}}`
	enrolled := ca.issue(t, client, withAttrs(fabricCAAttrs))

	wantAttr := func(name, value string) func(*testing.T, observation) {
		return func(t *testing.T, o observation) {
			t.Helper()
			for _, a := range o.Attrs {
				if a.Name == name {
					if !a.Found || a.Value != value {
						t.Errorf("attribute %q = %q (found %v), want %q", name, a.Value, a.Found, value)
					}
					return
				}
			}
			t.Errorf("attribute %q not probed", name)
		}
	}
	wantErr := func(substr string) func(*testing.T, observation) {
		return func(t *testing.T, o observation) {
			t.Helper()
			if !strings.Contains(o.NewErr, substr) {
				t.Errorf("New error = %q, want it to contain %q", o.NewErr, substr)
			}
		}
	}
	multiValuedRDN, err := asn1.Marshal(pkix.RDNSequence{{
		{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "multi"},
		{Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: "client"},
	}})
	if err != nil {
		t.Fatalf("marshal multi-valued RDN: %v", err)
	}

	return []creatorCase{
		{
			name:    "an identity enrolled by Fabric CA with attributes and OUs",
			creator: serializedIdentity(t, "Org1MSP", pemBlock("CERTIFICATE", enrolled)),
			check:   wantAttr("hf.EnrollmentID", "user1"),
		},
		{
			name:    "a certificate without an attributes extension",
			creator: serializedIdentity(t, "Org1MSP", pemBlock("CERTIFICATE", ca.issue(t, client, nil))),
		},
		{
			name:    "a certificate whose attributes extension is not JSON",
			creator: serializedIdentity(t, "Org1MSP", pemBlock("CERTIFICATE", ca.issue(t, client, withAttrs("attrs=role:auditor")))),
			check:   wantErr("failed to unmarshal attributes from certificate"),
		},
		{
			name:    "a certificate whose attribute value is a number",
			creator: serializedIdentity(t, "Org1MSP", pemBlock("CERTIFICATE", ca.issue(t, client, withAttrs(`{"attrs":{"level":3}}`)))),
			check:   wantErr("failed to unmarshal attributes from certificate"),
		},
		{
			name:    "a certificate whose attributes are null",
			creator: serializedIdentity(t, "Org1MSP", pemBlock("CERTIFICATE", ca.issue(t, client, withAttrs(`{"attrs":null}`)))),
		},
		{
			name:    "a certificate whose attributes key is upper case",
			creator: serializedIdentity(t, "Org1MSP", pemBlock("CERTIFICATE", ca.issue(t, client, withAttrs(`{"ATTRS":{"role":"auditor"}}`)))),
			check:   wantAttr("role", "auditor"),
		},
		{
			name:    "a certificate whose attributes extension is empty",
			creator: serializedIdentity(t, "Org1MSP", pemBlock("CERTIFICATE", ca.issue(t, client, withAttrs("")))),
		},
		{
			name: "a subject whose values need RFC 2253 escaping",
			creator: serializedIdentity(t, "Org1MSP", pemBlock("CERTIFICATE", ca.issue(t, pkix.Name{
				CommonName:         "#lead, trail ",
				Organization:       []string{`a+b;c<d>"e\f`},
				OrganizationalUnit: []string{" ", "héllo wörld"},
			}, nil))),
		},
		{
			name: "a subject with attributes pkix.Name has no field for",
			creator: serializedIdentity(t, "Org1MSP", pemBlock("CERTIFICATE", ca.issue(t, pkix.Name{
				CommonName: "user2",
				ExtraNames: []pkix.AttributeTypeAndValue{
					{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "user2@example.com"},
					{Type: asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}, Value: "uid2"},
				},
			}, nil))),
		},
		{
			name: "a subject with a multi-valued RDN",
			creator: serializedIdentity(t, "Org1MSP", pemBlock("CERTIFICATE", ca.issue(t, pkix.Name{}, func(c *x509.Certificate) {
				c.RawSubject = multiValuedRDN
			}))),
		},
		{
			name:    "a certificate in a PEM block of another type after some text",
			creator: serializedIdentity(t, "Org1MSP", append([]byte("issued by ca.org1\n"), pemBlock("TRUSTED CERTIFICATE", enrolled)...)),
			check:   wantAttr("role", "auditor"),
		},
		{
			name:    "a PEM block that holds no certificate",
			creator: serializedIdentity(t, "Org1MSP", pemBlock("CERTIFICATE", []byte("not a certificate"))),
			check:   wantErr("failed to parse certificate"),
		},
		{
			name:    "a DER certificate without PEM armour",
			creator: serializedIdentity(t, "Org1MSP", enrolled),
		},
		{
			name:    "an idemix client in an OU",
			creator: serializedIdentity(t, "IdemixOrgMSP", idemixIdentity(t, "department1", msp.MSPRole_CLIENT)),
			check:   wantAttr("role", "client"),
		},
		{
			name:    "an idemix member",
			creator: serializedIdentity(t, "IdemixOrgMSP", idemixIdentity(t, "department1", msp.MSPRole_MEMBER)),
			check:   wantAttr("role", "member"),
		},
		{
			name:    "an idemix admin",
			creator: serializedIdentity(t, "IdemixOrgMSP", idemixIdentity(t, "", msp.MSPRole_ADMIN)),
			check:   wantAttr("role", "admin"),
		},
		{
			name:    "an idemix peer",
			creator: serializedIdentity(t, "IdemixOrgMSP", idemixIdentity(t, "peers", msp.MSPRole_PEER)),
			check:   wantAttr("role", "peer"),
		},
		{
			name:    "an idemix orderer, a role idemix does not name",
			creator: serializedIdentity(t, "IdemixOrgMSP", idemixIdentity(t, "orderers", msp.MSPRole_ORDERER)),
			check:   wantAttr("role", ""),
		},
		{
			name:    "an idemix identity with an unknown role number",
			creator: serializedIdentity(t, "IdemixOrgMSP", idemixIdentity(t, "x", msp.MSPRole_MSPRoleType(99))),
		},
		{
			name:    "empty identity bytes, which read as an idemix member",
			creator: serializedIdentity(t, "Org1MSP", nil),
			check:   wantAttr("role", "member"),
		},
		{
			name:    "identity bytes that are neither PEM nor protobuf",
			creator: serializedIdentity(t, "Org1MSP", []byte{0xff, 0xff, 0xff}),
			check:   wantErr("identity bytes are neither X509 PEM format nor an idemix credential"),
		},
		{
			name:    "an idemix identity whose OU is not protobuf",
			creator: serializedIdentity(t, "IdemixOrgMSP", mustMarshal(t, &msp.SerializedIdemixIdentity{Ou: []byte{0xff}})),
			check:   wantErr("failed to unmarshal transaction invoker's ou"),
		},
		{
			name:    "an idemix identity whose role is not protobuf",
			creator: serializedIdentity(t, "IdemixOrgMSP", mustMarshal(t, &msp.SerializedIdemixIdentity{Role: []byte{0xff}})),
			check:   wantErr("failed to unmarshal transaction invoker's role"),
		},
		{
			name:    "a creator that is not a serialized identity",
			creator: []byte{0xff, 0xff},
			check:   wantErr("failed to unmarshal transaction invoker's identity"),
		},
		{
			name:    "an empty creator",
			creator: []byte{},
		},
		{
			name:  "a stub that fails to return the creator",
			err:   errors.New("stub is closed"),
			check: wantErr("stub is closed"),
		},
	}
}

func TestBehavesLikeFabricsCid(t *testing.T) {
	for _, tc := range creatorCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			stub := fakeStub{creator: tc.creator, err: tc.err}
			want := observe(fabrics(stub))
			got := observe(ours(stub))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("differs from Fabric's cid (-fabric +ours):\n%s", diff)
			}
			if !got.FuncsAgree {
				t.Errorf("package function and ClientID method disagree on %s", got.FuncsMessage)
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

func TestNilCreatorSaysTheStubHasNone(t *testing.T) {
	_, err := cid.New(fakeStub{})
	if err == nil {
		t.Fatal("New with a nil creator succeeded, want an error")
	}
	if want := "the stub has no creator"; !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}
	if _, fabricErr := fabriccid.New(fakeStub{}); fabricErr == nil {
		t.Errorf("Fabric's New with a nil creator succeeded; the two now differ in more than the text")
	}
}

func TestGetCreatorErrorIsWrapped(t *testing.T) {
	cause := errors.New("stub is closed")
	_, err := cid.New(fakeStub{err: cause})
	if !errors.Is(err, cause) {
		t.Errorf("New error = %v, want it to wrap %v", err, cause)
	}
}

func TestEnrolledIdentity(t *testing.T) {
	ca := newTestCA(t, pkix.Name{Organization: []string{"org1.example.com"}, CommonName: "ca.org1.example.com"})
	der := ca.issue(t, pkix.Name{
		Organization:       []string{"org1.example.com"},
		OrganizationalUnit: []string{"client"},
		CommonName:         "user1",
	}, withAttrs(`{"attrs":{"hf.EnrollmentID":"user1","role":"auditor"}}`))
	stub := fakeStub{creator: serializedIdentity(t, "Org1MSP", pemBlock("CERTIFICATE", der))}

	c, err := cid.New(stub)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tests := []struct {
		name string
		got  func() (any, error)
		want any
	}{
		{"the ID is base64 of x509::subject::issuer", func() (any, error) { return c.GetID() },
			"eDUwOTo6Q049dXNlcjEsT1U9Y2xpZW50LE89b3JnMS5leGFtcGxlLmNvbTo6Q049Y2Eub3JnMS5leGFtcGxlLmNvbSxPPW9yZzEuZXhhbXBsZS5jb20="},
		{"the MSP ID is the serialized identity's", func() (any, error) { return c.GetMSPID() }, "Org1MSP"},
		{"a present attribute asserts", func() (any, error) { return nil, c.AssertAttributeValue("role", "auditor") }, nil},
		{"an OU of the subject is found", func() (any, error) { return c.HasOUValue("client") }, true},
		{"an OU of the subject only in another case is not found", func() (any, error) { return c.HasOUValue("Client") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.got()
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if got, want := errText(c.AssertAttributeValue("role", "admin")), "attribute 'role' equals 'auditor', not 'admin'"; got != want {
		t.Errorf("wrong value error = %q, want %q", got, want)
	}
	if got, want := errText(c.AssertAttributeValue("dept", "x")), "attribute 'dept' was not found"; got != want {
		t.Errorf("missing attribute error = %q, want %q", got, want)
	}
}
