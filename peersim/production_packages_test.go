package peersim

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
)

// TestProductionModeBuildFailureReachesTheClient instantiates a package
// that does not compile: the client gets the compiler's own message.
func TestProductionModeBuildFailureReachesTheClient(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	src := t.TempDir()
	writeFiles(t, src, 0o644, map[string]string{
		"go.mod":  "module example.com/broken\n\ngo 1.22\n",
		"main.go": "package main\n\nfunc main() {\n\tnoSuchFunction()\n}\n",
	})
	pkg, err := ccpackage.Pack(ccpackage.PackOptions{Dir: src, Label: "broken_1.0"})
	if err != nil {
		t.Fatal(err)
	}
	n := startProd(t, t.TempDir(), true)
	n.installOK(t, "broken", "1.0", pkg)
	resp := n.endorseDeploy(t, DefaultChannel, "broken", "1.0", "init")
	msg := resp.GetResponse().GetMessage()
	for _, want := range []string{"could not launch chaincode broken:1.0: ", "main.go:4:2: undefined: noSuchFunction"} {
		if resp.GetResponse().GetStatus() != 500 || !strings.Contains(msg, want) {
			t.Errorf("deploy: %d %q, want it to contain %q", resp.GetResponse().GetStatus(), msg, want)
		}
	}
	n.log.wait(t, "undefined: noSuchFunction") // the build output is in the peer's log too
	if got := n.p.launcher.List(); len(got) != 0 {
		t.Errorf("running %+v after a failed build", got)
	}
}

// TestProductionModeRefusesUnsafeArchivesAtInstall installs hand-made
// archives that try to escape the build directory: each is refused with
// an error naming the entry and nothing is stored.
func TestProductionModeRefusesUnsafeArchivesAtInstall(t *testing.T) {
	main := tarEntry{name: "src/main.go", body: "package main\n\nfunc main() {}\n"}
	tests := []struct {
		name  string
		entry tarEntry
		want  string
	}{
		{name: "a path that climbs out", entry: tarEntry{name: "src/../../evil.go", body: "package evil"}, want: "src/../../evil.go"},
		{name: "an absolute path", entry: tarEntry{name: "/etc/evil", body: "x"}, want: "/etc/evil"},
		{name: "a symbolic link out", entry: tarEntry{name: "src/link", link: "/etc/passwd", typ: tar.TypeSymlink}, want: "src/link"},
		{name: "a hard link", entry: tarEntry{name: "src/hard", link: "src/main.go", typ: tar.TypeLink}, want: "src/hard"},
	}
	dir := t.TempDir()
	n := startProd(t, dir, true)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := n.installPackage(t, n.admin, "evil", "1.0", rawPackage(t, "evil_1.0", main, tt.entry))
			msg := resp.GetResponse().GetMessage()
			if resp.GetResponse().GetStatus() != 500 || !strings.Contains(msg, "install evil:1.0") || !strings.Contains(msg, tt.want) {
				t.Errorf("install: %d %q, want a refusal naming %q", resp.GetResponse().GetStatus(), msg, tt.want)
			}
		})
	}
	if got := n.p.store.List(); len(got) != 0 {
		t.Errorf("installed %+v", got)
	}
	stored, err := filepath.Glob(filepath.Join(dir, "chaincodes", "*.tar.gz"))
	if err != nil || len(stored) != 0 {
		t.Errorf("package files stored: %v %v", stored, err)
	}
	for _, escaped := range []string{filepath.Join(dir, "evil.go"), filepath.Join(filepath.Dir(dir), "evil.go")} {
		if _, err := os.Stat(escaped); err == nil {
			t.Errorf("%s was written", escaped)
		}
	}
}
