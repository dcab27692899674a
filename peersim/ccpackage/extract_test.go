package ccpackage

import (
	"archive/tar"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExtractUnpacksTheCodeArchive(t *testing.T) {
	mod := sampleModule(t)
	data, err := Pack(PackOptions{Dir: filepath.Join(mod, "chaincode"), Label: "assets_1.0"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "src-dir")
	if err := Extract(p, dest); err != nil {
		t.Fatalf("Extract: %v", err)
	}
	for name, want := range map[string]string{
		"src/chaincode/main.go": goMain,
		"src/go.mod":            "module example.com/assets // the module\n\ngo 1.22\n",
		"src/.gitignore":        "bin/\n",
		"META-INF/statedb/couchdb/indexes/indexOwner.json": indexOwner,
	} {
		got, err := os.ReadFile(filepath.Join(dest, filepath.FromSlash(name)))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "src", ".git")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("src/.git exists after extraction (stat error %v); hidden directories are not packed", err)
	}
	info, err := os.Stat(filepath.Join(dest, "src", "go.mod"))
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("src/go.mod mode = %v, %v; want 0644", info.Mode(), err)
	}
}

func TestExtractKeepsExecutableBits(t *testing.T) {
	code := tarGz(t,
		tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "bin/run", Mode: 0o100775, Size: 2}, body: []byte("#!")},
		tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "bin/data", Mode: 0o100666, Size: 1}, body: []byte("d")},
	)
	p, err := Parse(outer(t, `{"path":"","type":"external","label":"ext"}`, code))
	if err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	if err := Extract(p, dest); err != nil {
		t.Fatalf("Extract: %v", err)
	}
	for name, want := range map[string]os.FileMode{"bin/run": 0o755, "bin/data": 0o644} {
		info, err := os.Stat(filepath.Join(dest, name))
		if err != nil || info.Mode().Perm() != want {
			t.Errorf("%s mode = %v, %v; want %v", name, info.Mode().Perm(), err, want)
		}
	}
}

func TestExtractRefusesANonEmptyDestination(t *testing.T) {
	p, err := Parse(goPackage(t, file("src/main.go", goMain)))
	if err != nil {
		t.Fatal(err)
	}
	dest := writeTree(t, map[string]string{"src/main.go": "package old"})
	err = Extract(p, dest)
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("Extract error = %v, want a refusal of the non-empty directory", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "src", "main.go")); string(got) != "package old" {
		t.Errorf("existing file was overwritten: %q", got)
	}
}

func TestExtractChecksTheArchiveAgainAndCleansUp(t *testing.T) {
	p, err := Parse(goPackage(t, file("src/main.go", goMain)))
	if err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	// A caller that swapped the code archive after Parse must not get the
	// traversal past Extract; what was written before the bad entry goes.
	p.Code = tarGz(t, file("src/ok.go", goMain), file("src/../../"+filepath.Base(outside)+"/pwned", "x"))
	parent := t.TempDir()
	dest := filepath.Join(parent, "out")
	err = Extract(p, dest)
	if !errors.Is(err, ErrUnsafePath) {
		t.Fatalf("Extract error = %v, want ErrUnsafePath", err)
	}
	left, _ := os.ReadDir(dest)
	if len(left) != 0 {
		t.Errorf("Extract left %d entries in %s after failing", len(left), dest)
	}
	if _, err := os.Stat(filepath.Join(outside, "pwned")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file was written outside the destination (stat error %v)", err)
	}
}

func TestExtractRefusesNoPackage(t *testing.T) {
	if err := Extract(nil, t.TempDir()); err == nil {
		t.Fatal("Extract(nil) succeeded")
	}
}
