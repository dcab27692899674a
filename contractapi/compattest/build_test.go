package compattest_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFabricChaincodeBuildsAgainstOurs builds testdata/chaincode, a main
// package written against fabric-contract-api-go, with `go build -overlay`
// swapping in the same source with import paths rewritten, then runs the
// binary to check that a bad META-INF/metadata.json beside it stops it with
// a message naming the field.
func TestFabricChaincodeBuildsAgainstOurs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary with the go command")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	src, err := filepath.Abs(filepath.Join("testdata", "chaincode", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	original, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	rewritten := string(original)
	for _, r := range importRewrites {
		rewritten = strings.ReplaceAll(rewritten, r.from, r.to)
	}
	dir := t.TempDir()
	replacement := filepath.Join(dir, "main.go")
	if err := os.WriteFile(replacement, []byte(rewritten), 0o600); err != nil {
		t.Fatal(err)
	}
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {src: replacement}})
	if err != nil {
		t.Fatal(err)
	}
	overlayFile := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(dir, "chaincode")
	build := exec.CommandContext(ctx, goBin, "build", "-overlay", overlayFile, "-o", bin, "./testdata/chaincode")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build with rewritten imports: %v\n%s", err, out)
	}
	// the built binary must not contain Fabric's contract API
	version := exec.CommandContext(ctx, goBin, "version", "-m", bin)
	out, err := version.CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "fabric-contract-api-go") {
		t.Errorf("binary still links fabric-contract-api-go:\n%s", out)
	}

	run := func(env ...string) (string, int) {
		cmd := exec.CommandContext(ctx, bin)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("run chaincode: %v", err)
		}
		return string(out), code
	}

	out2, code := run("CHAINCODE_SERVER_ADDRESS=127.0.0.1:0", "CHAINCODE_ID=", "CORE_CHAINCODE_ID_NAME=")
	if code == 0 || !strings.Contains(out2, "neither CHAINCODE_ID nor CORE_CHAINCODE_ID_NAME is set") {
		t.Errorf("chaincode server without CCID: exit %d, output %q", code, out2)
	}

	if err := os.MkdirAll(filepath.Join(dir, "META-INF"), 0o755); err != nil {
		t.Fatal(err)
	}
	bad := `{"info":{"title":"ledger"},"contracts":{"Ledger":{"name":"Ledger","transactions":[{"name":"Put"}]}}}`
	if err := os.WriteFile(filepath.Join(dir, "META-INF", "metadata.json"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	out3, code := run("CHAINCODE_SERVER_ADDRESS=127.0.0.1:0", "CHAINCODE_ID=x")
	if code == 0 || !strings.Contains(out3, "info.version: version is required") {
		t.Errorf("bad metadata file: exit %d, output %q", code, out3)
	}
}
