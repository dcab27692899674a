package ccpackage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var installTime = time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC)

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := OpenStore(StoreConfig{Dir: dir, Now: func() time.Time { return installTime }})
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
	}
	return s
}

// packages returns n distinct valid packages.
func packages(t *testing.T, n int) [][]byte {
	t.Helper()
	out := make([][]byte, n)
	for i := range out {
		out[i] = goPackage(t, file("src/main.go", fmt.Sprintf("package main // %d\n", i)))
	}
	return out
}

func TestStoreInstallGetListAndLoad(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "chaincodes"))
	pkgs := packages(t, 2)
	in, err := s.Install("mycc", "1.0", pkgs[0])
	if err != nil {
		t.Fatalf("Install: %v", err)
	}
	want := Installed{Name: "mycc", Version: "1.0", PackageID: PackageID("cc_1.0", pkgs[0]), Type: "golang", InstalledAt: installTime}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("Install returned (-want +got):\n%s", diff)
	}
	if _, err := s.Install("mycc", "2.0", pkgs[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Install("other", "1.0", pkgs[1]); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get("mycc", "1.0")
	if err != nil || got != want {
		t.Errorf("Get = %+v, %v; want %+v", got, err, want)
	}
	var names []string
	for _, in := range s.List() {
		names = append(names, in.Name+":"+in.Version)
	}
	if diff := cmp.Diff([]string{"mycc:1.0", "mycc:2.0", "other:1.0"}, names); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1.0", "2.0"}, s.Versions("mycc")); diff != "" {
		t.Errorf("Versions (-want +got):\n%s", diff)
	}
	if v := s.Versions("nothing"); v != nil {
		t.Errorf("Versions(nothing) = %v, want nil", v)
	}
	p, err := s.Load("mycc", "1.0")
	if err != nil || p.ID() != want.PackageID {
		t.Errorf("Load = %v, %v; want package %s", p, err, want.PackageID)
	}
}

func TestStoreGetNamesTheInstalledVersions(t *testing.T) {
	s := openStore(t, t.TempDir())
	pkgs := packages(t, 2)
	for i, v := range []string{"1.0", "0.9"} {
		if _, err := s.Install("mycc", v, pkgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ name, ccName, version, text string }{
		{"an unknown version of a known name", "mycc", "2.0", "mycc:2.0 (installed versions of mycc: 0.9, 1.0)"},
		{"an unknown name", "nope", "1.0", "nope:1.0 (no version of nope is installed)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Get(tt.ccName, tt.version)
			if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("Get error = %v, want ErrNotInstalled with %q", err, tt.text)
			}
			if _, err := s.Load(tt.ccName, tt.version); !errors.Is(err, ErrNotInstalled) {
				t.Errorf("Load error = %v, want ErrNotInstalled", err)
			}
		})
	}
}

func TestStoreSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	pkgs := packages(t, 2)
	if _, err := s.Install("mycc", "1.0", pkgs[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Install("mycc", "1.1", pkgs[1]); err != nil {
		t.Fatal(err)
	}
	before := s.List()

	again := openStore(t, dir)
	if diff := cmp.Diff(before, again.List()); diff != "" {
		t.Errorf("List after reopening (-before +after):\n%s", diff)
	}
	p, err := again.Load("mycc", "1.1")
	if err != nil || p.ID() != PackageID("cc_1.0", pkgs[1]) {
		t.Errorf("Load after reopening = %v, %v", p, err)
	}
	if _, err := again.Install("mycc", "1.0", pkgs[0]); !errors.Is(err, ErrAlreadyInstalled) {
		t.Errorf("re-install after reopening: error %v, want ErrAlreadyInstalled", err)
	}
}

func TestStoreRefusesAnyReinstallOfANameVersion(t *testing.T) {
	pkgs := packages(t, 2)
	tests := []struct {
		name string
		pkg  []byte
		same bool
	}{
		{"the same bytes again", pkgs[0], true},
		{"different bytes", pkgs[1], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, t.TempDir())
			first, err := s.Install("mycc", "1.0", pkgs[0])
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Install("mycc", "1.0", tt.pkg)
			var ae *AlreadyInstalledError
			if !errors.Is(err, ErrAlreadyInstalled) || !errors.As(err, &ae) {
				t.Fatalf("second Install error = %v, want *AlreadyInstalledError", err)
			}
			if ae.Same != tt.same || ae.PackageID != first.PackageID {
				t.Errorf("error = %+v, want Same %v and the first package's ID", ae, tt.same)
			}
			if !strings.Contains(err.Error(), "chaincode mycc:1.0 already exists") {
				t.Errorf("error %q does not say mycc:1.0 already exists", err)
			}
			if got, _ := s.Get("mycc", "1.0"); got != first {
				t.Errorf("entry changed to %+v", got)
			}
		})
	}
}

func TestStoreKeepsOneFilePerPackage(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	pkg := packages(t, 1)[0]
	for _, name := range []string{"a", "b"} {
		if _, err := s.Install(name, "1", pkg); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"+packageSuffix))
	if len(files) != 1 {
		t.Errorf("package files = %v, want one", files)
	}
}

func TestStoreInstallRefusesBadInputAndStoresNothing(t *testing.T) {
	good := packages(t, 1)[0]
	tests := []struct {
		name, ccName, version string
		pkg                   []byte
		want                  error
	}{
		{"a path traversal", "mycc", "1", goPackage(t, file("src/../../x", "")), ErrUnsafePath},
		{"a symlink", "mycc", "1", goPackage(t, tarEntry{hdr: symlinkHeader("src/x", "/etc")}), ErrLink},
		{"a bad label", "mycc", "1", outer(t, `{"type":"golang","label":"a b"}`, tarGz(t, file("src/main.go", goMain))), ErrInvalidLabel},
		{"garbage", "mycc", "1", []byte("not a package"), ErrCorrupt},
		{"a bad name", "my/cc", "1", good, ErrInvalidName},
		{"a version that is a path", "mycc", "a/..", good, ErrInvalidVersion},
		{"an empty version", "mycc", "", good, ErrInvalidVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir)
			_, err := s.Install(tt.ccName, tt.version, tt.pkg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Install error = %v, want %v", err, tt.want)
			}
			if files, _ := os.ReadDir(dir); len(files) != 0 {
				t.Errorf("the store directory holds %d files after a refused install", len(files))
			}
			if len(s.List()) != 0 {
				t.Errorf("List = %v after a refused install", s.List())
			}
		})
	}
}

func TestStoreConcurrentInstalls(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	const n = 12
	pkgs := packages(t, n)
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		contested []error
	)
	for i := range n {
		wg.Go(func() {
			if _, err := s.Install(fmt.Sprintf("cc%d", i), "1.0", pkgs[i]); err != nil {
				t.Errorf("Install cc%d: %v", i, err)
			}
		})
		wg.Go(func() {
			_, err := s.Install("shared", "1.0", pkgs[i])
			mu.Lock()
			contested = append(contested, err)
			mu.Unlock()
		})
		wg.Go(func() { _ = s.List(); _ = s.Versions("shared") })
	}
	wg.Wait()
	wins := slices.IndexFunc(contested, func(err error) bool { return err == nil })
	losses := 0
	for _, err := range contested {
		if errors.Is(err, ErrAlreadyInstalled) {
			losses++
		}
	}
	if wins < 0 || losses != n-1 {
		t.Errorf("racing installs of shared:1.0: %d refused as already installed, want %d and one success", losses, n-1)
	}
	if got := len(openStore(t, dir).List()); got != n+1 {
		t.Errorf("after reopening, %d entries, want %d", got, n+1)
	}
}

func TestOpenStoreRefusesAnInconsistentDirectory(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, dir string)
		text  string
	}{
		{"an index that is not JSON", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, registryFile), "{")
		}, registryFile},
		{"an index naming a missing package", func(t *testing.T, dir string) {
			files, _ := filepath.Glob(filepath.Join(dir, "*"+packageSuffix))
			for _, f := range files {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
			}
		}, "mycc:1.0 refers to package cc_1.0:"},
		{"an index with a bad package ID", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, registryFile), `{"installed":[{"name":"mycc","version":"1.0","package_id":"cc:xyz","type":"golang","installed_at":"2026-01-01T00:00:00Z"}]}`)
		}, `hash "xyz"`},
		{"an index listing an entry twice", func(t *testing.T, dir string) {
			data, err := os.ReadFile(filepath.Join(dir, registryFile))
			if err != nil {
				t.Fatal(err)
			}
			s := string(data)
			i, j := strings.Index(s, "{\n      \"name\""), strings.LastIndex(s, "}\n  ]")
			writeFile(t, filepath.Join(dir, registryFile), s[:j+1]+",\n"+s[i:])
		}, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := openStore(t, dir).Install("mycc", "1.0", packages(t, 1)[0]); err != nil {
				t.Fatal(err)
			}
			tt.spoil(t, dir)
			_, err := OpenStore(StoreConfig{Dir: dir})
			if !errors.Is(err, ErrStoreCorrupt) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("OpenStore error = %v, want ErrStoreCorrupt mentioning %q", err, tt.text)
			}
		})
	}
}

func TestStoreLoadNoticesATamperedPackageFile(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	if _, err := s.Install("mycc", "1.0", packages(t, 1)[0]); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"+packageSuffix))
	writeFile(t, files[0], string(packages(t, 2)[1]))
	if _, err := s.Load("mycc", "1.0"); !errors.Is(err, ErrStoreCorrupt) {
		t.Fatalf("Load error = %v, want ErrStoreCorrupt", err)
	}
}

func TestOpenStoreRemovesStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, tempPrefix+"123"), "half-written")
	openStore(t, dir)
	if _, err := os.Stat(filepath.Join(dir, tempPrefix+"123")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file still there (stat error %v)", err)
	}
}

func TestOpenStoreRemovesUnreferencedPackageFiles(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	kept, err := s.Install("mycc", "1.0", packages(t, 1)[0])
	if err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(dir, strings.Repeat("ab", 32)+packageSuffix)
	writeFile(t, orphan, "left by a crash before the index was written")
	openStore(t, dir)
	if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("orphaned package file still there (stat error %v)", err)
	}
	if _, err := openStore(t, dir).Load("mycc", "1.0"); err != nil {
		t.Errorf("Load of %s after the clean-up: %v", kept.PackageID, err)
	}
}

func TestStoreByPackageID(t *testing.T) {
	s := openStore(t, t.TempDir())
	pkgs := packages(t, 2)
	for _, in := range []struct {
		name string
		pkg  []byte
	}{{"b", pkgs[0]}, {"a", pkgs[0]}, {"c", pkgs[1]}} {
		if _, err := s.Install(in.name, "1", in.pkg); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for _, in := range s.ByPackageID(PackageID("cc_1.0", pkgs[0])) {
		names = append(names, in.Name)
	}
	if diff := cmp.Diff([]string{"a", "b"}, names); diff != "" {
		t.Errorf("ByPackageID (-want +got):\n%s", diff)
	}
	if got := s.ByPackageID("cc_1.0:" + strings.Repeat("0", 64)); got != nil {
		t.Errorf("ByPackageID of an unknown ID = %v, want nil", got)
	}
}

func TestStoreConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  StoreConfig
		text string
	}{
		{"an empty directory", StoreConfig{}, "Dir is empty"},
		{"a negative size limit", StoreConfig{Dir: "x", Limits: Limits{MaxTotalSize: -5}}, "MaxTotalSize -5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("Validate = %v, want an error mentioning %q", err, tt.text)
			}
			if _, err := OpenStore(tt.cfg); err == nil {
				t.Error("OpenStore accepted the config")
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestStoreInstallPackage checks _lifecycle installs: keyed by package ID,
// refused twice, listed with lscc installs once per package, kept across a
// restart, and loadable by ID.
func TestStoreInstallPackage(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	pkgs := packages(t, 4)
	id0, id1, id2, id3 := PackageID("cc_1.0", pkgs[0]), PackageID("cc_1.0", pkgs[1]), PackageID("cc_1.0", pkgs[2]), PackageID("cc_1.0", pkgs[3])
	in, err := s.InstallPackage(pkgs[0])
	if err != nil || in.PackageID != id0 || in.Name != "" {
		t.Fatalf("InstallPackage = %+v, %v; want package %s without a name", in, err, id0)
	}
	if _, err := s.InstallPackage(pkgs[0]); !errors.Is(err, ErrAlreadyInstalled) || !strings.Contains(err.Error(), id0) {
		t.Errorf("second InstallPackage: %v, want ErrAlreadyInstalled naming %s", err, id0)
	}
	if _, err := s.InstallPackage(pkgs[3]); err != nil { // only through _lifecycle: it must survive a restart
		t.Fatal(err)
	}
	if _, err := s.InstallPackage([]byte("not a package")); err == nil {
		t.Error("InstallPackage of garbage succeeded")
	}
	if _, err := s.Install("mycc", "1.0", pkgs[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Install("mycc", "1.1", pkgs[0]); err != nil { // the same package through lscc as well
		t.Fatal(err)
	}
	if len(s.List()) != 2 {
		t.Errorf("List = %v, want the two lscc installs only", s.List())
	}
	for _, st := range []*Store{s, openStore(t, dir)} {
		var ids []string
		for _, in := range st.Packages() {
			ids = append(ids, in.PackageID)
		}
		want := []string{id0, id1, id3}
		slices.Sort(want)
		if diff := cmp.Diff(want, ids); diff != "" {
			t.Errorf("Packages (-want +got):\n%s", diff)
		}
		for _, id := range []string{id0, id1, id3} {
			if p, err := st.LoadPackage(id); err != nil || p.ID() != id {
				t.Errorf("LoadPackage(%s) = %v, %v", id, p, err)
			}
		}
		if _, err := st.LoadPackage(id2); !errors.Is(err, ErrNotInstalled) {
			t.Errorf("LoadPackage of a package not installed: %v, want ErrNotInstalled", err)
		}
	}
}
