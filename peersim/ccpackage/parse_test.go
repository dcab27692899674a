package ccpackage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseReadsAPackageInFabricsCLILayout(t *testing.T) {
	code := tarGz(t,
		dir("META-INF/"),
		dir("META-INF/statedb/"),
		dir("META-INF/statedb/couchdb/"),
		dir("META-INF/statedb/couchdb/indexes/"),
		dir("src/"),
		dir("src/chaincode/"),
		file("META-INF/statedb/couchdb/indexes/indexOwner.json", indexOwner),
		file("src/chaincode/main.go", goMain),
		file("src/go.mod", "module github.com/hyperledger/fabric-samples/asset-transfer-basic\n"),
		file("src/go.sum", ""),
	)
	data := outer(t, `{"path":"github.com/hyperledger/fabric-samples/asset-transfer-basic/chaincode","type":"golang","label":"basic_1.0"}`, code)
	p, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if p.Metadata.Label != "basic_1.0" || !p.Metadata.IsType(TypeGolang) {
		t.Errorf("metadata = %+v", p.Metadata)
	}
	if !bytes.Equal(p.Code, code) {
		t.Error("Code is not the package's code.tar.gz")
	}
	if len(p.Entries) != 10 || len(p.Indexes) != 1 || p.Connection != nil || len(p.Warnings) != 0 {
		t.Errorf("entries %d, indexes %d, connection %v, warnings %v", len(p.Entries), len(p.Indexes), p.Connection, p.Warnings)
	}
	if want := PackageID("basic_1.0", data); p.ID() != want {
		t.Errorf("ID() = %s, want %s", p.ID(), want)
	}
}

func TestParseAcceptsUppercaseTypesAndDotSlashNames(t *testing.T) {
	code := tarGz(t, dir("./"), dir("./src/"), file("./src/main.go", goMain))
	p, err := Parse(outer(t, `{"path":"example.com/cc","type":"GOLANG","label":"cc"}`, code))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := []string{p.Entries[0].Name, p.Entries[1].Name}; !cmp.Equal(got, []string{"src", "src/main.go"}) {
		t.Errorf("entries = %v, want cleaned names", got)
	}
}

func TestParseFindsIndexes(t *testing.T) {
	data := goPackage(t,
		file("src/main.go", goMain),
		file("META-INF/statedb/couchdb/indexes/indexOwner.json", indexOwner),
		file("META-INF/statedb/couchdb/collections/coll_A/indexes/size.json", indexColl),
		file("META-INF/statedb/couchdb/indexes/.hidden.json", "not read"),
		file("META-INF/statedb/couchdb/indexes/README.md", "not an index"),
		file("META-INF/other/thing.json", "not an index either"),
	)
	p, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []Index{
		{Name: "META-INF/statedb/couchdb/indexes/indexOwner.json", Definition: []byte(indexOwner)},
		{Collection: "coll_A", Name: "META-INF/statedb/couchdb/collections/coll_A/indexes/size.json", Definition: []byte(indexColl)},
	}
	if diff := cmp.Diff(want, p.Indexes); diff != "" {
		t.Errorf("indexes (-want +got):\n%s", diff)
	}
}

func TestParseReadsConnectionJSON(t *testing.T) {
	tests := []struct {
		name, typ, conn string
		want            Connection
		timeout         time.Duration
	}{
		{
			name: "a ccaas package with a duration string", typ: "ccaas",
			conn:    `{"address":"basic.example.com:9999","dial_timeout":"10s","tls_required":true,"root_cert":"PEM"}`,
			want:    Connection{Address: "basic.example.com:9999", DialTimeout: Duration(10 * time.Second), TLSRequired: true, RootCert: "PEM"},
			timeout: 10 * time.Second,
		},
		{
			name: "a CCAAS package with nanoseconds and client auth", typ: "CCAAS",
			conn:    `{"address":"cc:1","dial_timeout":2000000000,"tls_required":true,"client_auth_required":true,"client_key":"K","client_cert":"C","root_cert":"R","domain":"cc.local"}`,
			want:    Connection{Address: "cc:1", Domain: "cc.local", DialTimeout: Duration(2 * time.Second), TLSRequired: true, ClientAuthRequired: true, ClientKey: "K", ClientCert: "C", RootCert: "R"},
			timeout: 2 * time.Second,
		},
		{
			name: "an external package without a dial timeout", typ: "external",
			conn:    `{"address":"asset-transfer-basic.org1.example.com:9999","tls_required":false}`,
			want:    Connection{Address: "asset-transfer-basic.org1.example.com:9999"},
			timeout: DefaultDialTimeout,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := outer(t, `{"path":"","type":"`+tt.typ+`","label":"basic_1.0"}`, tarGz(t, file("connection.json", tt.conn)))
			p, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.Connection == nil {
				t.Fatal("Connection is nil")
			}
			if diff := cmp.Diff(tt.want, *p.Connection); diff != "" {
				t.Errorf("connection (-want +got):\n%s", diff)
			}
			if p.Connection.Timeout() != tt.timeout {
				t.Errorf("Timeout() = %v, want %v", p.Connection.Timeout(), tt.timeout)
			}
			if string(p.ConnectionJSON) != tt.conn {
				t.Errorf("ConnectionJSON = %s", p.ConnectionJSON)
			}
		})
	}
}

func TestParseWarnsAboutUnexpectedTopLevelFiles(t *testing.T) {
	meta := `{"path":"example.com/cc","type":"golang","label":"cc"}`
	code := tarGz(t, file("src/main.go", goMain))
	data := tarGz(t, file(MetadataFile, meta), file(CodeFile, string(code)), file("README", "hello"))
	p, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], `"README"`) {
		t.Errorf("warnings = %q, want one naming README", p.Warnings)
	}
}

// gzipBytes compresses raw bytes as one gzip member.
func gzipBytes(t *testing.T, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	if _, err := gz.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bomb returns a small gzip stream that inflates to a valid tar followed by
// n zero bytes.
func bomb(t *testing.T, n int, entries ...tarEntry) []byte {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, e := range entries {
		hdr := e.hdr
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	raw.Write(make([]byte, n))
	return gzipBytes(t, raw.Bytes())
}

func TestParseRefusesCorruptOrUnsafePackages(t *testing.T) {
	meta := `{"path":"example.com/cc","type":"golang","label":"cc_1.0"}`
	small := Limits{MaxTotalSize: 64 << 10, MaxEntries: 20}
	ok := tarGz(t, file("src/main.go", goMain))
	withMode := func(e tarEntry, mode int64) tarEntry { e.hdr.Mode = mode; return e }
	var many []tarEntry
	for i := range 30 {
		many = append(many, file("src/f"+string(rune('a'+i)), ""))
	}

	tests := []struct {
		name   string
		data   []byte
		limits Limits
		want   error
		text   string // the entry or rule the message must name
	}{
		// The package itself.
		{name: "bytes that are not gzip", data: []byte("PK\x03\x04 a zip file"), want: ErrCorrupt, text: "not a gzip stream"},
		{name: "a truncated package", data: goPackage(t, file("src/main.go", goMain))[:60], want: ErrCorrupt},
		{name: "a package without metadata.json", data: tarGz(t, file(CodeFile, string(ok))), want: ErrMissingFile, text: "metadata.json"},
		{name: "a package without code.tar.gz", data: tarGz(t, file(MetadataFile, meta)), want: ErrMissingFile, text: "code.tar.gz"},
		{name: "a package with ./metadata.json", data: tarGz(t, file("./"+MetadataFile, meta), file(CodeFile, string(ok))), want: ErrMissingFile, text: `found "./metadata.json"`},
		{name: "metadata that is not JSON", data: outer(t, `{"label":`, ok), want: ErrInvalidMetadata, text: "metadata.json"},
		{name: "an empty label", data: outer(t, `{"path":"p","type":"golang","label":""}`, ok), want: ErrInvalidLabel, text: `label ""`},
		{name: "a label starting with a symbol", data: outer(t, `{"path":"p","type":"golang","label":"-cc"}`, ok), want: ErrInvalidLabel, text: `"-cc"`},
		{name: "a label with a colon", data: outer(t, `{"path":"p","type":"golang","label":"cc:1"}`, ok), want: ErrInvalidLabel, text: `"cc:1"`},
		{name: "a label with a slash", data: outer(t, `{"path":"p","type":"golang","label":"../cc"}`, ok), want: ErrInvalidLabel},
		{name: "metadata without a type", data: outer(t, `{"path":"p","label":"cc"}`, ok), want: ErrInvalidMetadata, text: "type is empty"},
		{name: "a directory at the top level", data: tarGz(t, dir("x/"), file(MetadataFile, meta), file(CodeFile, string(ok))), want: ErrMisplacedEntry, text: `"x/"`},
		{name: "a symlink at the top level", data: tarGz(t, tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: CodeFile, Linkname: "/etc/passwd"}}), want: ErrLink, text: "/etc/passwd"},
		{name: "two metadata.json files", data: tarGz(t, file(MetadataFile, meta), file(MetadataFile, meta), file(CodeFile, string(ok))), want: ErrDuplicateEntry, text: `"metadata.json"`},
		{name: "a package file over the size limit", data: goPackage(t, file("src/big", strings.Repeat("x", 4096))), limits: Limits{MaxTotalSize: 100}, want: ErrTooLarge, text: "package file"},
		{name: "a package that inflates past the limit", data: bomb(t, 1<<20, file(MetadataFile, meta), file(CodeFile, string(ok))), limits: small, want: ErrTooLarge, text: "more than 65536 bytes"},
		{name: "a top-level entry declaring a size past the limit", data: tarGz(t, file(MetadataFile, meta), file(CodeFile, strings.Repeat("x", 128<<10))), limits: small, want: ErrTooLarge, text: `"code.tar.gz"`},

		// The code archive.
		{name: "a code archive that is not gzip", data: outer(t, meta, []byte("plain tar?")), want: ErrCorrupt, text: "code.tar.gz: corrupt archive: not a gzip stream"},
		{name: "a truncated code archive", data: outer(t, meta, ok[:len(ok)-12]), want: ErrCorrupt, text: "code.tar.gz"},
		{name: "a path climbing out with ..", data: goPackage(t, file("src/../../etc/cron.d/x", "* * * * * root sh")), want: ErrUnsafePath, text: `"src/../../etc/cron.d/x"`},
		{name: "a path climbing out with a leading ..", data: goPackage(t, file("../x", "")), want: ErrUnsafePath, text: `".."`},
		{name: "an absolute path", data: goPackage(t, file("/etc/passwd", "root::0:0")), want: ErrUnsafePath, text: "absolute"},
		{name: "a path with a backslash", data: goPackage(t, file(`src\..\..\x`, "")), want: ErrUnsafePath, text: "backslash"},
		{name: "a symlink pointing out", data: goPackage(t, tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "src/evil", Linkname: "../../../../etc"}}), want: ErrLink, text: `"src/evil"`},
		{name: "a symlink pointing inside", data: goPackage(t, file("src/a.go", goMain), tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "src/b.go", Linkname: "a.go"}}), want: ErrLink, text: "symbolic link"},
		{name: "a hard link", data: goPackage(t, tarEntry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "src/passwd", Linkname: "/etc/passwd"}}), want: ErrLink, text: "hard link"},
		{name: "a character device", data: goPackage(t, tarEntry{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "src/null", Devmajor: 1, Devminor: 3}}), want: ErrSpecialFile, text: "device"},
		{name: "a block device", data: goPackage(t, tarEntry{hdr: tar.Header{Typeflag: tar.TypeBlock, Name: "src/sda", Devmajor: 8}}), want: ErrSpecialFile, text: "device"},
		{name: "a named pipe", data: goPackage(t, tarEntry{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "src/pipe"}}), want: ErrSpecialFile, text: "named pipe"},
		{name: "a setuid file", data: goPackage(t, withMode(file("src/run", "x"), 0o104755)), want: ErrSpecialFile, text: "setuid"},
		{name: "the same file twice", data: goPackage(t, file("src/main.go", goMain), file("src/main.go", "package evil")), want: ErrDuplicateEntry, text: `"src/main.go"`},
		{name: "the same file twice under different spellings", data: goPackage(t, file("src/main.go", goMain), file("./src//main.go", "package evil")), want: ErrDuplicateEntry, text: "src/main.go"},
		{name: "a file and a directory of one name", data: goPackage(t, file("src/x", ""), dir("src/x/")), want: ErrDuplicateEntry, text: `"src/x/"`},
		{name: "an entry below a file", data: goPackage(t, file("src/x", ""), file("src/x/y", "")), want: ErrDuplicateEntry, text: `below "src/x"`},
		{name: "a file as the archive root", data: goPackage(t, file(".", "")), want: ErrUnsafePath, text: "archive root"},
		{name: "a Go file outside src", data: goPackage(t, file("src/main.go", goMain), file("bin/tool", "")), want: ErrMisplacedEntry, text: `"bin/tool"`},
		{name: "an invalid index definition", data: goPackage(t, file("META-INF/statedb/couchdb/indexes/bad.json", `{"index":{"fields":[{"size":"up"}]}}`)), want: ErrInvalidIndex, text: `bad.json`},
		{name: "an index that is not JSON", data: goPackage(t, file("META-INF/statedb/couchdb/collections/c/indexes/bad.json", `nope`)), want: ErrInvalidIndex, text: `bad.json`},
		{name: "a code archive that inflates past the limit", data: outer(t, meta, bomb(t, 1<<20, file("src/main.go", goMain))), limits: small, want: ErrTooLarge, text: "code.tar.gz"},
		{name: "a file declaring a size past the limit", data: outer(t, meta, gzipBytes(t, tarHeaderOnly(t, "src/huge", 1<<40))), limits: small, want: ErrTooLarge, text: `"src/huge"`},
		{name: "too many entries", data: goPackage(t, many...), limits: small, want: ErrTooManyEntries, text: "more than 20 entries"},
		{name: "a ccaas package without connection.json", data: outer(t, `{"path":"","type":"ccaas","label":"cc"}`, tarGz(t, file("META-INF/x", ""))), want: ErrMissingFile, text: "connection.json"},
		{name: "a ccaas connection.json without address", data: outer(t, `{"path":"","type":"ccaas","label":"cc"}`, tarGz(t, file("connection.json", `{"tls_required":false}`))), want: ErrInvalidConnection, text: "chaincode address not provided"},
		{name: "a ccaas connection.json requiring TLS without root cert", data: outer(t, `{"path":"","type":"ccaas","label":"cc"}`, tarGz(t, file("connection.json", `{"address":"a:1","tls_required":true}`))), want: ErrInvalidConnection, text: "root cert"},
		{name: "a ccaas connection.json with a bad timeout", data: outer(t, `{"path":"","type":"ccaas","label":"cc"}`, tarGz(t, file("connection.json", `{"address":"a:1","dial_timeout":"soon"}`))), want: ErrInvalidConnection, text: "soon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.data, WithLimits(tt.limits))
			if err == nil {
				t.Fatalf("Parse accepted the package (ID %s)", p.ID())
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse error = %v, want %v", err, tt.want)
			}
			t.Log(err)
			var ae *ArchiveError
			if !errors.As(err, &ae) {
				t.Errorf("Parse error %v is not an *ArchiveError", err)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("Parse error %q does not mention %q", err, tt.text)
			}
		})
	}
}

// tarHeaderOnly returns an uncompressed tar stream holding one header that
// declares size bytes, and no content: a lie only the header check sees.
func tarHeaderOnly(t *testing.T, name string, size int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes() // no Close: the content is missing on purpose
}

func TestParseRejectsNegativeLimits(t *testing.T) {
	_, err := Parse(goPackage(t, file("src/main.go", goMain)), WithLimits(Limits{MaxEntries: -1}))
	if err == nil || !strings.Contains(err.Error(), "MaxEntries -1") {
		t.Fatalf("Parse error = %v, want one naming MaxEntries -1", err)
	}
}

func TestValidateNamesVersionsAndLabels(t *testing.T) {
	tests := []struct {
		name  string
		check func(string) error
		value string
		want  error
	}{
		{"a simple name", ValidateName, "mycc", nil},
		{"a name with inner dashes and underscores", ValidateName, "my-cc_2", nil},
		{"an empty name", ValidateName, "", ErrInvalidName},
		{"a name ending in a dash", ValidateName, "mycc-", ErrInvalidName},
		{"a name with a dot", ValidateName, "my.cc", ErrInvalidName},
		{"a dotted version", ValidateVersion, "1.0.0+build-1", nil},
		{"an empty version", ValidateVersion, "", ErrInvalidVersion},
		{"a version with a slash", ValidateVersion, "1/2", ErrInvalidVersion},
		{"a version with a colon", ValidateVersion, "1:2", ErrInvalidVersion},
		{"a label made from name and version", ValidateLabel, Label("my-cc_2", "1.0.0+b"), nil},
		{"a label with a space", ValidateLabel, "my cc", ErrInvalidLabel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.check(tt.value)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("check(%q) = %v, want %v", tt.value, err, tt.want)
			}
		})
	}
}

func TestSplitPackageIDRefusesMalformedIDs(t *testing.T) {
	for _, id := range []string{"nocolon", "cc:abc", ":" + strings.Repeat("a", 64), "cc:" + strings.Repeat("A", 64), "cc:" + strings.Repeat("g", 64)} {
		if _, _, err := SplitPackageID(id); err == nil {
			t.Errorf("SplitPackageID(%q) accepted a malformed ID", id)
		}
	}
}
