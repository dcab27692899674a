package ccpackage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"strings"
)

// FromDeploymentSpec returns the Fabric 2.x package to install for the
// code package of a legacy (lscc) deployment spec. Fabric's own `peer
// chaincode install` (v2.x, and v1.4's) sends the bare code archive, the
// one a 2.x package holds as code.tar.gz (src/..., META-INF/...), with its
// type (GOLANG) and import path in the spec: that archive is wrapped in a
// package with metadata.json {path, type (lower case), label}. Anything
// else (a 2.x package, as peersim's client sends, or what is neither) is
// returned as it is, for Parse to judge.
func FromDeploymentSpec(typ, path, label string, code []byte) ([]byte, error) {
	if !isCodeArchive(code) {
		return code, nil
	}
	if err := ValidateLabel(label); err != nil {
		return nil, fmt.Errorf("legacy code package: %w", err)
	}
	meta, err := json.Marshal(Metadata{Path: path, Type: strings.ToLower(typ), Label: label})
	if err != nil {
		return nil, fmt.Errorf("legacy code package: encode metadata: %w", err)
	}
	pkg, err := writeOuter(meta, code)
	if err != nil {
		return nil, fmt.Errorf("legacy code package: %w", err)
	}
	return pkg, nil
}

// isCodeArchive reports whether b is a gzipped tar whose first entry is a
// code archive's (under src/ or META-INF/) rather than a package's
// (metadata.json, code.tar.gz). It reads one header only.
func isCodeArchive(b []byte) bool {
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return false
	}
	defer gz.Close()
	hdr, err := tar.NewReader(gz).Next()
	if err != nil {
		return false
	}
	return strings.HasPrefix(hdr.Name, "src/") || strings.HasPrefix(hdr.Name, "META-INF/")
}
