package peersim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
)

// AddressFileName is the file in the data directory where Start records
// the addresses it bound, for the clients on the same machine: with port 0
// they change at every start.
const AddressFileName = "peer.addresses.json"

// AddressFile is the content of the address file: where a running peer
// serves, which process it is and in which mode it runs. The addresses are
// dialable: an unspecified host (0.0.0.0, ::) is replaced by loopback.
type AddressFile struct {
	// Address is the client address: Endorser, AtomicBroadcast, Deliver.
	Address string `json:"address"`
	// ChaincodeAddress is where chaincode connects (its -peer.address).
	ChaincodeAddress string `json:"chaincodeAddress"`
	// OperationsAddress serves /healthz and /metrics.
	OperationsAddress string `json:"operationsAddress"`
	// PID is the process the peer runs in.
	PID int `json:"pid"`
	// Dev is true in development mode, where the peer accepts the chaincode
	// a developer starts, and false in production mode.
	Dev bool `json:"dev"`
	// MSPID is the peer's first organisation, e.g. Org1MSP, whose clients
	// use Address.
	MSPID string `json:"mspId"`
	// Orgs are the client addresses of every organisation the peer plays,
	// the first one's (MSPID at Address) included, in Config.Orgs's order.
	Orgs []OrgAddress `json:"orgs,omitempty"`
	// ChaincodeTLS is set when the chaincode listener of a
	// development-mode peer requires TLS (Config.ChaincodeDevTLS): the
	// files a chaincode connects with.
	ChaincodeTLS *DevTLSFiles `json:"chaincodeTLS,omitempty"`
}

// OrgAddress is where the clients of one organisation's virtual peer reach
// it.
type OrgAddress struct {
	MSPID   string `json:"mspId"`
	Address string `json:"address"`
}

// OrgAddress returns the client address of organisation mspID: Address
// for MSPID, else its entry in Orgs; false when the peer does not play it.
func (f AddressFile) OrgAddress(mspID string) (string, bool) {
	for _, o := range f.Orgs {
		if o.MSPID == mspID {
			return o.Address, true
		}
	}
	if mspID == f.MSPID {
		return f.Address, true
	}
	return "", false
}

// DevTLSFiles are the files a development-mode peer with chaincode TLS
// writes at each start for the chaincode developers start, by absolute
// path, with the environment variable of Fabric's shim each is for.
type DevTLSFiles struct {
	// RootCert is the CA of the listener's server certificate, PEM:
	// CORE_PEER_TLS_ROOTCERT_FILE.
	RootCert string `json:"rootCert"`
	// ClientCert and ClientKey are the client certificate and its key,
	// PEM: CORE_TLS_CLIENT_CERT_FILE and CORE_TLS_CLIENT_KEY_FILE.
	ClientCert string `json:"clientCert"`
	ClientKey  string `json:"clientKey"`
	// ClientCertBase64 and ClientKeyBase64 hold the same as base64 of the
	// PEM, the form Fabric's shim reads from CORE_TLS_CLIENT_CERT_PATH and
	// CORE_TLS_CLIENT_KEY_PATH.
	ClientCertBase64 string `json:"clientCertBase64"`
	ClientKeyBase64  string `json:"clientKeyBase64"`
}

// Env returns the settings of a chaincode that connects with these files:
// CORE_PEER_TLS_ENABLED=true and the five file variables, as KEY=value.
func (f DevTLSFiles) Env() []string {
	return []string{
		"CORE_PEER_TLS_ENABLED=true",
		"CORE_PEER_TLS_ROOTCERT_FILE=" + f.RootCert,
		"CORE_TLS_CLIENT_CERT_PATH=" + f.ClientCertBase64,
		"CORE_TLS_CLIENT_KEY_PATH=" + f.ClientKeyBase64,
		"CORE_TLS_CLIENT_CERT_FILE=" + f.ClientCert,
		"CORE_TLS_CLIENT_KEY_FILE=" + f.ClientKey,
	}
}

// Running reports whether the process that wrote the file is alive; a file
// left behind by a peer that was killed is stale and its addresses are not
// served.
func (f AddressFile) Running() bool { return processAlive(f.PID) }

// AddressFilePath is the address file of the peer whose data directory is
// dataDir.
func AddressFilePath(dataDir string) string { return filepath.Join(dataDir, AddressFileName) }

// ReadAddressFile reads the address file in dataDir. When there is none the
// error wraps fs.ErrNotExist. It does not check that the peer still runs:
// see Running.
func ReadAddressFile(dataDir string) (AddressFile, error) {
	path := AddressFilePath(dataDir)
	b, err := os.ReadFile(path)
	if err != nil {
		return AddressFile{}, fmt.Errorf("read the peer's address file: %w", err)
	}
	var f AddressFile
	if err := json.Unmarshal(b, &f); err != nil {
		return AddressFile{}, fmt.Errorf("read the peer's address file %s: %w", path, err)
	}
	if f.Address == "" || f.ChaincodeAddress == "" || f.PID <= 0 {
		return AddressFile{}, fmt.Errorf("read the peer's address file %s: address, chaincodeAddress and pid are required, got %s", path, bytes.TrimSpace(b))
	}
	return f, nil
}

// writeAddressFile replaces the address file in dataDir with f, atomically:
// a reader sees the old file or the new one, never a part of either.
func writeAddressFile(dataDir string, f AddressFile) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the address file: %w", err)
	}
	b = append(b, '\n')
	tmp, err := os.CreateTemp(dataDir, "."+AddressFileName+".*") // mode 0600
	if err != nil {
		return fmt.Errorf("write the address file in %s: %w", dataDir, err)
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), AddressFilePath(dataDir))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write the address file in %s: %w", dataDir, err)
	}
	return nil
}

// removeAddressFile removes the address file in dataDir if it still holds
// f: a peer started since on the same data directory keeps its own.
func removeAddressFile(dataDir string, f AddressFile) error {
	got, err := ReadAddressFile(dataDir)
	if err != nil || !reflect.DeepEqual(got, f) {
		return nil
	}
	if err := os.Remove(AddressFilePath(dataDir)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove the address file: %w", err)
	}
	return nil
}

// dialable turns a bound address into one a local client can dial: an
// unspecified host becomes the loopback address of its family.
func dialable(addr net.Addr) string {
	if addr == nil {
		return ""
	}
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	host := net.IPv6loopback
	if tcp.IP.To4() != nil {
		host = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(host.String(), fmt.Sprint(tcp.Port))
}
