package launcher

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
)

// Names of the built-in builders, as recorded in build-info.json.
const (
	builtinGolang = "golang"
	builtinCCaaS  = "ccaas"
)

// File and directory names inside a cached build, DataDir/builds/<package id>.
const (
	buildInfoFile = "build-info.json" // {"builder_name": ..., "package_id": ...}
	binaryName    = "chaincode"       // the built-in Go builder's output
	extBuildDir   = "bld"             // an external builder's BUILD_DIR
	extReleaseDir = "release"         // an external builder's RELEASE_DIR
)

// serverConnection is where an external builder's release step leaves
// connection.json to ask for chaincode-as-a-service.
var serverConnection = filepath.Join("chaincode", "server", ccpackage.ConnectionFile)

// Build is a finished build of a chaincode package. Its fields must not be
// modified; several callers may share one Build.
type Build struct {
	// PackageID is the package built.
	PackageID string
	// Builder is the builder that built it: "golang" (built-in Go builder),
	// "ccaas" (built-in chaincode-as-a-service) or an external builder's
	// name.
	Builder string
	// Dir is the build's cache directory, DataDir/builds/<package id>;
	// empty for the built-in ccaas builder, which keeps nothing.
	Dir string
	// Executable is the chaincode binary of a Go build.
	Executable string
	// Connection is set when the chaincode runs as a service: the package's
	// connection.json (built-in ccaas) or the one an external builder's
	// release step wrote. The peer dials it instead of starting a process.
	Connection *ccpackage.Connection
	// Reused is true when the build came from the cache.
	Reused bool

	external *Builder
}

type buildInfo struct {
	BuilderName string `json:"builder_name"`
	PackageID   string `json:"package_id"`
}

// flight is one build in progress; concurrent Build calls for the same
// package wait on it.
type flight struct {
	done  chan struct{}
	build *Build
	err   error
}

// Build returns the build of pkg, building it if no usable build is cached.
// External builders are tried first, in configured order (detect); then a
// package carrying connection.json that is not Go is chaincode-as-a-service;
// then Go packages are built with the local Go toolchain. Concurrent calls
// for the same package share one build. The build runs on the Runner's own
// context: a caller whose ctx ends gets ctx's error, but the build goes on
// and its result is cached for the next call. A failed build is not cached.
func (r *Runner) Build(ctx context.Context, pkg *ccpackage.Package) (*Build, error) {
	if pkg == nil || pkg.ID() == "" {
		return nil, errors.New("build: no parsed chaincode package given")
	}
	id := pkg.ID()
	if err := checkPackageID(id); err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, fmt.Errorf("build chaincode package %s: %w", id, ErrClosed)
	}
	f, ok := r.flights[id]
	if !ok {
		f = &flight{done: make(chan struct{})}
		r.flights[id] = f
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			f.build, f.err = r.build(r.ctx, pkg)
			r.mu.Lock()
			delete(r.flights, id)
			r.mu.Unlock()
			close(f.done)
		}()
	}
	r.mu.Unlock()
	select {
	case <-f.done:
		return f.build, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("build chaincode package %s: %w", id, ctx.Err())
	}
}

var safeID = regexp.MustCompile(`^[[:alnum:]][[:alnum:]_.+:-]*$`)

// checkPackageID makes sure a package ID can name a directory.
func checkPackageID(id string) error {
	if !safeID.MatchString(id) || strings.Contains(id, "..") {
		return fmt.Errorf("build: package id %q cannot name a build directory", id)
	}
	return nil
}

func (r *Runner) buildsRoot() string { return filepath.Join(r.cfg.DataDir, "builds") }

// build returns the cached build of pkg or runs a new one, bounded by
// Config.BuildTimeout and recorded for Builds.
func (r *Runner) build(ctx context.Context, pkg *ccpackage.Package) (*Build, error) {
	id := pkg.ID()
	final := filepath.Join(r.buildsRoot(), id)
	if b := r.cached(final, pkg); b != nil {
		r.log.Info("reusing chaincode build", "package_id", id, "builder", b.Builder, "dir", final)
		return b, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.BuildTimeout)
	defer cancel()
	st := r.buildStarted(pkg)
	b, err := r.buildNew(ctx, pkg, final, st)
	d := r.buildFinished(st, b, err)
	if err != nil {
		r.log.Warn("chaincode build failed", "package_id", id, "builder", st.Builder, "duration", d.Round(time.Millisecond), "error", err)
		return nil, err
	}
	r.log.Info("built chaincode", "package_id", id, "builder", b.Builder, "dir", b.Dir, "duration", d.Round(time.Millisecond))
	return b, nil
}

// buildNew builds pkg into a temporary directory and publishes it as final.
func (r *Runner) buildNew(ctx context.Context, pkg *ccpackage.Package, final string, st *BuildStatus) (*Build, error) {
	id := pkg.ID()
	if err := os.MkdirAll(r.buildsRoot(), 0o755); err != nil {
		return nil, fmt.Errorf("build chaincode package %s: %w", id, err)
	}
	tmp, err := os.MkdirTemp(r.buildsRoot(), tmpPrefix)
	if err != nil {
		return nil, fmt.Errorf("build chaincode package %s: %w", id, err)
	}
	defer os.RemoveAll(tmp)
	srcDir := filepath.Join(tmp, "src")
	metaDir := filepath.Join(tmp, "metadata")
	outDir := filepath.Join(tmp, "out")
	if err := ccpackage.Extract(pkg, srcDir); err != nil {
		return nil, fmt.Errorf("build chaincode package %s: %w", id, err)
	}
	if err := os.Mkdir(metaDir, 0o755); err != nil {
		return nil, fmt.Errorf("build chaincode package %s: %w", id, err)
	}
	if err := os.WriteFile(filepath.Join(metaDir, ccpackage.MetadataFile), pkg.MetadataJSON, 0o644); err != nil {
		return nil, fmt.Errorf("build chaincode package %s: %w", id, err)
	}
	if err := os.Mkdir(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("build chaincode package %s: %w", id, err)
	}

	ext, err := r.detect(ctx, pkg, srcDir, metaDir)
	if err != nil {
		return nil, err
	}
	b := &Build{PackageID: id, Dir: final, external: ext}
	switch {
	case ext != nil:
		b.Builder = ext.Name
		r.buildClaimed(st, b.Builder)
		if err := r.buildExternal(ctx, ext, pkg, srcDir, metaDir, outDir); err != nil {
			return nil, err
		}
	case pkg.Connection != nil && !pkg.Metadata.IsType(ccpackage.TypeGolang):
		return r.builtinService(pkg)
	case pkg.Metadata.IsType(ccpackage.TypeGolang):
		b.Builder = builtinGolang
		b.Executable = filepath.Join(final, binaryName)
		r.buildClaimed(st, b.Builder)
		if err := r.buildGo(ctx, pkg, srcDir, outDir); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("build chaincode package %s of type %q: %w: peersim builds Go itself and runs packages with connection.json as a service; configure an external builder for other types", id, pkg.Metadata.Type, ErrNoBuilder)
	}
	r.builds.Add(1)

	info, err := json.Marshal(buildInfo{BuilderName: b.Builder, PackageID: id})
	if err != nil {
		return nil, fmt.Errorf("build chaincode package %s: %w", id, err)
	}
	if err := os.WriteFile(filepath.Join(outDir, buildInfoFile), info, 0o644); err != nil {
		return nil, fmt.Errorf("build chaincode package %s: %w", id, err)
	}
	// The rename publishes the build: a directory under its final name is
	// always complete.
	if err := os.Rename(outDir, final); err != nil {
		if existing := r.cached(final, pkg); existing != nil {
			return existing, nil // another builder got there first
		}
		return nil, fmt.Errorf("build chaincode package %s: publish build: %w", id, err)
	}
	if b.external != nil {
		if b.Connection, err = releasedConnection(final); err != nil {
			return nil, fmt.Errorf("build chaincode package %s with builder %s: %w", id, b.Builder, err)
		}
	}
	return b, nil
}

// tmpPrefix starts the names of build directories in progress, removed
// when a Runner starts.
const tmpPrefix = ".tmp-"

// cached returns the build in dir when it is complete and its builder is
// still available, or nil. An unusable build directory is removed.
func (r *Runner) cached(dir string, pkg *ccpackage.Package) *Build {
	data, err := os.ReadFile(filepath.Join(dir, buildInfoFile))
	if errors.Is(err, fs.ErrNotExist) {
		if _, statErr := os.Stat(dir); statErr == nil {
			r.discard(dir, "it has no "+buildInfoFile)
		}
		return nil
	}
	if err != nil {
		r.discard(dir, err.Error())
		return nil
	}
	var info buildInfo
	if err := json.Unmarshal(data, &info); err != nil || info.PackageID != pkg.ID() {
		r.discard(dir, buildInfoFile+" is damaged or names another package")
		return nil
	}
	b := &Build{PackageID: pkg.ID(), Builder: info.BuilderName, Dir: dir, Reused: true}
	if info.BuilderName == builtinGolang {
		b.Executable = filepath.Join(dir, binaryName)
		if st, err := os.Stat(b.Executable); err != nil || !st.Mode().IsRegular() {
			r.discard(dir, "its chaincode binary is missing")
			return nil
		}
		return b
	}
	for i := range r.cfg.ExternalBuilders {
		if r.cfg.ExternalBuilders[i].Name == info.BuilderName {
			b.external = &r.cfg.ExternalBuilders[i]
		}
	}
	if b.external == nil {
		r.discard(dir, "builder "+info.BuilderName+" is no longer configured")
		return nil
	}
	if b.Connection, err = releasedConnection(dir); err != nil {
		r.discard(dir, err.Error())
		return nil
	}
	return b
}

func (r *Runner) discard(dir, why string) {
	r.log.Warn("discarding cached chaincode build", "dir", dir, "reason", why)
	if err := os.RemoveAll(dir); err != nil {
		r.log.Warn("remove cached chaincode build", "dir", dir, "error", err)
	}
}

// releasedConnection reads release/chaincode/server/connection.json of an
// external build; nil when there is none.
func releasedConnection(dir string) (*ccpackage.Connection, error) {
	data, err := os.ReadFile(filepath.Join(dir, extReleaseDir, serverConnection))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := ccpackage.ParseConnection(data)
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", serverConnection, err)
	}
	return c, nil
}

// goImportPath is the shape of metadata.json's path the Go builder accepts:
// an import path, never a flag or a path that climbs out.
var goImportPath = regexp.MustCompile(`^[A-Za-z0-9_.~+][A-Za-z0-9_.~+/-]*$`)

// buildGo builds a Go package the way Fabric's Go platform does, with the
// local toolchain instead of the ccenv image: in module mode from the
// module at src/ (or at src/<path>), with -mod=vendor when the module
// vendors its dependencies and -mod=readonly otherwise; in GOPATH mode
// (GO111MODULE=off, GOPATH=SRC_DIR) when there is no go.mod.
func (r *Runner) buildGo(ctx context.Context, pkg *ccpackage.Package, srcDir, outDir string) error {
	id := pkg.ID()
	path := pkg.Metadata.Path
	if path != "" && (!goImportPath.MatchString(path) || slices.Contains(strings.Split(path, "/"), "..")) {
		return fmt.Errorf("build chaincode package %s: metadata.json path %q is not a Go import path", id, path)
	}
	// The extracted code is no VCS checkout, whatever directory holds it.
	args := []string{"build", "-trimpath", "-buildvcs=false", "-o", filepath.Join(outDir, binaryName)}
	env := append(slices.Clone(r.cfg.Env), "GOWORK=off")
	var dir, target string
	gopathMode := false
	switch {
	case isFile(filepath.Join(srcDir, "src", "go.mod")):
		dir, target = filepath.Join(srcDir, "src"), path
	case path != "" && isFile(filepath.Join(srcDir, "src", filepath.FromSlash(path), "go.mod")):
		dir, target = filepath.Join(srcDir, "src", filepath.FromSlash(path)), "."
	default:
		gopathMode = true
		dir, target = filepath.Join(srcDir, "src"), path
		gopath := srcDir
		if old, _ := lookupEnv(r.cfg.Env, "GOPATH"); old != "" {
			gopath += string(filepath.ListSeparator) + old
		}
		env = append(env, "GO111MODULE=off", "GOPATH="+gopath)
	}
	if target == "" {
		target = "."
	}
	if !gopathMode {
		if isFile(filepath.Join(dir, "vendor", "modules.txt")) {
			args = append(args, "-mod=vendor")
		} else {
			args = append(args, "-mod=readonly")
		}
	}
	args = append(args, target)
	caches, err := r.goCaches(ctx, env)
	if err != nil {
		return &BuildError{PackageID: id, Builder: builtinGolang, Err: r.buildCause(ctx, err)}
	}
	env = append(env, caches.Env...)
	cmd := exec.CommandContext(ctx, r.cfg.GoCommand, args...)
	cmd.Dir = dir
	cmd.Env = env
	setProcessGroup(cmd)
	r.log.Info("building chaincode; with cold Go caches the first build downloads modules and compiles the dependencies, which can take minutes",
		"package_id", id, "builder", builtinGolang, "command", r.cfg.GoCommand+" "+strings.Join(args, " "),
		"gocache", caches.BuildCache, "gomodcache", caches.ModuleCache, "timeout", r.cfg.BuildTimeout)
	out, err := r.runLogged(cmd, "package_id", id, "builder", builtinGolang)
	if err != nil {
		return &BuildError{PackageID: id, Builder: builtinGolang, Output: strings.TrimSpace(string(out)), Err: r.buildCause(ctx, err)}
	}
	return nil
}

// buildCause adds to the error of a builder process why its ctx ended, if
// it did: the build timeout, or the Runner stopping.
func (r *Runner) buildCause(ctx context.Context, err error) error {
	switch {
	case ctx.Err() == nil:
		return err
	case errors.Is(ctx.Err(), context.DeadlineExceeded) && r.ctx.Err() == nil:
		return fmt.Errorf("not done within the build timeout of %s: %w (%w)", r.cfg.BuildTimeout, ctx.Err(), err)
	default:
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
}

// maxBuildOutput is how much of a builder's output a BuildError keeps;
// all of it is logged.
const maxBuildOutput = 64 << 10

// runLogged runs cmd to completion, logging its stdout and stderr line by
// line as they come, and returns the first maxBuildOutput bytes of them.
func (r *Runner) runLogged(cmd *exec.Cmd, attrs ...any) ([]byte, error) {
	w := &outputLogger{log: r.log, attrs: attrs}
	cmd.Stdout, cmd.Stderr = w, w
	err := cmd.Run()
	w.flush()
	return w.kept.Bytes(), err
}

// outputLogger is an io.Writer that logs whole lines and keeps the head of
// what it was given. exec.Cmd serialises writes when Stdout and Stderr are
// the same writer.
type outputLogger struct {
	log     *slog.Logger
	attrs   []any
	partial []byte
	kept    bytes.Buffer
}

func (o *outputLogger) Write(p []byte) (int, error) {
	if room := maxBuildOutput - o.kept.Len(); room > 0 {
		o.kept.Write(p[:min(room, len(p))])
	}
	o.partial = append(o.partial, p...)
	for {
		i := bytes.IndexByte(o.partial, '\n')
		if i < 0 {
			break
		}
		o.emit(o.partial[:i])
		o.partial = o.partial[i+1:]
	}
	if len(o.partial) > maxLogLine {
		o.flush()
	}
	return len(p), nil
}

func (o *outputLogger) flush() {
	if len(o.partial) > 0 {
		o.emit(o.partial)
		o.partial = nil
	}
}

func (o *outputLogger) emit(line []byte) {
	if l := strings.TrimRight(string(line), "\r"); l != "" {
		o.log.Info(l, o.attrs...)
	}
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
