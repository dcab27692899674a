package ccpackage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// tarEntry is one entry of a hand-made archive.
type tarEntry struct {
	hdr  tar.Header
	body []byte
}

// file returns a regular-file entry with Fabric's code-archive header.
func file(name, body string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o100644, Uid: 500, Gid: 500, Size: int64(len(body))}, body: []byte(body)}
}

// dir returns a directory entry with Fabric's code-archive header.
func dir(name string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o40755, Uid: 500, Gid: 500}}
}

// tarGz writes entries as a gzip-compressed tar, the way Fabric's tools do.
func tarGz(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		hdr := e.hdr
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatalf("write header %s: %v", hdr.Name, err)
		}
		if len(e.body) > 0 {
			if _, err := tw.Write(e.body); err != nil {
				t.Fatalf("write %s: %v", hdr.Name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// outer wraps metadata and a code archive into a package the way Fabric's
// peer CLI does (metadata.json first, mode 0100644, no owner).
func outer(t testing.TB, metaJSON string, code []byte) []byte {
	t.Helper()
	return tarGz(t,
		tarEntry{hdr: tar.Header{Name: MetadataFile, Mode: 0o100644, Size: int64(len(metaJSON))}, body: []byte(metaJSON)},
		tarEntry{hdr: tar.Header{Name: CodeFile, Mode: 0o100644, Size: int64(len(code))}, body: code},
	)
}

// goPackage returns a package whose code archive holds entries, with Go
// metadata.
func goPackage(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	return outer(t, `{"path":"example.com/cc","type":"golang","label":"cc_1.0"}`, tarGz(t, entries...))
}

// writeTree creates files (path -> content) under a new temporary
// directory and returns it.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const (
	indexOwner = `{"index":{"fields":["docType","owner"]},"ddoc":"indexOwnerDoc","name":"indexOwner","type":"json"}`
	indexColl  = `{"index":{"fields":[{"size":"desc"}]},"name":"bySize","type":"json"}`
	goMain     = "package main\n\nfunc main() {}\n"
)

// sampleModule is a module with the chaincode in a subdirectory, a library
// package, META-INF indexes and the things Fabric skips or keeps.
func sampleModule(t testing.TB) string {
	t.Helper()
	return writeTree(t, map[string]string{
		"go.mod":             "module example.com/assets // the module\n\ngo 1.22\n",
		"go.sum":             "",
		".gitignore":         "bin/\n",
		".git/config":        "[core]\n",
		"lib/lib.go":         "package lib\n",
		"lib/testdata/x.txt": "fixture",
		"vendor/modules.txt": "# vendored\n",
		"chaincode/main.go":  goMain,
		"chaincode/META-INF/statedb/couchdb/indexes/indexOwner.json":              indexOwner,
		"chaincode/META-INF/statedb/couchdb/collections/coll-1/indexes/size.json": indexColl,
		"chaincode/META-INF/.DS_Store":                                            "junk",
	})
}

func symlinkHeader(name, target string) tar.Header {
	return tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target}
}
