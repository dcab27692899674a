package launcher

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Directories under DataDir that hold the Go caches when the peer's
// environment names none.
const (
	buildCacheDir  = "cache/go-build" // GOCACHE
	moduleCacheDir = "cache/gomod"    // GOMODCACHE
)

// goSettings are the go command's own view of its caches and flags in the
// peer's environment (`go env -json`), which also reads the go env file
// that `go env -w` writes.
type goSettings struct {
	GOCACHE    string
	GOMODCACHE string
	GOFLAGS    string
}

// goCaches says which build and module caches the Go builds of a Runner use
// and whether they are the user's own or the data directory's.
type goCaches struct {
	BuildCache, ModuleCache string
	// Env holds what buildGo adds to the peer's environment: nothing when
	// the user's caches are used.
	Env []string
}

// goCacheEnv decides the caches of a Go build: the user's own when the go
// command finds them (GOCACHE set and not "off", GOMODCACHE set or derived
// from GOPATH or HOME), otherwise directories under dataDir shared by every
// build of this peer. A cold cache makes a chaincode build compile the
// standard library and every dependency, which takes a minute or more;
// sharing the cache makes the next builds take seconds. Concurrent builds
// may share both caches: the go command writes cache entries atomically and
// locks modules while it extracts them. A module cache under dataDir is
// made writable (-modcacherw, added to the GOFLAGS in force) so that
// removing the data directory just works; the user's own module cache keeps
// its settings.
func goCacheEnv(s goSettings, dataDir string) (goCaches, error) {
	c := goCaches{BuildCache: s.GOCACHE, ModuleCache: s.GOMODCACHE}
	if c.BuildCache == "" || c.BuildCache == "off" {
		dir, err := filepath.Abs(filepath.Join(dataDir, filepath.FromSlash(buildCacheDir)))
		if err != nil {
			return goCaches{}, fmt.Errorf("build cache in data directory %s: %w", dataDir, err)
		}
		c.BuildCache = dir
		c.Env = append(c.Env, "GOCACHE="+dir)
	}
	if c.ModuleCache == "" {
		dir, err := filepath.Abs(filepath.Join(dataDir, filepath.FromSlash(moduleCacheDir)))
		if err != nil {
			return goCaches{}, fmt.Errorf("module cache in data directory %s: %w", dataDir, err)
		}
		c.ModuleCache = dir
		c.Env = append(c.Env, "GOMODCACHE="+dir)
		if !slices.Contains(strings.Fields(s.GOFLAGS), "-modcacherw") {
			c.Env = append(c.Env, "GOFLAGS="+strings.TrimSpace(s.GOFLAGS+" -modcacherw"))
		}
	}
	return c, nil
}

// goCaches asks the go command where its caches are in the peer's
// environment and decides those of the next build (see goCacheEnv).
func (r *Runner) goCaches(ctx context.Context, env []string) (goCaches, error) {
	cmd := exec.CommandContext(ctx, r.cfg.GoCommand, "env", "-json", "GOCACHE", "GOMODCACHE", "GOFLAGS")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return goCaches{}, fmt.Errorf("%s env: %w: %s", r.cfg.GoCommand, err, strings.TrimSpace(stderr.String()))
	}
	var s goSettings
	if err := json.Unmarshal(out, &s); err != nil {
		return goCaches{}, fmt.Errorf("%s env -json printed %q: %w", r.cfg.GoCommand, out, err)
	}
	return goCacheEnv(s, r.cfg.DataDir)
}
