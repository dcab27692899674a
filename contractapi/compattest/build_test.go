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
// package written against fabric-contract-api-go, against ours (see
// buildChaincode), then runs the binary to check that server mode without a
// CCID and a bad META-INF/metadata.json beside it stop it with a message
// naming the setting or field.
func TestFabricChaincodeBuildsAgainstOurs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary with the go command")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := buildChaincode(ctx, t, dir, true)

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

// buildChaincode builds testdata/chaincode into dir and returns the binary's
// path. With ours it is built against chaincodekit: `go build -overlay`
// swaps in the same source with only its import paths rewritten, and the
// binary is checked not to link Fabric's contract API.
func buildChaincode(ctx context.Context, t *testing.T, dir string, ours bool) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	name, args := "fabric", []string{"build"}
	if ours {
		name = "ours"
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
		args = append(args, "-overlay", overlayFile)
	}
	bin := filepath.Join(dir, name)
	build := exec.CommandContext(ctx, goBin, append(args, "-o", bin, "./testdata/chaincode")...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build of the %s chaincode: %v\n%s", name, err, out)
	}
	version := exec.CommandContext(ctx, goBin, "version", "-m", bin)
	out, err := version.CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	if links := strings.Contains(string(out), "fabric-contract-api-go"); links == ours {
		t.Fatalf("the %s binary linking fabric-contract-api-go is %v, want %v:\n%s", name, links, !ours, out)
	}
	return bin
}
