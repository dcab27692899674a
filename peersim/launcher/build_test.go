//go:build unix

package launcher

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestGoBuildIsCachedAndReusedAfterRestart(t *testing.T) {
	sink := newLogSink()
	dataDir := t.TempDir()
	r := newRunner(t, sink, func(c *Config) { c.DataDir = dataDir })
	pkg := pack(t, writeModule(t, map[string]string{"go.mod": tinyGoMod, "main.go": tinyMain}), "tiny_1", "")

	// Concurrent builds of one package run the compiler once.
	const n = 4
	builds := make([]*Build, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := r.Build(context.Background(), pkg)
			if err != nil {
				t.Error(err)
				return
			}
			builds[i] = b
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if got := r.builds.Load(); got != 1 {
		t.Errorf("%d builds ran for %d concurrent calls, want 1", got, n)
	}
	b := builds[0]
	if b.Builder != builtinGolang || b.Reused || b.Executable != filepath.Join(dataDir, "builds", pkg.ID(), "chaincode") {
		t.Errorf("build = %+v", b)
	}

	again, err := r.Build(context.Background(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Reused || r.builds.Load() != 1 {
		t.Errorf("second build: Reused=%v, builds run=%d; want the cached build", again.Reused, r.builds.Load())
	}

	// The binary runs with the chaincode arguments.
	p := launch(t, r, "tiny:1", pkg)
	waitDone(t, p)
	sink.wait(t, "[tiny:1] tiny chaincode tiny:1 [-peer.address=127.0.0.1:7052]")

	// A restarted peer reuses the build.
	r2 := newRunner(t, nil, func(c *Config) { c.DataDir = dataDir })
	b2, err := r2.Build(context.Background(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	if !b2.Reused || r2.builds.Load() != 0 {
		t.Errorf("after restart: Reused=%v, builds run=%d; want the cached build", b2.Reused, r2.builds.Load())
	}
}

func TestGoBuildFailureCarriesTheCompilerMessage(t *testing.T) {
	r := newRunner(t, nil, nil)
	broken := "package main\n\nfunc main() { nosuchfunction() }\n"
	pkg := pack(t, writeModule(t, map[string]string{"go.mod": tinyGoMod, "main.go": broken}), "broken_1", "")
	_, err := r.Build(context.Background(), pkg)
	var be *BuildError
	if !errors.As(err, &be) || !errors.Is(err, ErrBuild) {
		t.Fatalf("Build = %v, want a *BuildError wrapping ErrBuild", err)
	}
	if !strings.Contains(be.Output, "undefined: nosuchfunction") || !strings.Contains(err.Error(), "undefined: nosuchfunction") {
		t.Errorf("the error lacks the compiler's message: %v", err)
	}
	if be.PackageID != pkg.ID() || be.Builder != builtinGolang {
		t.Errorf("BuildError = %+v", be)
	}
	entries, err := os.ReadDir(r.buildsRoot())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("a failed build left %q in the cache", entries[0].Name())
	}
	// A failed build is not cached: the next call compiles again.
	if _, err := r.Build(context.Background(), pkg); err == nil {
		t.Fatal("second build of broken code succeeded")
	}
	if got := r.builds.Load(); got != 0 {
		t.Errorf("builds counted = %d, want 0 successful", got)
	}
}

func TestUnfinishedBuildsAreNeverReused(t *testing.T) {
	dataDir := t.TempDir()
	pkg := pack(t, writeModule(t, map[string]string{"go.mod": tinyGoMod, "main.go": tinyMain}), "tiny_1", "")
	builds := filepath.Join(dataDir, "builds")
	// What a peer killed during a build leaves: a temporary directory, and
	// (from an older layout or a hand edit) a build directory without
	// build-info.json.
	for _, d := range []string{filepath.Join(builds, tmpPrefix+"123"), filepath.Join(builds, pkg.ID())} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "chaincode"), []byte("half"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r := newRunner(t, nil, func(c *Config) { c.DataDir = dataDir })
	if _, err := os.Stat(filepath.Join(builds, tmpPrefix+"123")); !os.IsNotExist(err) {
		t.Errorf("New left the unfinished build directory (stat err %v)", err)
	}
	b, err := r.Build(context.Background(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	if b.Reused || r.builds.Load() != 1 {
		t.Errorf("Reused=%v builds=%d: the incomplete build was used", b.Reused, r.builds.Load())
	}
}

func TestBuildRefusesPackagesNoBuilderClaims(t *testing.T) {
	r := newRunner(t, nil, nil)
	dir := writeModule(t, map[string]string{"connection.json": `{"address":"127.0.0.1:9999"}`})
	pkg := pack(t, dir, "svc_1", "external")
	// An "external" package with connection.json is served as a service by
	// the built-in builder; without connection.json nothing claims it.
	b, err := r.Build(context.Background(), pkg)
	if err != nil || b.Connection == nil {
		t.Fatalf("Build = %+v, %v; want a service connection", b, err)
	}
	empty := pack(t, writeModule(t, map[string]string{"META-INF/statedb/couchdb/indexes/.keep": ""}), "nothing_1", "external")
	if _, err := r.Build(context.Background(), empty); !errors.Is(err, ErrNoBuilder) {
		t.Errorf("Build of an unclaimed package = %v, want ErrNoBuilder", err)
	}
}

// copyModule copies the module at root, skipping hidden directories and
// files over 1 MiB.
func copyModule(t *testing.T, root string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel != "." && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() || info.Size() > 1<<20 {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
