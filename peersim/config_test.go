package peersim

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // "" = valid
	}{
		{name: "the defaults are valid", mutate: func(*Config) {}},
		{name: "port 0 everywhere is valid", mutate: func(c *Config) {
			c.Address, c.ChaincodeAddress, c.OperationsAddress = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
		}},
		{name: "an address without a port is refused", mutate: func(c *Config) { c.Address = "localhost" }, want: `Address "localhost"`},
		{name: "clients and chaincode on one port are refused", mutate: func(c *Config) { c.ChaincodeAddress = c.Address }, want: "must differ from Address"},
		{name: "an empty data dir is refused", mutate: func(c *Config) { c.DataDir = "" }, want: "DataDir is empty"},
		{name: "an unknown ledger is refused", mutate: func(c *Config) { c.Ledger = "leveldb" }, want: `Ledger "leveldb"`},
		{name: "a zero startup timeout is refused", mutate: func(c *Config) { c.ChaincodeStartupTimeout = 0 }, want: "ChaincodeStartupTimeout 0s"},
		{name: "a zero build timeout is refused", mutate: func(c *Config) { c.ChaincodeBuildTimeout = 0 }, want: "ChaincodeBuildTimeout 0s"},
		{name: "a zero execute timeout means none", mutate: func(c *Config) { c.ChaincodeExecuteTimeout = 0 }},
		{name: "a negative execute timeout is refused", mutate: func(c *Config) { c.ChaincodeExecuteTimeout = -time.Second }, want: "ChaincodeExecuteTimeout -1s"},
		{name: "a zero batch size is refused", mutate: func(c *Config) { c.BatchSize = 0 }, want: "BatchSize 0"},
		{name: "a Fabric logging spec is accepted", mutate: func(c *Config) { c.LogLevel = "info:chaincode,launcher=debug" }},
		{name: "an unknown log level is refused", mutate: func(c *Config) { c.LogLevel = "chatty" }, want: `LogLevel: logging spec "chatty": unknown level`},
		{name: "an empty builder directory is refused", mutate: func(c *Config) { c.ExternalBuilders = []string{"/b", ""} }, want: "ExternalBuilders[1]"},
		{name: "two organisations are valid", mutate: func(c *Config) { c.Orgs = []string{"Org1MSP", "Org2MSP"} }},
		{name: "no organisation is refused", mutate: func(c *Config) { c.Orgs = nil }, want: "Orgs is empty"},
		{name: "an organisation twice is refused", mutate: func(c *Config) { c.Orgs = []string{"Org1MSP", "Org1MSP"} }, want: "Org1MSP is listed twice"},
		{name: "MSP IDs differing in case share a folder and are refused", mutate: func(c *Config) { c.Orgs = []string{"Org1MSP", "ORG1MSP"} }, want: "Org1MSP and ORG1MSP would share the organisation folder org1.example.com"},
		{name: "MSP IDs differing in an MSP suffix are refused", mutate: func(c *Config) { c.Orgs = []string{"Org1MSP", "Org2MSP", "Org2"} }, want: "Org2MSP and Org2 would share"},
		{name: "an organisation given two addresses is refused", mutate: func(c *Config) {
			c.Orgs, c.OrgAddresses = []string{"Org1MSP", "Org2MSP"}, []string{"Org2MSP=127.0.0.1:0", "Org2MSP=127.0.0.1:5"}
		}, want: "Org2MSP already has address 127.0.0.1:0"},
		{name: "an MSP ID that is no domain is refused", mutate: func(c *Config) { c.Orgs = []string{"Org1MSP", "Org_2"} }, want: `Orgs[1] "Org_2"`},
		{name: "an address for the second organisation is valid", mutate: func(c *Config) {
			c.Orgs, c.OrgAddresses = []string{"Org1MSP", "Org2MSP"}, []string{"Org2MSP=127.0.0.1:9999"}
		}},
		{name: "an address for the first organisation is refused", mutate: func(c *Config) {
			c.Orgs, c.OrgAddresses = []string{"Org1MSP", "Org2MSP"}, []string{"Org1MSP=127.0.0.1:9999"}
		}, want: "the first organisation uses Address"},
		{name: "an address without its organisation is refused", mutate: func(c *Config) {
			c.Orgs, c.OrgAddresses = []string{"Org1MSP", "Org2MSP"}, []string{"127.0.0.1:9999"}
		}, want: "want MSPID=host:port"},
		{name: "an address an organisation already has is refused", mutate: func(c *Config) {
			c.Orgs, c.OrgAddresses = []string{"Org1MSP", "Org2MSP"}, []string{"Org2MSP=" + c.Address}
		}, want: "which another organisation has"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig("/data")
			tt.mutate(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestOrganisationsGetFabricsTestNetworkAddresses(t *testing.T) {
	tests := []struct {
		name      string
		address   string
		orgs      []string
		addresses []string
		want      []string
	}{
		{name: "one organisation", address: "127.0.0.1:7051", orgs: []string{"Org1MSP"}, want: []string{"127.0.0.1:7051"}},
		{name: "Org2MSP beside 7051 is at 9051", address: "127.0.0.1:7051", orgs: []string{"Org1MSP", "Org2MSP", "Org3MSP"},
			want: []string{"127.0.0.1:7051", "127.0.0.1:9051", "127.0.0.1:11051"}},
		{name: "port 0 gives port 0", address: "127.0.0.1:0", orgs: []string{"Org1MSP", "Org2MSP"}, want: []string{"127.0.0.1:0", "127.0.0.1:0"}},
		{name: "a given address wins", address: "127.0.0.1:7051", orgs: []string{"Org1MSP", "Org2MSP"}, addresses: []string{"Org2MSP=127.0.0.1:8051"},
			want: []string{"127.0.0.1:7051", "127.0.0.1:8051"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig("/data")
			c.Address, c.Orgs, c.OrgAddresses = tt.address, tt.orgs, tt.addresses
			got, err := c.orgAddresses()
			if err != nil || strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("orgAddresses = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestOrganisationsGetTheirDomains(t *testing.T) {
	for mspID, want := range map[string]string{"Org1MSP": "org1.example.com", "Org2MSP": "org2.example.com", "AcmeMSP": "acme.example.com", "MSP": "msp.example.com", "Bank-A": "bank-a.example.com"} {
		if got := OrgDomain(mspID); got != want {
			t.Errorf("OrgDomain(%s) = %s, want %s", mspID, got, want)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("PEERSIM_DEV", "true")
	t.Setenv("PEERSIM_LEDGER", "memory")
	t.Setenv("PEERSIM_CHAINCODE_EXECUTE_TIMEOUT", "0s")
	t.Setenv("PEERSIM_DATA_DIR", "/tmp/x")
	c, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig("/tmp/x")
	want.Dev, want.Ledger, want.ChaincodeExecuteTimeout = true, LedgerMemory, 0
	if c.Address != want.Address || c.Dev != want.Dev || c.Ledger != want.Ledger || c.ChaincodeExecuteTimeout != 0 ||
		c.ChaincodeStartupTimeout != want.ChaincodeStartupTimeout || c.ChaincodeBuildTimeout != want.ChaincodeBuildTimeout || c.DataDir != "/tmp/x" || c.BatchTimeout != want.BatchTimeout {
		t.Errorf("got %+v", c)
	}

	t.Setenv("PEERSIM_CHAINCODE_BUILD_TIMEOUT", "10m")
	if c, err := ConfigFromEnv(); err != nil || c.ChaincodeBuildTimeout != 10*time.Minute {
		t.Errorf("PEERSIM_CHAINCODE_BUILD_TIMEOUT=10m: ChaincodeBuildTimeout %s, error %v", c.ChaincodeBuildTimeout, err)
	}

	t.Setenv("PEERSIM_BATCH_TIMEOUT", "soon")
	if _, err := ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "BATCH_TIMEOUT") {
		t.Errorf("bad duration: %v", err)
	}
}
