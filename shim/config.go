package shim

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/chaincodekit/chaincodekit/shim/internal/transport"
	"github.com/kelseyhightower/envconfig"
)

// startExample is the command line every configuration error shows, so the
// author sees a working invocation next to what was wrong.
const startExample = "CORE_ID_CHAINCODE_NAME=mycc:1.0 CORE_PEER_TLS_ENABLED=false ./mycc -peer.address 127.0.0.1:7052"

// peerAddressFlag is the command-line flag naming the peer's chaincode
// endpoint, as a Fabric peer passes it to the chaincode it launches.
const peerAddressFlag = "peer.address"

// config is everything Start reads to reach its peer. The fields tagged
// envconfig come from the environment through envconfig.Process, kept as
// the raw text so that a bad value gets an error naming the variable;
// PeerAddressArg comes from the command line. Resolve checks and combines
// them; it does no I/O.
type config struct {
	// IDChaincodeName is the chaincode ID as Fabric's dev-mode guide sets
	// it, name:version.
	IDChaincodeName string `envconfig:"CORE_ID_CHAINCODE_NAME"`
	// ChaincodeIDName is the chaincode ID as a real peer sets it for the
	// chaincode it launches: name:version, or the package ID label:hash.
	ChaincodeIDName string `envconfig:"CORE_CHAINCODE_ID_NAME"`
	// TLSEnabled is "true" or "false" (any letter case); unset means false.
	TLSEnabled string `envconfig:"CORE_PEER_TLS_ENABLED"`
	// PeerAddressEnv is the peer's chaincode endpoint, used when the
	// -peer.address argument is absent.
	PeerAddressEnv string `envconfig:"CORE_PEER_ADDRESS"`
	// RootCertFile is the PEM file of the CA that signed the peer's TLS
	// certificate.
	RootCertFile string `envconfig:"CORE_PEER_TLS_ROOTCERT_FILE"`
	// ClientKeyFile is the PEM file of the chaincode's TLS private key.
	// Preferred over ClientKeyPath.
	ClientKeyFile string `envconfig:"CORE_TLS_CLIENT_KEY_FILE"`
	// ClientCertFile is the PEM file of the chaincode's TLS certificate.
	// Preferred over ClientCertPath.
	ClientCertFile string `envconfig:"CORE_TLS_CLIENT_CERT_FILE"`
	// ClientKeyPath is a file holding the base64 encoding of the PEM
	// private key, as a Fabric peer writes it.
	ClientKeyPath string `envconfig:"CORE_TLS_CLIENT_KEY_PATH"`
	// ClientCertPath is a file holding the base64 encoding of the PEM
	// certificate, as a Fabric peer writes it.
	ClientCertPath string `envconfig:"CORE_TLS_CLIENT_CERT_PATH"`

	// PeerAddressArg is the value of -peer.address (or --peer.address) on
	// the command line, "" when absent.
	PeerAddressArg string `ignored:"true"`

	// The resolved settings, filled by resolve.

	// Name is the chaincode ID sent in REGISTER.
	Name string `ignored:"true"`
	// TLS reports whether the connection to the peer uses TLS.
	TLS bool `ignored:"true"`
	// PeerAddress is the host:port dialled.
	PeerAddress string `ignored:"true"`
}

// loadConfig reads the environment through envconfig and the peer address
// from args (the arguments after the program name), then resolves them.
func loadConfig(args []string) (config, error) {
	var c config
	if err := envconfig.Process("", &c); err != nil {
		return config{}, fmt.Errorf("read chaincode settings from the environment: %w", err)
	}
	return resolveConfig(args, c)
}

// resolveConfig takes the raw environment settings in env and the
// command-line arguments args and returns the checked configuration. It is
// a pure function: every rule of the configuration lives here.
func resolveConfig(args []string, env config) (config, error) {
	c := env
	arg, err := peerAddressFromArgs(args)
	if err != nil {
		return config{}, err
	}
	c.PeerAddressArg = arg
	if err := c.resolve(); err != nil {
		return config{}, err
	}
	return c, nil
}

// resolve fills Name, TLS and PeerAddress from the raw settings and checks
// them.
func (c *config) resolve() error {
	switch {
	case c.IDChaincodeName != "" && c.ChaincodeIDName != "" && c.IDChaincodeName != c.ChaincodeIDName:
		return fmt.Errorf("chaincode ID settings disagree: CORE_ID_CHAINCODE_NAME=%q and CORE_CHAINCODE_ID_NAME=%q: set only one of them, e.g. %s",
			c.IDChaincodeName, c.ChaincodeIDName, startExample)
	case c.ChaincodeIDName != "":
		c.Name = c.ChaincodeIDName
	default:
		c.Name = c.IDChaincodeName
	}
	c.PeerAddress = c.PeerAddressArg
	if c.PeerAddress == "" {
		c.PeerAddress = c.PeerAddressEnv
	}
	tlsOn, err := parseTLSEnabled(c.TLSEnabled)
	if err != nil {
		return err
	}
	c.TLS = tlsOn
	return c.Validate()
}

// Validate checks the resolved settings and names the first bad one.
func (c *config) Validate() error {
	if err := validateChaincodeName(c.Name); err != nil {
		return err
	}
	if c.PeerAddress == "" {
		return fmt.Errorf("peer address is not set: pass -peer.address host:port (or set CORE_PEER_ADDRESS), e.g. %s", startExample)
	}
	source := "-peer.address"
	if c.PeerAddressArg == "" {
		source = "CORE_PEER_ADDRESS"
	}
	if err := validateHostPort(c.PeerAddress); err != nil {
		return fmt.Errorf("peer address %s %q is not valid: %w; use host:port, e.g. %s", source, c.PeerAddress, err, startExample)
	}
	if !c.TLS {
		return nil
	}
	if c.RootCertFile == "" {
		return errors.New("tls is on (CORE_PEER_TLS_ENABLED=true) but CORE_PEER_TLS_ROOTCERT_FILE is not set: set it to the PEM file of the peer's TLS CA, e.g. CORE_PEER_TLS_ROOTCERT_FILE=/etc/hyperledger/fabric/peer.crt, or set CORE_PEER_TLS_ENABLED=false")
	}
	if c.ClientKeyFile == "" && c.ClientKeyPath == "" {
		return errors.New("tls is on (CORE_PEER_TLS_ENABLED=true) but neither CORE_TLS_CLIENT_KEY_FILE (PEM) nor CORE_TLS_CLIENT_KEY_PATH (base64 of PEM) is set: set one to the chaincode's TLS private key, e.g. CORE_TLS_CLIENT_KEY_FILE=/etc/hyperledger/fabric/client_pem.key")
	}
	if c.ClientCertFile == "" && c.ClientCertPath == "" {
		return errors.New("tls is on (CORE_PEER_TLS_ENABLED=true) but neither CORE_TLS_CLIENT_CERT_FILE (PEM) nor CORE_TLS_CLIENT_CERT_PATH (base64 of PEM) is set: set one to the chaincode's TLS certificate, e.g. CORE_TLS_CLIENT_CERT_FILE=/etc/hyperledger/fabric/client_pem.crt")
	}
	return nil
}

// tlsConfig reads the key material the configuration names and returns the
// client TLS configuration, or nil when TLS is off.
func (c *config) tlsConfig() (*tls.Config, error) {
	if !c.TLS {
		return nil, nil
	}
	root, err := os.ReadFile(c.RootCertFile)
	if err != nil {
		return nil, fmt.Errorf("read CORE_PEER_TLS_ROOTCERT_FILE: %w; set it to the PEM file of the CA that signed the peer's TLS certificate, or set CORE_PEER_TLS_ENABLED=false", err)
	}
	key, err := readPEMOrBase64("CORE_TLS_CLIENT_KEY_FILE", c.ClientKeyFile, "CORE_TLS_CLIENT_KEY_PATH", c.ClientKeyPath)
	if err != nil {
		return nil, err
	}
	cert, err := readPEMOrBase64("CORE_TLS_CLIENT_CERT_FILE", c.ClientCertFile, "CORE_TLS_CLIENT_CERT_PATH", c.ClientCertPath)
	if err != nil {
		return nil, err
	}
	conf, err := transport.ClientTLS(root, cert, key)
	if err != nil {
		return nil, fmt.Errorf("tls settings from CORE_PEER_TLS_ROOTCERT_FILE and CORE_TLS_CLIENT_*: %w; check that the key and certificate files belong together and that the root file holds a PEM certificate", err)
	}
	return conf, nil
}

// readPEMOrBase64 reads the PEM file pemFile when it is set, and otherwise
// decodes the base64 text in b64File.
func readPEMOrBase64(pemVar, pemFile, b64Var, b64File string) ([]byte, error) {
	if pemFile != "" {
		data, err := os.ReadFile(pemFile)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w; set it to a readable PEM file (or unset it and set %s to a base64-of-PEM file)", pemVar, err, b64Var)
		}
		return data, nil
	}
	data, err := os.ReadFile(b64File)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w; set it to a readable file holding base64 of PEM (or set %s to a PEM file)", b64Var, err, pemVar)
	}
	decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("%s %s does not hold base64 text (a PEM file goes in %s): %w", b64Var, b64File, pemVar, err)
	}
	return decoded, nil
}

// parseTLSEnabled accepts true or false in any letter case; unset is false.
func parseTLSEnabled(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "":
		return false, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("tls setting CORE_PEER_TLS_ENABLED=%q is not allowed: use true or false (unset means false), e.g. %s", v, startExample)
}

func validateChaincodeName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("chaincode ID is not set: set CORE_ID_CHAINCODE_NAME or CORE_CHAINCODE_ID_NAME to name:version, e.g. %s", startExample)
	case !utf8.ValidString(name):
		return fmt.Errorf("chaincode ID %q is not valid UTF-8: set CORE_ID_CHAINCODE_NAME to name:version, e.g. %s", name, startExample)
	case !strings.Contains(name, ":") || strings.HasPrefix(name, ":") || strings.HasSuffix(name, ":"):
		return fmt.Errorf("chaincode ID %q is not of the form name:version (or the package ID label:hash): set CORE_ID_CHAINCODE_NAME accordingly, e.g. %s", name, startExample)
	}
	return nil
}

func validateHostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" {
		return errors.New("the host is missing")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return nil
}

// peerAddressFromArgs finds -peer.address in args without touching the
// global flag set, so the chaincode's own flags are left to it. It accepts
// one or two leading dashes and the value either as the next argument or
// after "=". The last occurrence wins, as with package flag.
func peerAddressFromArgs(args []string) (string, error) {
	var addr string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, ok := strings.CutPrefix(a, "--")
		if !ok {
			name, ok = strings.CutPrefix(a, "-")
		}
		if !ok {
			continue
		}
		if value, found := strings.CutPrefix(name, peerAddressFlag+"="); found {
			addr = value
			continue
		}
		if name != peerAddressFlag {
			continue
		}
		if i+1 >= len(args) {
			return "", fmt.Errorf("flag -%s needs a value: pass host:port, e.g. %s", peerAddressFlag, startExample)
		}
		addr = args[i+1]
		i++
	}
	return addr, nil
}
