package launcher

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
)

// builderEnvKeys are the only variables of the peer's environment Fabric
// passes to external builders, besides each builder's
// PropagateEnvironment.
var builderEnvKeys = []string{"LD_LIBRARY_PATH", "LIBPATH", "PATH", "TMPDIR"}

// builderEnv is the environment of builder b's scripts.
func (r *Runner) builderEnv(b *Builder) []string {
	var env []string
	for _, k := range append(append([]string(nil), builderEnvKeys...), b.PropagateEnvironment...) {
		if v, ok := lookupEnv(r.cfg.Env, k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func lookupEnv(env []string, key string) (string, bool) {
	v, found := "", false
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v, found = val, true
		}
	}
	return v, found
}

func (b *Builder) script(name string) string { return filepath.Join(b.Path, "bin", name) }

// hasScript reports whether the builder ships bin/<name> as a file.
func (b *Builder) hasScript(name string) bool { return isFile(b.script(name)) }

// runScript runs one of a builder's scripts to completion and returns its
// combined output, which is also logged.
func (r *Runner) runScript(ctx context.Context, b *Builder, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, b.script(name), args...)
	cmd.Env = r.builderEnv(b)
	cmd.Dir = b.Path
	setProcessGroup(cmd)
	out, err := r.runLogged(cmd, "builder", b.Name, "script", name)
	if err != nil {
		err = r.buildCause(ctx, err)
	}
	return out, err
}

// detect asks each external builder in turn whether it claims the package
// (bin/detect SRC_DIR METADATA_DIR exits 0) and returns the first that
// does, or nil.
func (r *Runner) detect(ctx context.Context, pkg *ccpackage.Package, srcDir, metaDir string) (*Builder, error) {
	for i := range r.cfg.ExternalBuilders {
		b := &r.cfg.ExternalBuilders[i]
		_, err := r.runScript(ctx, b, "detect", srcDir, metaDir)
		if err == nil {
			r.log.Info("external builder claims chaincode package", "builder", b.Name, "package_id", pkg.ID())
			return b, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("detect builder for chaincode package %s: %w", pkg.ID(), r.buildCause(ctx, err))
		}
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			r.log.Warn("external builder detect could not run", "builder", b.Name, "package_id", pkg.ID(), "error", err)
			continue
		}
		r.log.Debug("external builder does not claim chaincode package", "builder", b.Name, "package_id", pkg.ID())
	}
	return nil, nil
}

// buildExternal runs bin/build SRC_DIR METADATA_DIR BUILD_DIR and, when the
// builder has one, bin/release BUILD_DIR RELEASE_DIR, into outDir/bld and
// outDir/release.
func (r *Runner) buildExternal(ctx context.Context, b *Builder, pkg *ccpackage.Package, srcDir, metaDir, outDir string) error {
	bld := filepath.Join(outDir, extBuildDir)
	rel := filepath.Join(outDir, extReleaseDir)
	for _, d := range []string{bld, rel} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("build chaincode package %s with builder %s: %w", pkg.ID(), b.Name, err)
		}
	}
	r.log.Info("building chaincode", "package_id", pkg.ID(), "builder", b.Name)
	if out, err := r.runScript(ctx, b, "build", srcDir, metaDir, bld); err != nil {
		return &BuildError{PackageID: pkg.ID(), Builder: b.Name, Output: strings.TrimSpace(string(out)), Err: fmt.Errorf("bin/build: %w", err)}
	}
	if !b.hasScript("release") {
		return nil
	}
	if out, err := r.runScript(ctx, b, "release", bld, rel); err != nil {
		return &BuildError{PackageID: pkg.ID(), Builder: b.Name, Output: strings.TrimSpace(string(out)), Err: fmt.Errorf("bin/release: %w", err)}
	}
	return nil
}

// ccaasConfigEnv is the variable Fabric's ccaas builder reads template
// values from: a JSON object whose fields fill {{.field}} placeholders in
// connection.json's strings.
const ccaasConfigEnv = "CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG"

// builtinService is the built-in chaincode-as-a-service builder: the
// package's connection.json, with Go templates in its strings expanded from
// CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG as Fabric's ccaas builder does.
func (r *Runner) builtinService(pkg *ccpackage.Package) (*Build, error) {
	conn := *pkg.Connection
	if err := expandConnection(&conn, r.cfg.Env); err != nil {
		return nil, fmt.Errorf("build chaincode package %s with builder %s: %w", pkg.ID(), builtinCCaaS, err)
	}
	return &Build{PackageID: pkg.ID(), Builder: builtinCCaaS, Connection: &conn}, nil
}

func expandConnection(c *ccpackage.Connection, env []string) error {
	fields := []*string{&c.Address, &c.Domain, &c.ClientKey, &c.ClientCert, &c.RootCert}
	templated := false
	for _, f := range fields {
		templated = templated || strings.Contains(*f, "{{")
	}
	if !templated {
		return nil
	}
	raw, ok := lookupEnv(env, ccaasConfigEnv)
	if !ok {
		return fmt.Errorf("connection.json holds templates but %s is not set in the peer's environment", ccaasConfigEnv)
	}
	var values map[string]any
	if err := json.Unmarshal([]byte(raw), &values); err != nil {
		return fmt.Errorf("%s is not a JSON object: %w", ccaasConfigEnv, err)
	}
	for _, f := range fields {
		t, err := template.New("connection.json").Option("missingkey=error").Parse(*f)
		if err != nil {
			return fmt.Errorf("connection.json template %q: %w", *f, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, values); err != nil {
			return fmt.Errorf("connection.json template %q: %w", *f, err)
		}
		*f = buf.String()
	}
	return c.Validate()
}
