package compattest

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	// The builds below run in a child go command, whose inputs go test's
	// result cache does not see. Linking the packages under test into this
	// test binary makes any change to them a new binary, so a cached pass
	// never hides a broken drop-in.
	_ "github.com/chaincodekit/chaincodekit/shim"
	_ "github.com/chaincodekit/chaincodekit/shim/cid"
	_ "github.com/chaincodekit/chaincodekit/shim/statebased"
)

const (
	fabricModule = "github.com/hyperledger/fabric-chaincode-go/v2"
	chaincodeDir = "testdata/chaincode"
)

// importRewrites are the only edits a chaincode needs to move to chaincodekit.
var importRewrites = map[string]string{
	fabricModule + "/shim":           "github.com/chaincodekit/chaincodekit/shim",
	fabricModule + "/pkg/cid":        "github.com/chaincodekit/chaincodekit/shim/cid",
	fabricModule + "/pkg/statebased": "github.com/chaincodekit/chaincodekit/shim/statebased",
}

// notForChaincodes are exported names of Fabric's packages that the
// testdata chaincode does not use, with the reason.
var notForChaincodes = map[string]string{
	"shim.Handler":            "no exported fields or methods; chaincodekit keeps its stream handler unexported",
	"shim.StateQueryResult":   "constant of an unexported type, used only inside Fabric's shim",
	"shim.HistoryQueryResult": "constant of an unexported type, used only inside Fabric's shim",
}

func goTool(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("find the go command to build the test chaincode: %v (put go on PATH)", err)
	}
	return gobin
}

// run runs the go command in this package's directory and fails the test
// with its output if it fails.
func run(t *testing.T, what string, args ...string) string {
	t.Helper()
	cmd := exec.Command(goTool(t), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: go %s: %v\n%s", what, strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// chaincodeFiles returns the absolute paths of the test chaincode's Go files.
func chaincodeFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chaincodeDir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("list Go files in %s: %v (found %d)", chaincodeDir, err, len(files))
	}
	for i, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			t.Fatalf("absolute path of %s: %v", f, err)
		}
		files[i] = abs
	}
	return files
}

// rewriteImports returns src with the Fabric import paths replaced by
// chaincodekit's, and nothing else changed. It fails on an import of
// Fabric's chaincode module that has no chaincodekit counterpart.
func rewriteImports(t *testing.T, name string, src []byte) []byte {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			t.Fatalf("%s: import path %s: %v", name, imp.Path.Value, err)
		}
		if to, ok := importRewrites[path]; ok {
			imp.Path.Value = strconv.Quote(to)
		} else if strings.HasPrefix(path, fabricModule) {
			t.Fatalf("%s imports %s, which chaincodekit has no counterpart for", name, path)
		}
	}
	var out bytes.Buffer
	if err := format.Node(&out, fset, f); err != nil {
		t.Fatalf("print rewritten %s: %v", name, err)
	}
	return out.Bytes()
}

// overlay writes the rewritten chaincode to a temporary directory and returns
// a go build -overlay file that puts it in place of the original.
func overlay(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	replace := map[string]string{}
	for _, path := range chaincodeFiles(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		rewritten := filepath.Join(dir, filepath.Base(path))
		if err := os.WriteFile(rewritten, rewriteImports(t, path, src), 0o600); err != nil {
			t.Fatalf("write %s: %v", rewritten, err)
		}
		replace[path] = rewritten
	}
	doc, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		t.Fatalf("marshal overlay: %v", err)
	}
	path := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	return path
}

func TestChaincodeCompilesAgainstFabric(t *testing.T) {
	pkg := "./" + chaincodeDir
	run(t, "build the chaincode against Fabric's shim", "build", "-o", filepath.Join(t.TempDir(), "chaincode"), pkg)
	run(t, "vet the chaincode against Fabric's shim", "vet", pkg)
}

func TestChaincodeCompilesAgainstChaincodekit(t *testing.T) {
	pkg := "./" + chaincodeDir
	ov := overlay(t)
	run(t, "build the chaincode against chaincodekit's shim", "build", "-overlay", ov, "-o", filepath.Join(t.TempDir(), "chaincode"), pkg)
	run(t, "vet the chaincode against chaincodekit's shim", "vet", "-overlay", ov, pkg)

	deps := strings.Fields(run(t, "list the chaincode's dependencies", "list", "-overlay", ov, "-deps", pkg))
	for _, want := range importRewrites {
		if !slices.Contains(deps, want) {
			t.Errorf("rewritten chaincode does not depend on %s", want)
		}
	}
	for _, dep := range deps {
		if strings.HasPrefix(dep, fabricModule) {
			t.Errorf("rewritten chaincode still depends on %s", dep)
		}
	}
}

// TestChaincodeUsesTheWholeAPI keeps the test chaincode honest: every
// exported name of Fabric's shim, cid and statebased (functions, types,
// constants, variables, methods, interface methods and struct fields) is
// used somewhere in it, unless listed in notForChaincodes.
func TestChaincodeUsesTheWholeAPI(t *testing.T) {
	used := usedNames(t)
	for alias, pkg := range map[string]string{
		"shim":       fabricModule + "/shim",
		"cid":        fabricModule + "/pkg/cid",
		"statebased": fabricModule + "/pkg/statebased",
	} {
		dir := strings.TrimSpace(run(t, "locate "+pkg, "list", "-f", "{{.Dir}}", pkg))
		for _, name := range exportedAPI(t, alias, dir) {
			if _, skip := notForChaincodes[name]; skip {
				continue
			}
			if !used[name] {
				t.Errorf("the test chaincode does not use %s (from %s); use it in %s", name, pkg, chaincodeDir)
			}
		}
	}
}

// usedNames returns the names the test chaincode uses: "pkg.Name" for a
// qualified identifier and ".Name" for any selected method or field, keyed
// struct field or declared method (implementing an interface uses its
// methods).
func usedNames(t *testing.T) map[string]bool {
	t.Helper()
	used := map[string]bool{}
	fset := token.NewFileSet()
	for _, path := range chaincodeFiles(t) {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				used["."+n.Sel.Name] = true
				if x, ok := n.X.(*ast.Ident); ok {
					used[x.Name+"."+n.Sel.Name] = true
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok {
					used["."+k.Name] = true
				}
			case *ast.FuncDecl:
				if n.Recv != nil {
					used["."+n.Name.Name] = true
				}
			}
			return true
		})
	}
	return used
}

// exportedAPI lists the exported API of the package in dir, as usedNames
// names it: "alias.Name" for package-level names, ".Name" for the methods
// and fields of exported types.
func exportedAPI(t *testing.T, alias, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	var names []string
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatalf("list %s: %v", dir, err)
	}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil {
					names = append(names, alias+"."+d.Name.Name)
				} else if receiverExported(d.Recv.List[0].Type) {
					names = append(names, "."+d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						names = append(names, alias+"."+s.Name.Name)
						names = append(names, memberNames(s.Type)...)
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								names = append(names, alias+"."+n.Name)
							}
						}
					}
				}
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func receiverExported(expr ast.Expr) bool {
	if star, ok := expr.(*ast.StarExpr); ok {
		expr = star.X
	}
	id, ok := expr.(*ast.Ident)
	return ok && id.IsExported()
}

// memberNames lists the exported fields of a struct type and the methods of
// an interface type, embedded ones excluded (they are listed where declared).
func memberNames(expr ast.Expr) []string {
	var fields *ast.FieldList
	switch tt := expr.(type) {
	case *ast.StructType:
		fields = tt.Fields
	case *ast.InterfaceType:
		fields = tt.Methods
	default:
		return nil
	}
	var names []string
	for _, field := range fields.List {
		for _, n := range field.Names {
			if n.IsExported() {
				names = append(names, "."+n.Name)
			}
		}
	}
	return names
}
