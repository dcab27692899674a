package identity

import (
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
)

func TestParseNodeOUs(t *testing.T) {
	tests := []struct {
		name       string
		yaml       string
		wantEnable bool
		wantClient string
		wantCert   string
		wantErr    string
	}{
		{
			name:       "cryptogen's file",
			yaml:       string(nodeOUsYAML("ca.org1.example.com-cert.pem")),
			wantEnable: true,
			wantClient: "client",
			wantCert:   "cacerts/ca.org1.example.com-cert.pem",
		},
		{
			name: "a Fabric CA style file with comments, quotes and another section first",
			yaml: `# written by hand
OrganizationalUnitIdentifiers:
  - Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: COP
NodeOUs:
  Enable: true   # on
  ClientOUIdentifier:
    Certificate: "cacerts/localhost-7054-ca-org1.pem"
    OrganizationalUnitIdentifier: 'client'
`,
			wantEnable: true,
			wantClient: "client",
			wantCert:   "cacerts/localhost-7054-ca-org1.pem",
		},
		{
			name: "NodeOUs switched off",
			yaml: "NodeOUs:\n  Enable: false\n",
		},
		{
			name:    "an Enable that is not a boolean",
			yaml:    "NodeOUs:\n  Enable: yes please\n",
			wantErr: `NodeOUs.Enable must be true or false, got "yes please"`,
		},
		{
			name:    "a line without a colon inside NodeOUs",
			yaml:    "NodeOUs:\n  Enable true\n",
			wantErr: "line 2: expected 'key: value'",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseNodeOUs([]byte(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.enable != tt.wantEnable {
				t.Errorf("enable = %v", got.enable)
			}
			client := got.ous["ClientOUIdentifier"]
			if client["OrganizationalUnitIdentifier"] != tt.wantClient || client["Certificate"] != tt.wantCert {
				t.Errorf("ClientOUIdentifier = %v", client)
			}
		})
	}
}

func TestNewMSPRefusesBadConfigs(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	good := org.MSPConfig()
	tests := []struct {
		name    string
		configs []MSPConfig
		wantErr string
	}{
		{"no organisation", nil, "no organisation given"},
		{"an empty ID", []MSPConfig{{RootCerts: good.RootCerts}}, "ID is empty"},
		{"no root certificate", []MSPConfig{{ID: "Org1MSP"}}, "RootCerts is empty"},
		{"a root that is not PEM", []MSPConfig{{ID: "Org1MSP", RootCerts: [][]byte{[]byte("nope")}}}, "RootCerts[0]: no PEM block"},
		{"an admin that is not PEM", []MSPConfig{{ID: "Org1MSP", RootCerts: good.RootCerts, Admins: [][]byte{[]byte("x")}}}, "Admins[0]"},
		{"the same MSP twice", []MSPConfig{good, good}, "msp id Org1MSP given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewMSP(tt.configs)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestDeserializeIdentityRefusesBadBytes(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	caPEM := org.MSPConfig().RootCerts[0]
	tests := []struct {
		name    string
		bytes   []byte
		wantErr string
	}{
		{"bytes that are not a SerializedIdentity", []byte{0xff, 0x01}, "could not deserialize a SerializedIdentity"},
		{"id bytes that are not PEM", mustMarshal(t, &msp.SerializedIdentity{Mspid: "Org1MSP", IdBytes: []byte("hello")}), "id_bytes must be a PEM certificate"},
		{"the CA certificate itself", mustMarshal(t, &msp.SerializedIdentity{Mspid: "Org1MSP", IdBytes: caPEM}), "a CA certificate (basic constraints CA=true) cannot be used as an identity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := org.MSP().DeserializeIdentity(tt.bytes)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestNodeOUsRequireExactlyOneRoleOU(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	tests := []struct {
		name    string
		ous     []string
		wantErr string
	}{
		{"no role OU", []string{"sales"}, "has none of the OUs client, peer, admin, orderer"},
		{"two role OUs", []string{"client", "peer"}, "not a combination of them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certPEM, key, err := org.ca.issue(certRequest{subject: org.cfg.subject("odd", tt.ous...), validity: 24 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			cert, err := parseCertPEM(certPEM)
			if err != nil {
				t.Fatal(err)
			}
			id, err := newSigningIdentity("Org1MSP", certPEM, cert, key)
			if err != nil {
				t.Fatal(err)
			}
			_, err = org.MSP().DeserializeIdentity(id.Serialize())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
