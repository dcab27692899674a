package ccpackage

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

// Package is a parsed chaincode package. Its fields must not be modified.
type Package struct {
	// Metadata is metadata.json, decoded.
	Metadata Metadata
	// MetadataJSON is metadata.json as found in the package, for external
	// builders, which receive it verbatim.
	MetadataJSON []byte
	// Code is code.tar.gz as found in the package.
	Code []byte
	// Entries lists the files and directories of the code archive in
	// archive order, names cleaned ("./src/" is "src").
	Entries []Entry
	// Indexes are the CouchDB index definitions of the code archive, for
	// the ledger.
	Indexes []Index
	// Connection is connection.json at the top of the code archive,
	// decoded; nil when there is none. Always set for type ccaas.
	Connection *Connection
	// ConnectionJSON is connection.json verbatim; nil when there is none.
	ConnectionJSON []byte
	// Warnings name harmless oddities Fabric would log, such as unexpected
	// files at the top level of the package.
	Warnings []string

	id     string
	raw    []byte
	limits Limits
}

// Entry is one file or directory of a code archive.
type Entry struct {
	Name string
	Dir  bool
	Size int64
	Mode fs.FileMode // permission bits only
}

// Index is one CouchDB index definition from
// META-INF/statedb/couchdb/indexes/*.json (the chaincode's own namespace) or
// META-INF/statedb/couchdb/collections/<collection>/indexes/*.json.
type Index struct {
	// Collection is the private data collection, empty for the chaincode's
	// namespace.
	Collection string
	// Name is the entry's path in the code archive.
	Name string
	// Definition is the index JSON as stored.
	Definition []byte
}

// ID returns the package ID: label, ':' and the hex SHA-256 of the package.
func (p *Package) ID() string { return p.id }

// Bytes returns the package bytes the package was parsed from.
func (p *Package) Bytes() []byte { return p.raw }

// ParseOption configures Parse.
type ParseOption func(*Limits)

// WithLimits sets the limits Parse applies; zero fields take defaults.
func WithLimits(l Limits) ParseOption { return func(dst *Limits) { *dst = l } }

// Parse reads a chaincode package made by Pack or by Fabric's peer CLI and
// checks it. It refuses a corrupt or unsafe package with an *ArchiveError
// (or, for a bad label, an error wrapping ErrInvalidLabel) and never keeps
// more of the archive in memory than the limits allow.
func Parse(data []byte, opts ...ParseOption) (*Package, error) {
	var limits Limits
	for _, o := range opts {
		o(&limits)
	}
	if err := limits.Validate(); err != nil {
		return nil, err
	}
	limits = limits.withDefaults()
	if int64(len(data)) > limits.MaxTotalSize {
		return nil, archiveErr(archivePackage, "", ErrTooLarge, "the package file is %d bytes, more than the %d-byte limit (MaxTotalSize)", len(data), limits.MaxTotalSize)
	}
	b := &budget{limits: limits, entries: limits.MaxEntries}
	p := &Package{raw: data, limits: limits}
	if err := p.readOuter(data, b); err != nil {
		return nil, err
	}
	if err := p.readCode(b); err != nil {
		return nil, err
	}
	p.id = PackageID(p.Metadata.Label, data)
	return p, nil
}

// readOuter reads metadata.json and code.tar.gz from the package.
func (p *Package) readOuter(data []byte, b *budget) error {
	s, err := newTarScanner(archivePackage, data, b)
	if err != nil {
		return err
	}
	var odd []string
	for {
		hdr, err := s.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg {
			if err := s.checkType(hdr); err != nil {
				return err
			}
			return archiveErr(archivePackage, hdr.Name, ErrMisplacedEntry, "is a directory; the top level of a package holds only regular files (metadata.json and code.tar.gz)")
		}
		name, err := cleanName(hdr.Name)
		if err != nil {
			return archiveErr(archivePackage, hdr.Name, ErrUnsafePath, "%v", err)
		}
		if err := s.record(hdr.Name, name, false); err != nil {
			return err
		}
		switch hdr.Name {
		case MetadataFile:
			if p.MetadataJSON, err = s.read(hdr.Name); err != nil {
				return err
			}
		case CodeFile:
			if p.Code, err = s.read(hdr.Name); err != nil {
				return err
			}
		default:
			odd = append(odd, hdr.Name)
			p.Warnings = append(p.Warnings, fmt.Sprintf("unexpected file %q at the top level of the package is ignored", hdr.Name))
		}
	}
	if err := s.finish(); err != nil {
		return err
	}
	if p.MetadataJSON == nil {
		return archiveErr(archivePackage, "", ErrMissingFile, "did not find %s at the top level%s", MetadataFile, foundHint(odd, MetadataFile))
	}
	if p.Code == nil {
		return archiveErr(archivePackage, "", ErrMissingFile, "did not find %s at the top level%s", CodeFile, foundHint(odd, CodeFile))
	}
	if err := json.Unmarshal(p.MetadataJSON, &p.Metadata); err != nil {
		return archiveErr(archivePackage, MetadataFile, ErrInvalidMetadata, "not a JSON object with path, type and label: %v", err)
	}
	if err := ValidateLabel(p.Metadata.Label); err != nil {
		return archiveErr(archivePackage, MetadataFile, ErrInvalidLabel, "label %q: must be non-empty, hold only alphanumerics and '_', '.', '+', '-', and begin with an alphanumeric", p.Metadata.Label)
	}
	if p.Metadata.Type == "" {
		return archiveErr(archivePackage, MetadataFile, ErrInvalidMetadata, "type is empty; set it to the chaincode language (golang) or ccaas")
	}
	return nil
}

// foundHint explains a missing file that is present under another name.
func foundHint(odd []string, want string) string {
	for _, n := range odd {
		if path.Clean(n) == want {
			return fmt.Sprintf(" (found %q: Fabric matches the name exactly, so write it without a directory prefix)", n)
		}
	}
	return ""
}

var (
	nsIndexRE   = regexp.MustCompile(`^META-INF/statedb/couchdb/indexes/[^/]+\.json$`)
	collIndexRE = regexp.MustCompile(`^META-INF/statedb/couchdb/collections/([A-Za-z0-9_-]+)/indexes/[^/]+\.json$`)
)

// indexCollection reports whether name is an index file the ledger uses and
// for which collection ("" for the namespace). Hidden files are skipped, as
// Fabric's packager skips them.
func indexCollection(name string) (collection string, ok bool) {
	if strings.HasPrefix(path.Base(name), ".") {
		return "", false
	}
	if nsIndexRE.MatchString(name) {
		return "", true
	}
	if m := collIndexRE.FindStringSubmatch(name); m != nil {
		return m[1], true
	}
	return "", false
}

// readCode checks the code archive and collects entries, indexes and
// connection.json.
func (p *Package) readCode(b *budget) error {
	err := scanCode(p.Code, p.Metadata, b, func(s *tarScanner, e entry) error {
		isDir := e.hdr.Typeflag == tar.TypeDir
		p.Entries = append(p.Entries, Entry{Name: e.name, Dir: isDir, Size: e.hdr.Size, Mode: e.hdr.FileInfo().Mode().Perm()})
		if isDir {
			return nil
		}
		if coll, ok := indexCollection(e.name); ok {
			def, err := s.read(e.hdr.Name)
			if err != nil {
				return err
			}
			if err := validateIndex(def); err != nil {
				return archiveErr(archiveCode, e.hdr.Name, ErrInvalidIndex, "%v", err)
			}
			p.Indexes = append(p.Indexes, Index{Collection: coll, Name: e.name, Definition: def})
			return nil
		}
		if e.name == ConnectionFile {
			data, err := s.read(e.hdr.Name)
			if err != nil {
				return err
			}
			p.ConnectionJSON = data
		}
		return nil
	})
	if err != nil {
		return err
	}
	if p.ConnectionJSON != nil && (p.Metadata.IsType(TypeCCaaS) || p.Metadata.IsType(TypeExternal)) {
		c, err := ParseConnection(p.ConnectionJSON)
		if err != nil {
			detail := strings.TrimPrefix(err.Error(), ErrInvalidConnection.Error()+": ")
			return archiveErr(archiveCode, ConnectionFile, ErrInvalidConnection, "%s", detail)
		}
		p.Connection = c
	}
	if p.Connection == nil && p.Metadata.IsType(TypeCCaaS) {
		return archiveErr(archiveCode, "", ErrMissingFile, "a ccaas package needs %s at the top of %s, telling the peer where the chaincode server listens", ConnectionFile, CodeFile)
	}
	return nil
}

// validateIndex checks a CouchDB index definition the way Fabric's packager
// does: a JSON object with an "index" object whose "fields" is an array of
// field names or {"field": "asc"|"desc"} objects, and optional string
// "ddoc" and "name" and "type": "json".
func validateIndex(def []byte) error {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(def))
	if err := dec.Decode(&doc); err != nil || dec.More() || doc == nil {
		if err == nil {
			err = fmt.Errorf("not a single JSON object")
		}
		return fmt.Errorf("not a valid JSON object: %v", err)
	}
	index, ok := doc["index"]
	if !ok {
		return fmt.Errorf(`the definition has no "index" object holding "fields"`)
	}
	for key, v := range doc {
		switch key {
		case "index":
		case "ddoc", "name":
			if _, ok := v.(string); !ok {
				return fmt.Errorf("%q must be a string", key)
			}
		case "type":
			if v != "json" {
				return fmt.Errorf(`"type" must be "json"`)
			}
		default:
			return fmt.Errorf("unknown key %q (allowed: index, ddoc, name, type)", key)
		}
	}
	im, ok := index.(map[string]any)
	if !ok {
		return fmt.Errorf(`"index" must be a JSON object`)
	}
	for key, v := range im {
		switch key {
		case "partial_filter_selector":
		case "fields":
			fields, ok := v.([]any)
			if !ok {
				return fmt.Errorf(`"index.fields" must be a JSON array`)
			}
			for _, f := range fields {
				if err := validateIndexField(f); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("unknown key %q in \"index\" (allowed: fields, partial_filter_selector)", key)
		}
	}
	return nil
}

func validateIndexField(f any) error {
	switch f := f.(type) {
	case string:
		return nil
	case map[string]any:
		for name, dir := range f {
			s, ok := dir.(string)
			if !ok || (!strings.EqualFold(s, "asc") && !strings.EqualFold(s, "desc")) {
				return fmt.Errorf(`field %q: sort must be "asc" or "desc", found %v`, name, dir)
			}
		}
		return nil
	default:
		return fmt.Errorf(`"index.fields" items must be field names or {"field": "asc"|"desc"} objects, found %v`, f)
	}
}
