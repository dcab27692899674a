package peersim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The integration suite integration/fabriccli proves Fabric's CLI reads it.
func TestWriteCoreYAMLPointsAtTheAdminMSP(t *testing.T) {
	dir := t.TempDir()
	if _, err := Identities(dir); err != nil {
		t.Fatal(err)
	}
	if err := WriteCoreYAML(dir, MSPID()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(FabricConfigPath(dir), "core.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	msp, err := IdentityMSPDir(dir, "Admin")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"localMspId: Org1MSP", `mspConfigPath: "` + msp + `"`, "BCCSP:", "enabled: false"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("core.yaml lacks %q:\n%s", want, b)
		}
	}
}
