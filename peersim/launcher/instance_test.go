//go:build unix

package launcher

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestInstanceOfSplitsOrgInstanceIDs(t *testing.T) {
	tests := []struct {
		name, id, ccid, mspID string
		ok                    bool
	}{
		{"an instance id names its chaincode and organisation", OrgInstanceOf("mycc:1.0", "Org2MSP"), "mycc:1.0", "Org2MSP", true},
		{"a package ID's instance names the package ID", OrgInstanceOf("lc_1:0a1b", "Org2MSP"), "lc_1:0a1b", "Org2MSP", true},
		{"the twin of an instance runs for its organisation", TwinOf(OrgInstanceOf("mycc:1.0", "Org2MSP")), "mycc:1.0", "Org2MSP", true},
		{"the first '@' ends the chaincode id", OrgInstanceOf("mycc:1.0", "Org@2"), "mycc:1.0", "Org@2", true},
		{"an ordinary id is no instance", "mycc:1.0", "mycc:1.0", "", false},
		{"a twin of an ordinary id is no instance", TwinOf("mycc:1.0"), TwinOf("mycc:1.0"), "", false},
		{"no chaincode id", "@Org2MSP", "@Org2MSP", "", false},
		{"no organisation", "mycc:1.0@", "mycc:1.0@", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ccid, mspID, ok := InstanceOf(tt.id)
			if ccid != tt.ccid || mspID != tt.mspID || ok != tt.ok {
				t.Errorf("InstanceOf(%q) = %q, %q, %v; want %q, %q, %v", tt.id, ccid, mspID, ok, tt.ccid, tt.mspID, tt.ok)
			}
		})
	}
}

// TestOrgInstanceRunsForItsOrganisation launches a chaincode, the process
// of it of another organisation and that process's twin: each registers
// as its own id with the MSP ID of the organisation it runs for (over
// Config.ChaincodeEnv's), each is listed, and the instance outlives the
// first organisation's process while its twin stops with it.
func TestOrgInstanceRunsForItsOrganisation(t *testing.T) {
	sink := newLogSink()
	r := newRunner(t, sink, func(c *Config) {
		helperMode("env")(c)
		c.ChaincodeEnv = append(c.ChaincodeEnv, "CORE_PEER_LOCALMSPID=FromChaincodeEnv")
	})
	pkg := helperPackage(t, r, "mycc_1")
	inst := OrgInstanceOf("mycc:1", "Org2MSP")
	twin := TwinOf(inst)
	procs := map[string]*Process{}
	for _, id := range []string{"mycc:1", inst, twin} {
		procs[id] = launch(t, r, id, pkg)
		sink.wait(t, "["+id+"] ready")
	}
	mspIDs := map[string][]string{}
	for _, l := range sink.all() {
		for id := range procs {
			if rest, ok := strings.CutPrefix(l, "["+id+"] env CORE_PEER_LOCALMSPID="); ok {
				mspIDs[id] = append(mspIDs[id], strings.Fields(rest)[0])
			}
		}
	}
	// os/exec keeps the last value of a key.
	last := func(id string) string {
		if v := mspIDs[id]; len(v) > 0 {
			return v[len(v)-1]
		}
		return ""
	}
	for id, want := range map[string]string{"mycc:1": "FromChaincodeEnv", inst: "Org2MSP", twin: "Org2MSP"} {
		if got := last(id); got != want {
			t.Errorf("%s runs with CORE_PEER_LOCALMSPID=%q (all: %q), want %q", id, got, mspIDs[id], want)
		}
	}
	sink.wait(t, "["+inst+"] env CORE_CHAINCODE_ID_NAME="+inst)
	var listed []string
	for _, run := range r.List() {
		listed = append(listed, run.CCID)
	}
	if want := []string{"mycc:1", inst, twin}; !slices.Equal(listed, want) {
		t.Errorf("List = %q, want %q", listed, want)
	}

	if err := r.Stop(context.Background(), "mycc:1"); err != nil {
		t.Fatal(err)
	}
	if r.Process(inst) != procs[inst] || procs[inst].Err() != nil {
		t.Errorf("the instance of Org2MSP stopped with the first organisation's process")
	}
	if err := r.Stop(context.Background(), inst); err != nil {
		t.Fatal(err)
	}
	waitDone(t, procs[twin])
	if got := r.List(); len(got) != 0 {
		t.Errorf("running after both stopped: %+v, want nothing", got)
	}
}

func TestOrgInstanceOfAChaincodeServerIsRefused(t *testing.T) {
	r := newRunner(t, nil, nil)
	pkg := pack(t, writeModule(t, map[string]string{"connection.json": `{"address":"127.0.0.1:9999"}`}), "svc_1", "ccaas")
	_, err := r.Launch(context.Background(), OrgInstanceOf("svc:1", "Org2MSP"), pkg)
	if !errors.Is(err, ErrServiceInstance) || !strings.Contains(err.Error(), "Org2MSP") {
		t.Fatalf("Launch of an org instance of a chaincode server: %v, want ErrServiceInstance naming Org2MSP", err)
	}
	if got := r.List(); len(got) != 0 {
		t.Errorf("running %+v, want nothing", got)
	}
}

func TestExternalBuilderRunsAnOrgInstanceForItsOrganisation(t *testing.T) {
	sink := newLogSink()
	ext := writeBuilder(t, "ext", map[string]string{"detect": extDetect, "build": extBuild, "release": extRelease, "run": extRun})
	r := newRunner(t, sink, func(c *Config) {
		c.ExternalBuilders = []Builder{ext}
		c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	})
	pkg := pack(t, writeModule(t, map[string]string{"go.mod": tinyGoMod, "main.go": tinyMain}), "ext_1", "")
	inst := OrgInstanceOf("ext:1", "Org2MSP")
	p := launch(t, r, inst, pkg)
	line := sink.wait(t, "["+inst+`] {"chaincode_id"`)
	raw := line[strings.Index(line, "{") : strings.LastIndex(line, "}")+1]
	var meta chaincodeJSON
	if err := json.Unmarshal([]byte(raw), &meta); err != nil {
		t.Fatalf("chaincode.json %q: %v", raw, err)
	}
	if meta.ChaincodeID != inst || meta.MSPID != "Org2MSP" {
		t.Errorf("chaincode.json names %q for %q, want %q for Org2MSP", meta.ChaincodeID, meta.MSPID, inst)
	}
	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitDone(t, p)
}
