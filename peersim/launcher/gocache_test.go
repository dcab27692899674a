//go:build unix

package launcher

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestGoCacheEnv(t *testing.T) {
	const data = "/var/peersim"
	dataBuild, dataMod := "/var/peersim/cache/go-build", "/var/peersim/cache/gomod"
	tests := []struct {
		name string
		in   goSettings
		want goCaches
	}{
		{
			name: "the user's own caches are used as they are",
			in:   goSettings{GOCACHE: "/home/u/.cache/go-build", GOMODCACHE: "/home/u/go/pkg/mod", GOFLAGS: "-mod=mod"},
			want: goCaches{BuildCache: "/home/u/.cache/go-build", ModuleCache: "/home/u/go/pkg/mod"},
		},
		{
			name: "without HOME or GOPATH both caches go under the data dir, the module cache writable",
			in:   goSettings{GOCACHE: "off"},
			want: goCaches{BuildCache: dataBuild, ModuleCache: dataMod,
				Env: []string{"GOCACHE=" + dataBuild, "GOMODCACHE=" + dataMod, "GOFLAGS=-modcacherw"}},
		},
		{
			name: "an empty GOCACHE is the data dir's too",
			in:   goSettings{GOMODCACHE: "/home/u/go/pkg/mod"},
			want: goCaches{BuildCache: dataBuild, ModuleCache: "/home/u/go/pkg/mod", Env: []string{"GOCACHE=" + dataBuild}},
		},
		{
			name: "GOFLAGS in force are kept beside -modcacherw",
			in:   goSettings{GOCACHE: "/c", GOFLAGS: "-buildvcs=false -tags=netgo"},
			want: goCaches{BuildCache: "/c", ModuleCache: dataMod,
				Env: []string{"GOMODCACHE=" + dataMod, "GOFLAGS=-buildvcs=false -tags=netgo -modcacherw"}},
		},
		{
			name: "GOFLAGS that already hold -modcacherw are left alone",
			in:   goSettings{GOCACHE: "/c", GOFLAGS: "-modcacherw"},
			want: goCaches{BuildCache: "/c", ModuleCache: dataMod, Env: []string{"GOMODCACHE=" + dataMod}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := goCacheEnv(tt.in, data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("goCacheEnv(%+v) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestGoCacheEnvMakesARelativeDataDirAbsolute(t *testing.T) {
	got, err := goCacheEnv(goSettings{}, "rel")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(got.BuildCache) || !filepath.IsAbs(got.ModuleCache) {
		t.Errorf("caches %q and %q are not absolute; the go command refuses a relative GOCACHE", got.BuildCache, got.ModuleCache)
	}
}

// A peer started without HOME, GOPATH or GOCACHE (a scrubbed environment)
// still builds Go chaincode, with caches under its data dir that every
// build shares and that can be removed with the data dir.
func TestGoBuildWithoutUserCachesUsesTheDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the standard library into an empty build cache")
	}
	sink := newLogSink()
	dataDir := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=-buildvcs=false"}
	r := newRunner(t, sink, func(c *Config) { c.DataDir, c.Env = dataDir, env })
	pkg := pack(t, writeModule(t, map[string]string{"go.mod": tinyGoMod, "main.go": tinyMain}), "tiny_1", "")
	if _, err := r.Build(context.Background(), pkg); err != nil {
		t.Fatal(err)
	}
	line := sink.wait(t, "building chaincode")
	for _, want := range []string{"gocache=" + filepath.Join(dataDir, "cache", "go-build"), "gomodcache=" + filepath.Join(dataDir, "cache", "gomod")} {
		if !strings.Contains(line, want) {
			t.Errorf("build log %q lacks %q", line, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "cache", "go-build")); err != nil {
		t.Errorf("the build cache was not created in the data dir: %v", err)
	}
}

func TestBuildsReportsRunningAndFinishedBuilds(t *testing.T) {
	block := writeBuilder(t, "slow", map[string]string{
		"detect": `grep -q '"label":"slow_' "$2/metadata.json"`,
		"build":  `read line < "$PROPAGATED"`, // blocks until the test writes the fifo
	})
	fail := writeBuilder(t, "fails", map[string]string{"detect": `grep -q '"label":"bad_' "$2/metadata.json"`, "build": "echo no; exit 2"})
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no fifo:", err)
	}
	clock := newFakeClock()
	sink := newLogSink()
	r := newRunner(t, sink, func(c *Config) {
		c.ExternalBuilders = []Builder{block, fail}
		c.Env = []string{"PATH=" + os.Getenv("PATH"), "PROPAGATED=" + fifo}
		c.Clock = clock
	})
	dir := writeModule(t, map[string]string{"go.mod": tinyGoMod, "main.go": tinyMain})
	slow, bad := pack(t, dir, "slow_1", ""), pack(t, dir, "bad_1", "")

	if _, err := r.Build(context.Background(), bad); !errors.Is(err, ErrBuild) {
		t.Fatalf("Build(bad) = %v, want ErrBuild", err)
	}
	done := make(chan error, 1)
	go func() { _, err := r.Build(context.Background(), slow); done <- err }()
	sink.wait(t, "building chaincode package_id="+slow.ID()) // logged once a builder claimed it
	var running BuildStatus
	for _, b := range r.Builds() {
		if b.PackageID == slow.ID() {
			running = b
		}
	}
	clock.advance(1500 * time.Millisecond)
	if err := os.WriteFile(fifo, []byte("go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	start := clock.Now().Add(-1500 * time.Millisecond)
	want := []BuildStatus{
		{PackageID: bad.ID(), Label: "bad_1", Builder: "fails", Chaincodes: []string{}, Started: start, Done: true},
		{PackageID: slow.ID(), Label: "slow_1", Builder: "slow", Chaincodes: []string{}, Started: start, Done: true, Seconds: 1.5},
	}
	if diff := cmp.Diff(want, r.Builds(), cmpopts.IgnoreFields(BuildStatus{}, "Error")); diff != "" {
		t.Errorf("Builds (-want +got):\n%s", diff)
	}
	if got := r.Builds()[0].Error; !strings.Contains(got, "exit status 2") {
		t.Errorf("failed build's Error = %q", got)
	}
	if running.Done || running.Label != "slow_1" || running.Builder != "slow" {
		t.Errorf("the running build was reported as %+v", running)
	}
}

func TestBuildTimeoutStopsAHangingBuilder(t *testing.T) {
	// The timeout bounds every step of a build, and its error names it
	// whichever step it stopped (on a busy machine even a quick detect may
	// be the one).
	for _, tc := range []struct{ name, detect, build string }{
		{name: "build hangs", detect: "exit 0", build: "exec sleep 3600"},
		{name: "detect hangs", detect: "exec sleep 3600", build: "exit 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hang := writeBuilder(t, "hang", map[string]string{"detect": tc.detect, "build": tc.build})
			r := newRunner(t, nil, func(c *Config) {
				c.ExternalBuilders = []Builder{hang}
				c.BuildTimeout = 50 * time.Millisecond
			})
			pkg := pack(t, writeModule(t, map[string]string{"go.mod": tinyGoMod, "main.go": tinyMain}), "hang_1", "")
			_, err := r.Build(context.Background(), pkg)
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "not done within the build timeout of 50ms") {
				t.Fatalf("Build = %v, want the build timeout named", err)
			}
		})
	}
}
