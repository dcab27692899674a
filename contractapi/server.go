package contractapi

import (
	"fmt"
	"os"
	"strconv"

	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/kelseyhightower/envconfig"
)

// serverConfig is how a contract chaincode decides to run as a chaincode
// server (chaincode as a service) rather than dial the peer. The variable
// names are fabric-contract-api-go's, plus CHAINCODE_ID, which Fabric's
// chaincode-as-a-service samples use for the package ID.
type serverConfig struct {
	// Address switches server mode on: host:port to listen on.
	Address string `envconfig:"CHAINCODE_SERVER_ADDRESS"`
	// ID is the chaincode package ID (CCID); it wins over LegacyID.
	ID string `envconfig:"CHAINCODE_ID"`
	// LegacyID is where fabric-contract-api-go reads the CCID from.
	LegacyID string `envconfig:"CORE_CHAINCODE_ID_NAME"`
	// TLSEnabled turns TLS on; empty means off.
	TLSEnabled string `envconfig:"CORE_PEER_TLS_ENABLED"`
	// KeyFile and CertFile are the server's PEM key and certificate.
	KeyFile  string `envconfig:"CORE_TLS_CLIENT_KEY_FILE"`
	CertFile string `envconfig:"CORE_TLS_CLIENT_CERT_FILE"`
	// RootCertFile, when set, holds the CA certificates peers' client
	// certificates must chain to.
	RootCertFile string `envconfig:"CORE_PEER_TLS_ROOTCERT_FILE"`
}

// Validate names the first bad setting and its value.
func (c serverConfig) Validate() error {
	if c.Address == "" {
		return nil
	}
	if c.ID == "" && c.LegacyID == "" {
		return fmt.Errorf("CHAINCODE_SERVER_ADDRESS is %q but neither CHAINCODE_ID nor CORE_CHAINCODE_ID_NAME is set: set one to the chaincode package ID", c.Address)
	}
	tls, err := c.tls()
	if err != nil {
		return err
	}
	if tls && (c.KeyFile == "" || c.CertFile == "") {
		return fmt.Errorf("CORE_PEER_TLS_ENABLED is %q but CORE_TLS_CLIENT_KEY_FILE (%q) and CORE_TLS_CLIENT_CERT_FILE (%q) are not both set", c.TLSEnabled, c.KeyFile, c.CertFile)
	}
	return nil
}

func (c serverConfig) tls() (bool, error) {
	if c.TLSEnabled == "" {
		return false, nil
	}
	on, err := strconv.ParseBool(c.TLSEnabled)
	if err != nil {
		return false, fmt.Errorf("CORE_PEER_TLS_ENABLED %q is not a boolean (use true or false)", c.TLSEnabled)
	}
	return on, nil
}

// chaincodeServer builds the server the environment asks for, or returns nil
// when CHAINCODE_SERVER_ADDRESS is not set.
func chaincodeServer() (*shim.ChaincodeServer, error) {
	var cfg serverConfig
	if err := envconfig.Process("", &cfg); err != nil {
		return nil, fmt.Errorf("read chaincode server settings: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Address == "" {
		return nil, nil
	}
	id := cfg.ID
	if id == "" {
		id = cfg.LegacyID
	}
	server := &shim.ChaincodeServer{CCID: id, Address: cfg.Address, TLSProps: shim.TLSProperties{Disabled: true}}
	if tls, _ := cfg.tls(); !tls {
		return server, nil
	}
	read := func(variable, path string) ([]byte, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read %s file %s: %w", variable, path, err)
		}
		return b, nil
	}
	key, err := read("CORE_TLS_CLIENT_KEY_FILE", cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	cert, err := read("CORE_TLS_CLIENT_CERT_FILE", cfg.CertFile)
	if err != nil {
		return nil, err
	}
	var roots []byte
	if cfg.RootCertFile != "" {
		if roots, err = read("CORE_PEER_TLS_ROOTCERT_FILE", cfg.RootCertFile); err != nil {
			return nil, err
		}
	}
	server.TLSProps = shim.TLSProperties{Key: key, Cert: cert, ClientCACerts: roots}
	return server, nil
}

// Start runs the chaincode: as a chaincode server when
// CHAINCODE_SERVER_ADDRESS is set (CCID from CHAINCODE_ID or
// CORE_CHAINCODE_ID_NAME, TLS from CORE_PEER_TLS_ENABLED,
// CORE_TLS_CLIENT_KEY_FILE, CORE_TLS_CLIENT_CERT_FILE and, for client
// authentication, CORE_PEER_TLS_ROOTCERT_FILE), otherwise by dialling the
// peer through shim.Start. It returns when the chaincode stops.
func (cc *ContractChaincode) Start() error {
	server, err := chaincodeServer()
	if err != nil {
		return err
	}
	if server == nil {
		return shim.Start(cc)
	}
	server.CC = cc
	return server.Start()
}
