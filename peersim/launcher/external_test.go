//go:build unix

package launcher

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeBuilder writes an external builder whose scripts are the given
// shell bodies.
func writeBuilder(t *testing.T, name string, scripts map[string]string) Builder {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for script, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, "bin", script), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return Builder{Name: name, Path: dir, PropagateEnvironment: []string{"PROPAGATED"}}
}

// Scripts of a builder that claims packages labelled ext_*.
const (
	extDetect  = `echo "detect $#"; grep -q '"label":"ext_' "$2/metadata.json"`
	extBuild   = `echo "build $#"; test -f "$1/src/go.mod" || { echo "no go.mod in SRC_DIR" >&2; exit 1; }; cp "$2/metadata.json" "$3/"; echo built > "$3/artifact"`
	extRelease = `echo "release $#"; cp "$1/artifact" "$2/released"`
	extRun     = `echo "run $# $(basename "$1")"; echo "mode $(stat -c %a "$2/chaincode.json")"; cat "$2/chaincode.json"; echo; env | sort | sed 's/^/env /'
trap 'echo got TERM; exit 0' TERM
echo ready
sleep 1000 & wait $!`
)

func TestExternalBuilderBuildsReleasesAndRuns(t *testing.T) {
	sink := newLogSink()
	ca := newRecordingCA(t)
	decliner := writeBuilder(t, "nope", map[string]string{"detect": "exit 1", "build": "echo must not build; exit 99"})
	ext := writeBuilder(t, "ext", map[string]string{"detect": extDetect, "build": extBuild, "release": extRelease, "run": extRun})
	dataDir := t.TempDir()
	cfg := func(c *Config) {
		c.DataDir = dataDir
		c.TLS, c.CA = true, ca
		c.ExternalBuilders = []Builder{decliner, ext}
		c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "SECRET=peer-only", "PROPAGATED=yes"}
	}
	r := newRunner(t, sink, cfg)
	pkg := pack(t, writeModule(t, map[string]string{"go.mod": tinyGoMod, "main.go": tinyMain}), "ext_1", "")

	b, err := r.Build(context.Background(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	if b.Builder != "ext" || b.Connection != nil || b.Reused {
		t.Fatalf("build = %+v", b)
	}
	for _, f := range []string{"bld/artifact", "bld/metadata.json", "release/released", "build-info.json"} {
		if _, err := os.Stat(filepath.Join(b.Dir, f)); err != nil {
			t.Errorf("build output lacks %s: %v", f, err)
		}
	}
	sink.wait(t, "detect 2")
	sink.wait(t, "build 3")
	sink.wait(t, "release 2")
	for _, l := range sink.all() {
		if strings.Contains(l, "must not build") {
			t.Error("the builder that declined was asked to build")
		}
	}

	p := launch(t, r, "ext:1", pkg)
	sink.wait(t, "[ext:1] ready")
	sink.wait(t, "[ext:1] run 2 bld")
	sink.wait(t, "[ext:1] mode 600")
	sink.wait(t, "[ext:1] env PROPAGATED=yes")
	sink.wait(t, "[ext:1] env PATH=")
	line := sink.wait(t, `[ext:1] {"chaincode_id"`)
	raw := line[strings.Index(line, "{") : strings.LastIndex(line, "}")+1]
	var meta chaincodeJSON
	if err := json.Unmarshal([]byte(raw), &meta); err != nil {
		t.Fatalf("chaincode.json %q: %v", raw, err)
	}
	kp := ca.last("ext:1")
	want := chaincodeJSON{ChaincodeID: "ext:1", PeerAddress: "127.0.0.1:7052", ClientCert: string(kp.CertPEM), ClientKey: string(kp.KeyPEM), RootCert: string(ca.CertPEM()), MSPID: "Org1MSP"}
	if meta != want {
		t.Errorf("chaincode.json = %+v\nwant %+v", meta, want)
	}
	for _, l := range sink.all() {
		if strings.Contains(l, "SECRET") {
			t.Errorf("builder saw a variable it was not given: %s", l)
		}
	}
	if err := r.Authorize("ext:1", kp.Hash()); err != nil {
		t.Errorf("the run process's certificate is refused: %v", err)
	}
	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if exit := waitDone(t, p); exit.Code != 0 {
		t.Errorf("exit = %+v, want 0 after the trap", exit)
	}

	// A restarted peer reuses the build without detecting again.
	r2 := newRunner(t, newLogSink(), cfg)
	b2, err := r2.Build(context.Background(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	if !b2.Reused || b2.Builder != "ext" || r2.builds.Load() != 0 {
		t.Errorf("after restart: %+v, builds=%d", b2, r2.builds.Load())
	}
	// With the builder gone from the configuration the build is redone by
	// whoever claims the package now (here the built-in Go builder).
	r3 := newRunner(t, nil, func(c *Config) { cfg(c); c.ExternalBuilders = nil })
	b3, err := r3.Build(context.Background(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	if b3.Reused || b3.Builder != builtinGolang {
		t.Errorf("without the builder: %+v", b3)
	}
}

func TestExternalBuilderReleaseMakesChaincodeAService(t *testing.T) {
	release := extRelease + `; mkdir -p "$2/chaincode/server"; printf '{"address":"127.0.0.1:9999","dial_timeout":"10s"}' > "$2/chaincode/server/connection.json"`
	ext := writeBuilder(t, "ext", map[string]string{"detect": extDetect, "build": extBuild, "release": release, "run": "echo must not run; exit 1"})
	r := newRunner(t, newLogSink(), func(c *Config) { c.ExternalBuilders = []Builder{ext} })
	pkg := pack(t, writeModule(t, map[string]string{"go.mod": tinyGoMod, "main.go": tinyMain}), "ext_1", "")
	inst, err := r.Launch(context.Background(), "svc:1", pkg)
	if err != nil {
		t.Fatal(err)
	}
	if inst.Process != nil || inst.Connection == nil || inst.Connection.Address != "127.0.0.1:9999" || inst.Connection.Timeout().String() != "10s" {
		t.Fatalf("Launch = %+v (connection %+v), want the released connection and no process", inst, inst.Connection)
	}
	if l := r.List(); len(l) != 1 || l[0].Address != "127.0.0.1:9999" || l[0].PID != 0 {
		t.Errorf("List() = %+v", l)
	}
	r.Disconnected("svc:1")
	if l := r.List(); len(l) != 0 {
		t.Errorf("List() after Disconnected = %+v", l)
	}
}

func TestExternalBuilderFailureCarriesItsOutput(t *testing.T) {
	ext := writeBuilder(t, "ext", map[string]string{"detect": extDetect, "build": `echo "cannot find the toolchain" >&2; exit 2`})
	r := newRunner(t, nil, func(c *Config) { c.ExternalBuilders = []Builder{ext} })
	pkg := pack(t, writeModule(t, map[string]string{"go.mod": tinyGoMod, "main.go": tinyMain}), "ext_1", "")
	_, err := r.Build(context.Background(), pkg)
	var be *BuildError
	if !errors.As(err, &be) || be.Builder != "ext" || !strings.Contains(be.Output, "cannot find the toolchain") || !strings.Contains(err.Error(), "bin/build") {
		t.Fatalf("Build = %v, want the builder's message", err)
	}
}

func TestExternalBuilderWithoutRunOrConnectionCannotLaunch(t *testing.T) {
	ext := writeBuilder(t, "ext", map[string]string{"detect": extDetect, "build": extBuild})
	r := newRunner(t, nil, func(c *Config) { c.ExternalBuilders = []Builder{ext} })
	pkg := pack(t, writeModule(t, map[string]string{"go.mod": tinyGoMod, "main.go": tinyMain}), "ext_1", "")
	_, err := r.Launch(context.Background(), "ext:1", pkg)
	if err == nil || !strings.Contains(err.Error(), "has no bin/run") {
		t.Fatalf("Launch = %v, want a missing bin/run error", err)
	}
}
