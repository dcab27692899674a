package identity

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// nodeOUsYAML renders config.yaml as cryptogen writes it, every NodeOU bound
// to the CA certificate file in cacerts/.
func nodeOUsYAML(caCertFile string) []byte {
	var b bytes.Buffer
	b.WriteString("NodeOUs:\n  Enable: true\n")
	for _, ou := range []struct{ key, value string }{
		{"ClientOUIdentifier", OUClient},
		{"PeerOUIdentifier", OUPeer},
		{"AdminOUIdentifier", OUAdmin},
		{"OrdererOUIdentifier", OUOrderer},
	} {
		fmt.Fprintf(&b, "  %s:\n    Certificate: cacerts/%s\n    OrganizationalUnitIdentifier: %s\n", ou.key, caCertFile, ou.value)
	}
	return b.Bytes()
}

// nodeOUsConfig is the part of config.yaml the MSP uses.
type nodeOUsConfig struct {
	enable bool
	ous    map[string]map[string]string // ClientOUIdentifier -> Certificate/OrganizationalUnitIdentifier
}

// parseNodeOUs reads the NodeOUs section of an msp config.yaml. It
// understands the block-style YAML Fabric's tools write (nested mappings,
// scalars, comments) and skips any other section.
func parseNodeOUs(data []byte) (nodeOUsConfig, error) {
	cfg := nodeOUsConfig{ous: map[string]map[string]string{}}
	var (
		inNodeOUs bool
		current   string // e.g. ClientOUIdentifier
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		raw := sc.Text()
		if i := strings.Index(raw, " #"); i >= 0 {
			raw = raw[:i]
		}
		if strings.HasPrefix(strings.TrimSpace(raw), "#") || strings.TrimSpace(raw) == "" {
			continue
		}
		indent := len(raw) - len(strings.TrimLeft(raw, " "))
		text := strings.TrimSpace(raw)
		key, value, hasColon := strings.Cut(text, ":")
		key = strings.TrimSpace(key)
		value = strings.Trim(strings.TrimSpace(value), `"'`)
		switch {
		case indent == 0:
			inNodeOUs = hasColon && key == "NodeOUs"
			current = ""
		case !inNodeOUs:
		case !hasColon:
			return cfg, fmt.Errorf("config.yaml line %d: expected 'key: value' in NodeOUs, got %q", line, text)
		case indent <= 2:
			current = ""
			if key == "Enable" {
				switch strings.ToLower(value) {
				case "true":
					cfg.enable = true
				case "false":
					cfg.enable = false
				default:
					return cfg, fmt.Errorf("config.yaml line %d: NodeOUs.Enable must be true or false, got %q", line, value)
				}
				continue
			}
			if value == "" {
				current = key
				cfg.ous[current] = map[string]string{}
			}
		default:
			if current != "" {
				cfg.ous[current][key] = value
			}
		}
	}
	if err := sc.Err(); err != nil {
		return cfg, fmt.Errorf("read config.yaml: %w", err)
	}
	return cfg, nil
}

// readPEMDir reads every regular file of dir, sorted by name; a missing dir
// gives nothing.
func readPEMDir(dir string) ([][]byte, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var out [][]byte
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		if _, err := parseCertPEM(data); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, n), err)
		}
		out = append(out, data)
	}
	return out, nil
}

// LoadMSPConfig reads an msp folder in Fabric's layout (cacerts/,
// intermediatecerts/, admincerts/, config.yaml with NodeOUs) for the given
// MSP ID.
func LoadMSPConfig(dir, mspID string) (MSPConfig, error) {
	cfg := MSPConfig{ID: mspID}
	var err error
	if cfg.RootCerts, err = readPEMDir(filepath.Join(dir, "cacerts")); err != nil {
		return cfg, fmt.Errorf("load msp %s from %s: %w", mspID, dir, err)
	}
	if len(cfg.RootCerts) == 0 {
		return cfg, fmt.Errorf("load msp %s from %s: no CA certificate in cacerts/ (is this an msp folder?)", mspID, dir)
	}
	if cfg.IntermediateCerts, err = readPEMDir(filepath.Join(dir, "intermediatecerts")); err != nil {
		return cfg, fmt.Errorf("load msp %s from %s: %w", mspID, dir, err)
	}
	if cfg.Admins, err = readPEMDir(filepath.Join(dir, "admincerts")); err != nil {
		return cfg, fmt.Errorf("load msp %s from %s: %w", mspID, dir, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, cfg.Validate()
	}
	if err != nil {
		return cfg, fmt.Errorf("load msp %s: %w", mspID, err)
	}
	ous, err := parseNodeOUs(data)
	if err != nil {
		return cfg, fmt.Errorf("load msp %s from %s: %w", mspID, dir, err)
	}
	if ous.enable {
		nodeOUs := &NodeOUs{}
		for key, dst := range map[string]*OUIdentifier{
			"ClientOUIdentifier":  &nodeOUs.Client,
			"PeerOUIdentifier":    &nodeOUs.Peer,
			"AdminOUIdentifier":   &nodeOUs.Admin,
			"OrdererOUIdentifier": &nodeOUs.Orderer,
		} {
			fields := ous.ous[key]
			dst.OrganizationalUnitIdentifier = fields["OrganizationalUnitIdentifier"]
			if c := fields["Certificate"]; c != "" {
				path := c
				if !filepath.IsAbs(path) {
					path = filepath.Join(dir, c)
				}
				data, err := os.ReadFile(path)
				if err != nil {
					return cfg, fmt.Errorf("load msp %s: NodeOUs.%s.Certificate: %w", mspID, key, err)
				}
				dst.Certificate = data
			}
		}
		cfg.NodeOUs = nodeOUs
	}
	return cfg, cfg.Validate()
}

// LoadSigningIdentity reads a signing identity from an msp folder: the
// certificate in signcerts/ and the matching private key in keystore/ (any
// file name: cryptogen writes priv_sk, Fabric CA <ski>_sk).
func LoadSigningIdentity(dir, mspID string) (*SigningIdentity, error) {
	certs, err := readPEMDir(filepath.Join(dir, "signcerts"))
	if err != nil {
		return nil, fmt.Errorf("load signing identity from %s: %w", dir, err)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("load signing identity from %s: %w: no certificate in signcerts/", dir, ErrIdentityNotFound)
	}
	cert, err := parseCertPEM(certs[0])
	if err != nil {
		return nil, fmt.Errorf("load signing identity from %s: %w", dir, err)
	}
	keyDir := filepath.Join(dir, "keystore")
	entries, err := os.ReadDir(keyDir)
	if err != nil {
		return nil, fmt.Errorf("load signing identity from %s: %w", dir, err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		key, err := readKeyFile(filepath.Join(keyDir, e.Name()))
		if err != nil {
			continue
		}
		if key.PublicKey.Equal(cert.PublicKey) {
			return newSigningIdentity(mspID, certs[0], cert, key)
		}
	}
	return nil, fmt.Errorf("load signing identity from %s: no private key in keystore/ matches the certificate of %q", dir, cert.Subject.CommonName)
}
