package repocheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// module is the module path; rules and the allowlist name packages relative
// to it ("shim", "peersim/ledger").
const module = "github.com/chaincodekit/chaincodekit"

// scope says which of a package's imports a rule judges.
type scope string

const (
	// build is the package's own imports (go list's Imports): what it links
	// into every binary that uses it.
	build scope = "non-test"
	// tests is what its _test.go files import, in the package and in the
	// external _test package (TestImports and XTestImports).
	tests scope = "test"
)

// rule is one line of the layout. The packages that match pkgs may import,
// from this module, only what matches one of ours; a package may always
// import itself, as its external test package does. Outside the module and
// the standard library they may import anything, unless external is set
// (then only what matches it) or forbid names the import.
//
// Patterns are relative to the module; "x/..." matches x and every package
// under it. Prefixes in external and forbid are module or package paths and
// match everything under them too.
type rule struct {
	why      string
	pkgs     string
	scope    scope
	ours     []string
	external []string
	forbid   []string
}

// chaincodeSide is all that the chaincode libraries may import from outside
// the module: the Fabric protos, the gRPC and protobuf runtimes they need,
// and envconfig, through which every component reads its environment. A
// chaincode binary links nothing of the peer's: no Prometheus, bbolt or
// cobra.
var chaincodeSide = []string{
	"github.com/hyperledger/fabric-protos-go-apiv2",
	"google.golang.org/grpc",
	"google.golang.org/protobuf",
	"github.com/kelseyhightower/envconfig",
}

// testOnly are the Fabric libraries this repository uses only to prove
// compatibility in tests (and in sample applications, which are a user's
// code): no package of the product links them.
var testOnly = []string{
	"github.com/hyperledger/fabric-chaincode-go",
	"github.com/hyperledger/fabric-contract-api-go",
	"github.com/hyperledger/fabric-gateway",
}

// productRule forbids testOnly to the non-test imports of pkgs.
func productRule(pkgs string) rule {
	return rule{
		why:    "Fabric's own shim, contract API and gateway client are here only to prove compatibility in tests: no product package links them",
		pkgs:   pkgs,
		scope:  build,
		ours:   []string{"..."},
		forbid: testOnly,
	}
}

// rules is the layout as the package docs describe it. Where tests are not
// ruled, the comment says why.
var rules = []rule{
	productRule("shim/..."),
	productRule("contractapi/..."),
	productRule("peersim/..."),
	productRule("internal/..."),
	{
		why:      "shim is the chaincode's side of the stream: of ours it imports only its own sub-packages, and outside the module only the Fabric protos, gRPC, protobuf and envconfig",
		pkgs:     "shim/...",
		scope:    build,
		ours:     []string{"shim/..."},
		external: chaincodeSide,
	},
	{
		// Outside the module the tests may use anything: go-cmp, and
		// Fabric's own shim for the compatibility tests.
		why:   "shim's tests stay independent of the peer: of ours they use shim's own packages and the internal/ test helpers",
		pkgs:  "shim/...",
		scope: tests,
		ours:  []string{"shim/...", "internal/..."},
	},
	{
		why:      "contractapi is built on shim alone: of ours it imports shim and its own sub-packages, and outside the module only what shim may",
		pkgs:     "contractapi/...",
		scope:    build,
		ours:     []string{"contractapi/...", "shim/..."},
		external: chaincodeSide,
	},
	// contractapi's tests are not ruled: its compatibility tests run
	// contracts on an in-process peer (peersim/peersimtest).
	{
		why:   "a sample is a chaincode: it links the chaincode libraries (shim, contractapi), never the peer",
		pkgs:  "samples/...",
		scope: build,
		ours:  []string{"shim/...", "contractapi/..."},
	},
	// The samples' tests are not ruled: they run the sample on an
	// in-process peer (peersim/peersimtest).
	{
		why:    "the ledger imports nothing else of ours but the bounded map its caches share, and no gRPC",
		pkgs:   "peersim/ledger/...",
		scope:  build,
		ours:   []string{"peersim/ledger/...", "internal/bounded"},
		forbid: []string{"google.golang.org/grpc"},
	},
	{
		why:   "the ledger's tests use only the ledger and the internal/ test helpers",
		pkgs:  "peersim/ledger/...",
		scope: tests,
		ours:  []string{"peersim/ledger/...", "internal/..."},
	},
	{
		why:   "the embedded orderer cuts blocks and hands them to the committer it is given: of ours it imports only the ledger, for its types, never the peer, the chaincode server, the launcher or the CLI",
		pkgs:  "peersim/orderer",
		scope: build,
		ours:  []string{"peersim/ledger", "peersim/identity", "internal/stopping"},
	},
	{
		why:   "the orderer's tests use fakes and the ledger's types and the internal/ test helpers, never the peer",
		pkgs:  "peersim/orderer",
		scope: tests,
		ours:  []string{"peersim/ledger", "internal/..."},
	},
	{
		why:   "peersim/chaincode reaches the ledger through the interfaces it declares (TxSimulator, SimulatorFactory) and only peersim wires the ledger in, so it imports nothing of ours",
		pkgs:  "peersim/chaincode",
		scope: build,
	},
	{
		why:   "peersim/chaincode's tests drive the real ledger and the real shim, never the launcher, the peer or the CLI",
		pkgs:  "peersim/chaincode",
		scope: tests,
		ours:  []string{"peersim/ledger", "shim/...", "internal/..."},
	},
	{
		why:   "the launcher builds packages and runs processes: of ours it imports only peersim/ccpackage, and takes the chaincode CA through an interface",
		pkgs:  "peersim/launcher",
		scope: build,
		ours:  []string{"peersim/ccpackage"},
	},
	{
		why:   "the launcher's tests may use the real chaincode CA (peersim/identity), never the ledger, the chaincode server, the peer or the CLI",
		pkgs:  "peersim/launcher",
		scope: tests,
		ours:  []string{"peersim/ccpackage", "peersim/identity", "internal/..."},
	},
	{
		why:   "devrun runs a developer's chaincode against a peer from outside it: it packages and builds through peersim/ccpackage and peersim/launcher, never the peer, the chaincode server or the ledger",
		pkgs:  "peersim/devrun",
		scope: build,
		ours:  []string{"peersim/ccpackage", "peersim/launcher"},
	},
	{
		why:   "the endorser is given what it works with: of ours it imports the system chaincodes' interface, the ledger, the identities and the determinism check, never the chaincode server, the launcher, the peer or the CLI",
		pkgs:  "peersim/endorser",
		scope: build,
		ours:  []string{"peersim/syscc", "peersim/ledger", "peersim/identity", "peersim/determinism"},
	},
	{
		why:   "a trace records what the peer's parts report, as Fabric messages and plain values: it imports nothing of ours",
		pkgs:  "peersim/trace",
		scope: build,
	},
	{
		why:   "the determinism check compares two simulations given as Fabric messages: it imports nothing of ours",
		pkgs:  "peersim/determinism",
		scope: build,
	},
	{
		why:   "a system chaincode simulates on the ledger and reads what it is given; it never signs, so it imports neither the endorser nor the peer",
		pkgs:  "peersim/syscc",
		scope: build,
		ours:  []string{"peersim/ledger", "peersim/identity", "peersim/ccpackage", "peersim/launcher"},
	},
	{
		why:   "the channel set opens ledgers, validated against its organisations' MSP, and their block cutters with what it is given; it never endorses, runs chaincode or serves gRPC",
		pkgs:  "peersim/channel",
		scope: build,
		ours:  []string{"peersim/ledger", "peersim/orderer", "peersim/identity"},
	},
	{
		why:   "chaincode support launches (through the launcher's interface) or waits for chaincode and runs it on the chaincode server with a ledger simulator; it never endorses, signs or serves the client port",
		pkgs:  "peersim/ccsupport",
		scope: build,
		ours:  []string{"peersim/chaincode", "peersim/ledger", "peersim/launcher", "peersim/ccpackage", "peersim/syscc"},
	},
	{
		why:   "the metrics observe what the endorser, the chaincode server and the ledger report, through their types; they import nothing that runs",
		pkgs:  "peersim/metrics",
		scope: build,
		ours:  []string{"peersim/endorser", "peersim/chaincode", "peersim/ledger"},
	},
	{
		why:   "the Gateway service calls the endorser and the orderer through its interfaces and reads the ledger; it never runs chaincode, signs or launches",
		pkgs:  "peersim/gateway",
		scope: build,
		ours:  []string{"peersim/ledger", "peersim/identity", "internal/stopping"},
	},
	{
		why:   "the Deliver service reads the ledger and checks identities; it never endorses, orders or runs chaincode",
		pkgs:  "peersim/deliver",
		scope: build,
		ours:  []string{"peersim/ledger", "peersim/identity", "internal/stopping", "internal/bounded"},
	},
	{
		why:   "the CLI is a thin main over the peer library: of ours it imports peersim, peersim/client and, for `chaincode run -p`, peersim/devrun only",
		pkgs:  "peersim/cmd/...",
		scope: build,
		ours:  []string{"peersim", "peersim/client", "peersim/devrun"},
	},
	// The CLI's tests are not ruled: they run chaincode with shim in
	// process and build packages to install.
}

// knownViolations are the imports that break a rule today, each with the
// step of issue 12 that removes it. The test fails when one of them is gone
// as well as when a new one appears, so the list can only shrink: delete an
// entry in the change that removes its import.
var knownViolations = []violation{
	// None: every rule holds.
}

// goPackage is what the rules read of one package in `go list -json`.
type goPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// violation is one import that a rule forbids. In knownViolations only pkg,
// imports, scope and step are set.
type violation struct {
	pkg, imports string // relative to the module when ours
	scope        scope
	rule         *rule
	step         string
}

// ours reports whether the forbidden import is a package of this module.
func (v violation) ours() bool { return standard(v.imports) }

func (v violation) key() string { return v.pkg + " " + string(v.scope) + " " + v.imports }

func (v violation) String() string {
	allowed := "nothing"
	if v.ours() {
		if len(v.rule.ours) > 0 {
			allowed = strings.Join(v.rule.ours, ", ")
		}
		allowed = "of this module it allows " + allowed
	} else if slices.ContainsFunc(v.rule.forbid, func(p string) bool { return under(v.imports, p) }) {
		allowed = "it forbids " + strings.Join(v.rule.forbid, ", ")
	} else {
		allowed = "outside the module it allows " + strings.Join(v.rule.external, ", ")
	}
	return fmt.Sprintf("%s imports %s in its %s imports, which breaks the rule for %s (%s): %s; %s",
		v.pkg, v.imports, v.scope, v.rule.pkgs, v.rule.scope, v.rule.why, allowed)
}

// check returns every import of pkgs that one of rules forbids, in the
// order of pkgs and then rules.
func check(rules []rule, pkgs []goPackage) []violation {
	var found []violation
	for _, p := range pkgs {
		self := rel(p.ImportPath)
		for i := range rules {
			r := &rules[i]
			if !match(r.pkgs, self) {
				continue
			}
			imports := p.Imports
			if r.scope == tests {
				imports = slices.Concat(p.TestImports, p.XTestImports)
				slices.Sort(imports)
				imports = slices.Compact(imports)
			}
			for _, imp := range imports {
				if !allows(r, self, imp) {
					found = append(found, violation{pkg: self, imports: rel(imp), scope: r.scope, rule: r})
				}
			}
		}
	}
	return found
}

// allows reports whether rule r lets package self import imp.
func allows(r *rule, self, imp string) bool {
	switch {
	case under(imp, module):
		imp = rel(imp)
		return imp == self || slices.ContainsFunc(r.ours, func(p string) bool { return match(p, imp) })
	case standard(imp):
		return true
	case slices.ContainsFunc(r.forbid, func(p string) bool { return under(imp, p) }):
		return false
	default:
		return r.external == nil || slices.ContainsFunc(r.external, func(p string) bool { return under(imp, p) })
	}
}

// rel returns path relative to the module, "." for the module's root
// package; other paths are returned unchanged.
func rel(path string) string {
	if path == module {
		return "."
	}
	if r, ok := strings.CutPrefix(path, module+"/"); ok {
		return r
	}
	return path
}

// standard reports whether an import path outside the module is the
// standard library's: its first element has no dot. (So is a path relative
// to the module, which is how a violation names an import of ours.)
func standard(path string) bool {
	return !strings.Contains(strings.SplitN(path, "/", 2)[0], ".")
}

// match reports whether a module-relative package path matches pattern.
func match(pattern, path string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return under(path, base)
	}
	return path == pattern
}

// under reports whether path is prefix or a path below it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// moduleRoot returns the directory of the module's go.mod, skipping the test
// when there is no go command to ask.
func moduleRoot(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("skipped: the go command is not on PATH, and the repository checks read the module with it")
	}
	out, err := exec.CommandContext(t.Context(), "go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v%s", err, stderr(err))
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatalf("go env GOMOD = %q: the test does not run inside the module", gomod)
	}
	return filepath.Dir(gomod)
}

// listPackages runs go list over every package of the module.
func listPackages(t *testing.T, root string) []goPackage {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", "list", "-json=ImportPath,Imports,TestImports,XTestImports", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list in %s: %v%s", root, err, stderr(err))
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
}

func stderr(err error) string {
	if ee, ok := errors.AsType[*exec.ExitError](err); ok && len(ee.Stderr) > 0 {
		return "\n" + string(ee.Stderr)
	}
	return ""
}

// minPackages is well below the module's count of packages and well above
// what a go list that found only a few directories would return.
const minPackages = 25

func TestImportRules(t *testing.T) {
	pkgs := listPackages(t, moduleRoot(t))

	// Guard against passing because nothing was read: the module is all
	// there, the rules' packages exist and their imports were decoded.
	if len(pkgs) < minPackages {
		t.Fatalf("go list found %d packages, want at least %d", len(pkgs), minPackages)
	}
	byPath := map[string]goPackage{}
	for _, p := range pkgs {
		byPath[rel(p.ImportPath)] = p
	}
	for _, want := range []string{"shim", "contractapi", "peersim", "peersim/ledger", "peersim/orderer", "peersim/chaincode", "peersim/launcher", "peersim/cmd/peersim"} {
		if _, ok := byPath[want]; !ok {
			t.Fatalf("go list did not report %s/%s", module, want)
		}
	}
	if !slices.ContainsFunc(byPath["shim"].Imports, func(p string) bool { return under(p, "github.com/hyperledger/fabric-protos-go-apiv2") }) {
		t.Fatalf("shim's imports as read %v do not include the Fabric protos: the go list output was not decoded", byPath["shim"].Imports)
	}
	for _, r := range rules {
		if !slices.ContainsFunc(pkgs, func(p goPackage) bool { return match(r.pkgs, rel(p.ImportPath)) }) {
			t.Errorf("the rule for %s (%s) matches no package: fix its pattern or delete it", r.pkgs, r.scope)
		}
	}

	known := map[string]violation{}
	for _, v := range knownViolations {
		known[v.key()] = v
	}
	for _, v := range check(rules, pkgs) {
		if _, ok := known[v.key()]; ok {
			delete(known, v.key())
			continue
		}
		t.Error(v)
	}
	for _, v := range knownViolations {
		if _, ok := known[v.key()]; ok {
			t.Errorf("%s no longer imports %s in its %s imports (a known violation until %s): remove it from knownViolations", v.pkg, v.imports, v.scope, v.step)
		}
	}
}

func TestCheck(t *testing.T) {
	testRules := []rule{
		{why: "a is alone", pkgs: "a/...", scope: build, ours: []string{"a/..."}, external: []string{"example.com/ok"}},
		{why: "a's tests may use internal", pkgs: "a/...", scope: tests, ours: []string{"a/...", "internal/..."}},
		{why: "b has no rpc", pkgs: "b", scope: build, ours: []string{"a"}, forbid: []string{"example.com/rpc"}},
		{why: "c's tests use nothing of ours", pkgs: "c", scope: tests},
	}
	m := func(p string) string { return module + "/" + p }
	cases := []struct {
		name string
		pkg  goPackage
		want []string
	}{
		{
			name: "imports the rule allows are not reported",
			pkg:  goPackage{ImportPath: m("a/x"), Imports: []string{"fmt", "net/http", m("a"), m("a/y/z"), "example.com/ok", "example.com/ok/sub"}},
		},
		{
			name: "an import of ours outside the rule is reported",
			pkg:  goPackage{ImportPath: m("a"), Imports: []string{m("b"), m("ab")}},
			want: []string{"a non-test b", "a non-test ab"},
		},
		{
			name: "an external import not in the rule's list is reported",
			pkg:  goPackage{ImportPath: m("a"), Imports: []string{"example.com/okay", "example.com/other"}},
			want: []string{"a non-test example.com/okay", "a non-test example.com/other"},
		},
		{
			name: "a forbidden external import is reported and others are allowed",
			pkg:  goPackage{ImportPath: m("b"), Imports: []string{"example.com/rpc/codes", "example.com/db", m("a")}},
			want: []string{"b non-test example.com/rpc/codes"},
		},
		{
			name: "test imports are judged by the test rule only",
			pkg:  goPackage{ImportPath: m("a"), TestImports: []string{m("internal/leak"), "example.com/other"}, XTestImports: []string{m("a"), m("c"), m("c")}},
			want: []string{"a test c"},
		},
		{
			name: "an external test package may import the package it tests, nothing else of ours",
			pkg:  goPackage{ImportPath: m("c"), XTestImports: []string{m("c")}, TestImports: []string{m("a")}},
			want: []string{"c test a"},
		},
		{
			name: "a package no rule matches is not judged",
			pkg:  goPackage{ImportPath: m("d"), Imports: []string{m("a"), "example.com/rpc"}},
		},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, v := range check(testRules, []goPackage{tt.pkg}) {
				got = append(got, v.key())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestViolationNamesPackageImportAndRule(t *testing.T) {
	r := rule{why: "the ledger imports nothing else of ours", pkgs: "peersim/ledger/...", scope: build, ours: []string{"peersim/ledger/..."}}
	got := violation{pkg: "peersim/ledger", imports: "shim", scope: build, rule: &r}.String()
	want := "peersim/ledger imports shim in its non-test imports, which breaks the rule for peersim/ledger/... (non-test): the ledger imports nothing else of ours; of this module it allows peersim/ledger/..."
	if got != want {
		t.Errorf("message:\n got %s\nwant %s", got, want)
	}
}
