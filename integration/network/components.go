// Package network runs the real peersim binary and the sample chaincode for
// the Ginkgo suites under integration/: it builds the binaries once
// (Components), starts peers with configuration overrides on free ports and
// waits for their ready line (Peer), runs CLI commands given as typed values
// (Install, Instantiate, Invoke, the 2.x lifecycle's ApproveForMyOrg, Commit,
// ...), deploys through either Lifecycle and starts development-mode chaincode
// the way Fabric's guide does.
package network

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega/gexec"
)

// Module is the import path of this repository's module.
const Module = "github.com/chaincodekit/chaincodekit"

// PeersimPackage is the import path of the peersim command.
const PeersimPackage = Module + "/peersim/cmd/peersim"

// Build describes one binary to compile: a name to find it by, its import
// path and extra `go build` arguments (e.g. "-tags", "variant2").
type Build struct {
	Name    string
	Package string
	Args    []string
}

// SampleBuild builds samples/<name>.
func SampleBuild(name string) Build {
	return Build{Name: name, Package: Module + "/samples/" + name}
}

// Components are the paths of the compiled binaries, shared by every
// parallel Ginkgo process (marshal it in SynchronizedBeforeSuite).
type Components struct {
	// Peersim is the peersim binary.
	Peersim string `json:"peersim"`
	// Binaries maps a Build's Name to its binary.
	Binaries map[string]string `json:"binaries"`
	// Source is a Snapshot of the module: install chaincode from here.
	Source string `json:"source"`
}

// BuildComponents snapshots the module's source into a new temporary
// directory (Components.Source) and compiles peersim (with peersimArgs,
// e.g. "-race") and the given builds with gexec.Build. Call Cleanup when
// the suite ends; on error nothing is left behind.
func BuildComponents(peersimArgs []string, builds ...Build) (_ Components, err error) {
	root, err := ModuleRoot()
	if err != nil {
		return Components{}, err
	}
	source, err := os.MkdirTemp("", "chaincodekit-source-")
	if err != nil {
		return Components{}, fmt.Errorf("snapshot the module: %w", err)
	}
	c := Components{Binaries: map[string]string{}, Source: source}
	defer func() {
		if err != nil {
			gexec.CleanupBuildArtifacts()
			os.RemoveAll(source)
		}
	}()
	if err := Snapshot(root, source); err != nil {
		return Components{}, err
	}
	if c.Peersim, err = gexec.Build(PeersimPackage, peersimArgs...); err != nil {
		return Components{}, fmt.Errorf("build %s: %w", PeersimPackage, err)
	}
	for _, b := range builds {
		if _, dup := c.Binaries[b.Name]; dup {
			return Components{}, fmt.Errorf("build %s: the name %q is used twice", b.Package, b.Name)
		}
		built, err := gexec.Build(b.Package, b.Args...)
		if err != nil {
			return Components{}, fmt.Errorf("build %s %v: %w", b.Package, b.Args, err)
		}
		// gexec names the file after the package's last element, so two
		// variants of one package would overwrite each other: give each
		// its build's name.
		path := filepath.Join(filepath.Dir(built), "build-"+b.Name)
		if err := os.Rename(built, path); err != nil {
			return Components{}, fmt.Errorf("build %s: rename the binary: %w", b.Package, err)
		}
		c.Binaries[b.Name] = path
	}
	return c, nil
}

// Cleanup removes the binaries and the source snapshot.
func (c Components) Cleanup() {
	gexec.CleanupBuildArtifacts()
	if c.Source != "" {
		os.RemoveAll(c.Source)
	}
}

// Sample is the directory of samples/<name> in the source snapshot.
func (c Components) Sample(name string) string {
	return filepath.Join(c.Source, "samples", name)
}

// Binary returns the binary built under name; a name no Build had fails
// the spec.
func (c Components) Binary(name string) string {
	ginkgo.GinkgoHelper()
	p, ok := c.Binaries[name]
	if !ok {
		ginkgo.Fail(fmt.Sprintf("no binary was built as %q: add a network.Build for it in the suite's SynchronizedBeforeSuite", name))
	}
	return p
}

// Marshal encodes the components for SynchronizedBeforeSuite.
func (c Components) Marshal() ([]byte, error) { return json.Marshal(c) }

// UnmarshalComponents decodes what Marshal encoded.
func UnmarshalComponents(data []byte) (Components, error) {
	var c Components
	if err := json.Unmarshal(data, &c); err != nil {
		return Components{}, fmt.Errorf("decode components %q: %w", data, err)
	}
	return c, nil
}

// ModuleRoot is the repository's root directory (where go.mod is), found
// from the working directory, which `go test` sets to the suite's folder.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the module root: %w", err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module "+Module+"\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find the module root: no go.mod of %s above the working directory", Module)
		}
		dir = parent
	}
}
