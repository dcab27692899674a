package ccpackage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPackGoModuleHoldsWhatFabricsPackagerWouldTake(t *testing.T) {
	mod := sampleModule(t)
	data, err := Pack(PackOptions{Dir: filepath.Join(mod, "chaincode"), Label: "assets_1.0"})
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	p, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	wantMeta := Metadata{Path: "example.com/assets/chaincode", Type: "golang", Label: "assets_1.0"}
	if diff := cmp.Diff(wantMeta, p.Metadata); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	if got, want := string(p.MetadataJSON), `{"path":"example.com/assets/chaincode","type":"golang","label":"assets_1.0"}`; got != want {
		t.Errorf("metadata.json = %s, want %s", got, want)
	}
	var names []string
	for _, e := range p.Entries {
		n := e.Name
		if e.Dir {
			n += "/"
		}
		names = append(names, n)
	}
	want := []string{
		"META-INF/",
		"META-INF/statedb/",
		"META-INF/statedb/couchdb/",
		"META-INF/statedb/couchdb/collections/",
		"META-INF/statedb/couchdb/collections/coll-1/",
		"META-INF/statedb/couchdb/collections/coll-1/indexes/",
		"META-INF/statedb/couchdb/indexes/",
		"src/",
		"src/chaincode/",
		"src/lib/",
		"src/lib/testdata/",
		"src/vendor/",
		"META-INF/statedb/couchdb/collections/coll-1/indexes/size.json",
		"META-INF/statedb/couchdb/indexes/indexOwner.json",
		"src/.gitignore",
		"src/chaincode/main.go",
		"src/go.mod",
		"src/go.sum",
		"src/lib/lib.go",
		"src/lib/testdata/x.txt",
		"src/vendor/modules.txt",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("code archive entries (-want +got):\n%s", diff)
	}
	wantIdx := []Index{
		{Collection: "coll-1", Name: "META-INF/statedb/couchdb/collections/coll-1/indexes/size.json", Definition: []byte(indexColl)},
		{Name: "META-INF/statedb/couchdb/indexes/indexOwner.json", Definition: []byte(indexOwner)},
	}
	if diff := cmp.Diff(wantIdx, p.Indexes); diff != "" {
		t.Errorf("indexes (-want +got):\n%s", diff)
	}
}

func TestPackGivesTheBytesFabricsPeerCLIWrites(t *testing.T) {
	mod := writeTree(t, map[string]string{
		"go.mod":  "module \"example.com/cc\"\n",
		"main.go": goMain,
		"META-INF/statedb/couchdb/indexes/indexOwner.json": indexOwner,
	})
	got, err := Pack(PackOptions{Dir: mod, Label: "cc_1"})
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	// The layout of core/chaincode/platforms/golang GetDeploymentPayload and
	// internal/peer/lifecycle/chaincode/package.go, written out by hand.
	code := tarGz(t,
		dir("META-INF/"),
		dir("META-INF/statedb/"),
		dir("META-INF/statedb/couchdb/"),
		dir("META-INF/statedb/couchdb/indexes/"),
		dir("src/"),
		file("META-INF/statedb/couchdb/indexes/indexOwner.json", indexOwner),
		file("src/go.mod", "module \"example.com/cc\"\n"),
		file("src/main.go", goMain),
	)
	want := outer(t, `{"path":"example.com/cc","type":"golang","label":"cc_1"}`, code)
	if !bytes.Equal(got, want) {
		t.Errorf("Pack wrote %d bytes that differ from the %d bytes of Fabric's layout", len(got), len(want))
	}
}

func TestPackIsDeterministic(t *testing.T) {
	mod := sampleModule(t)
	cc := filepath.Join(mod, "chaincode")
	first, err := Pack(PackOptions{Dir: cc, Label: "assets_1.0"})
	if err != nil {
		t.Fatal(err)
	}
	// Times, permissions and the order files were created in must not matter.
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(cc, "main.go"), old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(mod, "lib", "lib.go"), 0o755); err != nil {
		t.Fatal(err)
	}
	second, err := Pack(PackOptions{Dir: cc, Label: "assets_1.0"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatal("packing the same source twice gave different bytes")
	}
	p1, _ := Parse(first)
	p2, _ := Parse(second)
	if p1.ID() != p2.ID() {
		t.Errorf("package IDs differ: %s and %s", p1.ID(), p2.ID())
	}
}

func TestPackageIDIsLabelColonSHA256(t *testing.T) {
	data, err := Pack(PackOptions{Dir: filepath.Join(sampleModule(t), "chaincode"), Label: Label("assets", "1.0")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if want := "assets_1.0:" + hex.EncodeToString(sum[:]); p.ID() != want {
		t.Errorf("ID() = %s, want %s", p.ID(), want)
	}
	if !regexp.MustCompile(`^assets_1\.0:[0-9a-f]{64}$`).MatchString(p.ID()) {
		t.Errorf("ID() = %s does not have the form label:64-hex", p.ID())
	}
	label, hash, err := SplitPackageID(p.ID())
	if err != nil || label != "assets_1.0" || hash != hex.EncodeToString(sum[:]) {
		t.Errorf("SplitPackageID(%s) = %q, %q, %v", p.ID(), label, hash, err)
	}
	if !bytes.Equal(p.Bytes(), data) {
		t.Error("Bytes() does not return the parsed bytes")
	}
}

func TestPackFollowsSymlinksToRegularFiles(t *testing.T) {
	mod := writeTree(t, map[string]string{"go.mod": "module example.com/cc\n", "main.go": goMain, "elsewhere/shared.txt": "shared"})
	if err := os.Symlink(filepath.Join(mod, "elsewhere", "shared.txt"), filepath.Join(mod, "link.txt")); err != nil {
		t.Fatal(err)
	}
	data, err := Pack(PackOptions{Dir: mod, Label: "cc"})
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	p, _ := Parse(data)
	i := slices.IndexFunc(p.Entries, func(e Entry) bool { return e.Name == "src/link.txt" })
	if i < 0 || p.Entries[i].Size != int64(len("shared")) || p.Entries[i].Dir {
		t.Errorf("src/link.txt not packed as a regular file of the target's size: %+v", p.Entries)
	}
}

func TestPackChaincodeAsAService(t *testing.T) {
	conn := `{"address":"{{.peername}}_basic:9999","dial_timeout":"10s","tls_required":false}`
	src := writeTree(t, map[string]string{
		"connection.json": conn,
		"META-INF/statedb/couchdb/indexes/indexOwner.json": indexOwner,
		"notes.txt": "not packed",
	})
	data, err := Pack(PackOptions{Dir: src, Label: "basic_1.0", Type: TypeCCaaS})
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	p, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if p.Metadata != (Metadata{Type: "ccaas", Label: "basic_1.0"}) {
		t.Errorf("metadata = %+v", p.Metadata)
	}
	if p.Connection == nil || p.Connection.Address != "{{.peername}}_basic:9999" || p.Connection.Timeout() != 10*time.Second {
		t.Errorf("connection = %+v", p.Connection)
	}
	if string(p.ConnectionJSON) != conn {
		t.Errorf("connection.json = %s, want %s", p.ConnectionJSON, conn)
	}
	if len(p.Indexes) != 1 {
		t.Errorf("indexes = %+v, want the one index", p.Indexes)
	}
	for _, e := range p.Entries {
		if strings.Contains(e.Name, "notes") {
			t.Errorf("entry %s packed; only connection.json and META-INF belong in a ccaas package", e.Name)
		}
	}
}

func TestPackRefuses(t *testing.T) {
	goMod := "module example.com/cc\n"
	tests := []struct {
		name  string
		files map[string]string
		sub   string // chaincode directory below the tree
		opts  PackOptions
		want  error
		text  string
	}{
		{name: "a directory outside any module", files: map[string]string{"main.go": goMain}, want: ErrInvalidSource, text: "no go.mod"},
		{name: "a directory without Go files", files: map[string]string{"go.mod": goMod, "README": "x"}, want: ErrInvalidSource, text: "no .go files"},
		{name: "a bad label", files: map[string]string{"go.mod": goMod, "main.go": goMain}, opts: PackOptions{Label: "_bad"}, want: ErrInvalidLabel, text: `"_bad"`},
		{name: "an empty label", files: map[string]string{"go.mod": goMod, "main.go": goMain}, opts: PackOptions{Label: ""}, want: ErrInvalidLabel},
		{name: "a type it cannot package", files: map[string]string{"go.mod": goMod, "main.go": goMain}, opts: PackOptions{Label: "cc", Type: "java"}, want: ErrInvalidSource, text: `"java"`},
		{name: "a META-INF file that is not an index", files: map[string]string{"go.mod": goMod, "main.go": goMain, "META-INF/notes.txt": "x"}, want: ErrInvalidIndex, text: "notes.txt"},
		{name: "an index that is not JSON", files: map[string]string{"go.mod": goMod, "main.go": goMain, "META-INF/statedb/couchdb/indexes/bad.json": "{"}, want: ErrInvalidIndex, text: "bad.json"},
		{name: "an index without an index object", files: map[string]string{"go.mod": goMod, "main.go": goMain, "META-INF/statedb/couchdb/indexes/bad.json": `{"name":"x"}`}, want: ErrInvalidIndex, text: `"index"`},
		{name: "a chaincode inside a hidden directory", files: map[string]string{"go.mod": goMod, ".hidden/cc/main.go": goMain}, sub: ".hidden/cc", want: ErrInvalidSource, text: ".hidden"},
		{name: "a module over the size limit", files: map[string]string{"go.mod": goMod, "main.go": goMain, "big.bin": strings.Repeat("x", 4096)}, opts: PackOptions{Label: "cc", Limits: Limits{MaxTotalSize: 1024}}, want: ErrTooLarge},
		{name: "a module over the entry limit", files: map[string]string{"go.mod": goMod, "main.go": goMain, "a": "", "b": "", "c": ""}, opts: PackOptions{Label: "cc", Limits: Limits{MaxEntries: 4}}, want: ErrTooManyEntries},
		{name: "ccaas without connection.json", files: map[string]string{"README": "x"}, opts: PackOptions{Label: "cc", Type: TypeCCaaS}, want: ErrInvalidSource, text: "connection.json"},
		{name: "ccaas with a connection.json without address", files: map[string]string{"connection.json": `{"dial_timeout":"10s"}`}, opts: PackOptions{Label: "cc", Type: TypeCCaaS}, want: ErrInvalidConnection, text: "chaincode address not provided"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, tt.files)
			opts := tt.opts
			if opts.Label == "" && tt.want != ErrInvalidLabel {
				opts.Label = "cc"
			}
			opts.Dir = filepath.Join(root, filepath.FromSlash(tt.sub))
			_, err := Pack(opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Pack error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("Pack error %q does not mention %q", err, tt.text)
			}
		})
	}
}

func TestPackRefusesSymlinkedDirectories(t *testing.T) {
	mod := writeTree(t, map[string]string{"go.mod": "module example.com/cc\n", "main.go": goMain})
	if err := os.Symlink(t.TempDir(), filepath.Join(mod, "dirlink")); err != nil {
		t.Fatal(err)
	}
	_, err := Pack(PackOptions{Dir: mod, Label: "cc"})
	if !errors.Is(err, ErrInvalidSource) || !strings.Contains(err.Error(), "dirlink") {
		t.Fatalf("Pack error = %v, want ErrInvalidSource naming dirlink", err)
	}
}

func TestModulePath(t *testing.T) {
	tests := []struct {
		name, gomod, want string
		wantErr           bool
	}{
		{name: "a plain directive", gomod: "module example.com/a\n", want: "example.com/a"},
		{name: "a directive after comments and with a trailing comment", gomod: "// header\n\nmodule example.com/b // x\ngo 1.22\n", want: "example.com/b"},
		{name: "a quoted path", gomod: "module \"example.com/c\"\n", want: "example.com/c"},
		{name: "a file without a directive", gomod: "go 1.22\n", wantErr: true},
		{name: "a block directive", gomod: "module (\n example.com/d\n)\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := modulePath([]byte(tt.gomod))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("modulePath = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
