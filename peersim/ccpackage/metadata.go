package ccpackage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// Chaincode types written into metadata.json. Type comparisons are
// case-insensitive, as in Fabric ("GOLANG" and "golang" are the same).
const (
	TypeGolang   = "golang"
	TypeCCaaS    = "ccaas"
	TypeExternal = "external"
)

// Names of the fixed files in a package and in its code archive.
const (
	MetadataFile   = "metadata.json"
	CodeFile       = "code.tar.gz"
	ConnectionFile = "connection.json"
)

// Metadata is the content of metadata.json. Path is the Go import path of
// the chaincode package for Go chaincode and empty for ccaas.
type Metadata struct {
	Path  string `json:"path"`
	Type  string `json:"type"`
	Label string `json:"label"`
}

// IsType reports whether the metadata's type is typ, ignoring case.
func (m Metadata) IsType(typ string) bool { return strings.EqualFold(m.Type, typ) }

var (
	labelRE   = regexp.MustCompile(`^[[:alnum:]][[:alnum:]_.+-]*$`)
	nameRE    = regexp.MustCompile(`^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$`)
	versionRE = regexp.MustCompile(`^[A-Za-z0-9_.+-]+$`)
)

// ValidateLabel reports whether label follows Fabric's package label rule:
// non-empty, alphanumerics and '_', '.', '+', '-', starting with an
// alphanumeric.
func ValidateLabel(label string) error {
	if !labelRE.MatchString(label) {
		return fmt.Errorf("%w %q: a label must be non-empty, hold only alphanumerics and '_', '.', '+', '-', and begin with an alphanumeric", ErrInvalidLabel, label)
	}
	return nil
}

// ValidateName reports whether name is a valid chaincode name under Fabric
// 1.4's rule (alphanumerics in groups joined by single '-' or '_').
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: chaincode name not provided", ErrInvalidName)
	}
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w %q: names can only consist of alphanumerics, '_', and '-', and must begin and end with an alphanumeric", ErrInvalidName, name)
	}
	return nil
}

// ValidateVersion reports whether version is a valid chaincode version under
// Fabric 1.4's rule (alphanumerics and '_', '-', '+', '.').
func ValidateVersion(version string) error {
	if version == "" {
		return fmt.Errorf("%w: chaincode version not provided", ErrInvalidVersion)
	}
	if !versionRE.MatchString(version) {
		return fmt.Errorf("%w %q: versions can only consist of alphanumerics, '_', '-', '+', and '.'", ErrInvalidVersion, version)
	}
	return nil
}

// Label returns the label peersim's CLI gives the package of name:version:
// "<name>_<version>", the convention of the Fabric samples (basic_1.0). Any
// valid name and version make a valid label.
func Label(name, version string) string { return name + "_" + version }

// PackageID returns Fabric's package ID for package bytes with the given
// label: the label, a colon and the lowercase hex SHA-256 of the bytes.
func PackageID(label string, pkg []byte) string {
	sum := sha256.Sum256(pkg)
	return label + ":" + hex.EncodeToString(sum[:])
}

// SplitPackageID splits a package ID into its label and hex hash, checking
// that both are well formed.
func SplitPackageID(id string) (label, hash string, err error) {
	i := strings.LastIndexByte(id, ':')
	if i < 0 {
		return "", "", fmt.Errorf("package ID %q has no ':' between label and hash", id)
	}
	label, hash = id[:i], id[i+1:]
	if err := ValidateLabel(label); err != nil {
		return "", "", fmt.Errorf("package ID %q: %w", id, err)
	}
	if len(hash) != 2*sha256.Size || strings.ToLower(hash) != hash {
		return "", "", fmt.Errorf("package ID %q: hash %q is not 64 lowercase hex digits", id, hash)
	}
	if _, err := hex.DecodeString(hash); err != nil {
		return "", "", fmt.Errorf("package ID %q: hash %q is not 64 lowercase hex digits", id, hash)
	}
	return label, hash, nil
}
