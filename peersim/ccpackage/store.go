package ccpackage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Names of the store's files inside its directory.
const (
	registryFile  = "installed.json"
	packageSuffix = ".tar.gz"
	tempPrefix    = ".tmp-"
)

// StoreConfig configures a Store.
type StoreConfig struct {
	// Dir is the store's directory, e.g. <peer data>/chaincodes. It is
	// created when missing. One Store at a time may use a directory.
	Dir string
	// Limits bound each package installed; zero fields take defaults.
	Limits Limits
	// Logger receives one line per install; nil discards.
	Logger *slog.Logger
	// Now stamps installs; nil means time.Now.
	Now func() time.Time
}

// Validate names the first bad field.
func (c StoreConfig) Validate() error {
	if c.Dir == "" {
		return errors.New("store config: Dir is empty: give the directory installed chaincode is kept in")
	}
	if err := c.Limits.Validate(); err != nil {
		return fmt.Errorf("store config: %w", err)
	}
	return nil
}

// Installed is one installed chaincode: a name:version and the package it
// was installed with.
type Installed struct {
	Name        string    `json:"name"`
	Version     string    `json:"version"`
	PackageID   string    `json:"package_id"`
	Type        string    `json:"type"`
	InstalledAt time.Time `json:"installed_at"`
}

// registry is the on-disk form of the store's index.
type registry struct {
	Installed []Installed `json:"installed"`
	// Packages are the packages installed through Fabric 2.x's
	// _lifecycle, by package ID; their entries have no name or version.
	Packages []Installed `json:"packages,omitempty"`
}

// Store is the peer's registry of installed chaincode. Package files are
// kept once per package ID as <sha256>.tar.gz; the index of name:version
// entries is one JSON file replaced atomically (temporary file, fsync,
// rename) on every install, so a crash leaves either the old or the new
// index. A Store is safe for concurrent use.
type Store struct {
	dir    string
	limits Limits
	log    *slog.Logger
	now    func() time.Time

	mu      sync.RWMutex
	entries map[string]Installed // by name + ":" + version
	pkgs    map[string]Installed // _lifecycle installs, by package ID
}

// OpenStore opens (or creates) the store in cfg.Dir and loads its index. It
// fails with ErrStoreCorrupt when the index is unreadable or refers to a
// package file that is missing.
func OpenStore(cfg StoreConfig) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Store{
		dir:     cfg.Dir,
		limits:  cfg.Limits.withDefaults(),
		log:     cfg.Logger,
		now:     cfg.Now,
		entries: map[string]Installed{},
		pkgs:    map[string]Installed{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return nil, fmt.Errorf("open chaincode store %s: %w", s.dir, err)
	}
	if err := s.removeTemps(); err != nil {
		return nil, err
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// removeTemps deletes temporary files a crash left behind.
func (s *Store) removeTemps() error {
	files, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("open chaincode store %s: %w", s.dir, err)
	}
	for _, f := range files {
		if strings.HasPrefix(f.Name(), tempPrefix) {
			if err := os.Remove(filepath.Join(s.dir, f.Name())); err != nil {
				return fmt.Errorf("open chaincode store %s: remove stale %s: %w", s.dir, f.Name(), err)
			}
		}
	}
	return nil
}

func (s *Store) load() error {
	path := filepath.Join(s.dir, registryFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open chaincode store %s: %w", s.dir, err)
	}
	var reg registry
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&reg); err != nil {
		return fmt.Errorf("open chaincode store: %w: %s is not a valid index: %v", ErrStoreCorrupt, path, err)
	}
	for _, in := range reg.Installed {
		key := in.Name + ":" + in.Version
		if err := errors.Join(ValidateName(in.Name), ValidateVersion(in.Version)); err != nil {
			return fmt.Errorf("open chaincode store: %w: %s: entry %s: %w", ErrStoreCorrupt, path, key, err)
		}
		if _, dup := s.entries[key]; dup {
			return fmt.Errorf("open chaincode store: %w: %s lists %s twice", ErrStoreCorrupt, path, key)
		}
		file, err := s.packageFile(in.PackageID)
		if err != nil {
			return fmt.Errorf("open chaincode store: %w: %s: entry %s: %w", ErrStoreCorrupt, path, key, err)
		}
		if _, err := os.Stat(file); err != nil {
			return fmt.Errorf("open chaincode store: %w: entry %s refers to package %s, whose file is unreadable: %w", ErrStoreCorrupt, key, in.PackageID, err)
		}
		s.entries[key] = in
	}
	for _, in := range reg.Packages {
		if _, dup := s.pkgs[in.PackageID]; dup {
			return fmt.Errorf("open chaincode store: %w: %s lists package %s twice", ErrStoreCorrupt, path, in.PackageID)
		}
		file, err := s.packageFile(in.PackageID)
		if err != nil {
			return fmt.Errorf("open chaincode store: %w: %s: package %s: %w", ErrStoreCorrupt, path, in.PackageID, err)
		}
		if _, err := os.Stat(file); err != nil {
			return fmt.Errorf("open chaincode store: %w: package %s has an unreadable file: %w", ErrStoreCorrupt, in.PackageID, err)
		}
		s.pkgs[in.PackageID] = in
	}
	return s.removeOrphans()
}

// orphanRE matches the names of package files.
var orphanRE = regexp.MustCompile(`^[0-9a-f]{64}` + regexp.QuoteMeta(packageSuffix) + `$`)

// removeOrphans deletes package files no entry refers to: a crash between
// writing a package and writing the index leaves one behind.
func (s *Store) removeOrphans() error {
	used := map[string]bool{}
	for _, in := range s.allEntries() {
		if file, err := s.packageFile(in.PackageID); err == nil {
			used[filepath.Base(file)] = true
		}
	}
	files, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("open chaincode store %s: %w", s.dir, err)
	}
	for _, f := range files {
		if !orphanRE.MatchString(f.Name()) || used[f.Name()] {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, f.Name())); err != nil {
			return fmt.Errorf("open chaincode store %s: remove unreferenced package %s: %w", s.dir, f.Name(), err)
		}
		s.log.Warn("removed a package file no installed chaincode refers to", "file", f.Name())
	}
	return nil
}

// packageFile returns the path of a package's file, named by its hash.
func (s *Store) packageFile(packageID string) (string, error) {
	_, hash, err := SplitPackageID(packageID)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.dir, hash+packageSuffix), nil
}

// Install parses pkg and records it as name:version. Like Fabric 1.4 it
// refuses a second install of the same name:version, whether or not the
// bytes are the same, with an *AlreadyInstalledError. A package that fails
// Parse is refused and nothing is written. The same package may be
// installed under several names or versions; its file is kept once.
func (s *Store) Install(name, version string, pkg []byte) (Installed, error) {
	if err := ValidateName(name); err != nil {
		return Installed{}, fmt.Errorf("install %s:%s: %w", name, version, err)
	}
	if err := ValidateVersion(version); err != nil {
		return Installed{}, fmt.Errorf("install %s:%s: %w", name, version, err)
	}
	p, err := Parse(pkg, WithLimits(s.limits))
	if err != nil {
		return Installed{}, fmt.Errorf("install %s:%s: %w", name, version, err)
	}
	key := name + ":" + version

	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.entries[key]; ok {
		return Installed{}, &AlreadyInstalledError{Name: name, Version: version, PackageID: prev.PackageID, Same: prev.PackageID == p.ID()}
	}
	file, err := s.packageFile(p.ID())
	if err != nil {
		return Installed{}, fmt.Errorf("install %s:%s: %w", name, version, err)
	}
	wrote := false
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		if err := writeAtomic(s.dir, file, pkg); err != nil {
			return Installed{}, fmt.Errorf("install %s:%s: store package: %w", name, version, err)
		}
		wrote = true
	} else if err != nil {
		return Installed{}, fmt.Errorf("install %s:%s: %w", name, version, err)
	}

	in := Installed{Name: name, Version: version, PackageID: p.ID(), Type: p.Metadata.Type, InstalledAt: s.now().UTC()}
	next := make(map[string]Installed, len(s.entries)+1)
	for k, v := range s.entries {
		next[k] = v
	}
	next[key] = in
	if err := s.writeRegistry(next, s.pkgs); err != nil {
		if wrote && !s.referenced(p.ID()) {
			_ = os.Remove(file) // best effort: an unreferenced file is harmless
		}
		return Installed{}, fmt.Errorf("install %s:%s: %w", name, version, err)
	}
	s.entries = next
	s.log.Info("installed chaincode", "name", name, "version", version, "package_id", in.PackageID, "type", in.Type)
	for _, w := range p.Warnings {
		s.log.Warn("chaincode package", "package_id", in.PackageID, "warning", w)
	}
	return in, nil
}

// InstallPackage stores a Fabric 2.x package installed through _lifecycle,
// keyed by its package ID (label:sha256), and returns its entry (no name or
// version). Like Fabric it refuses a package already installed that way
// with an error wrapping ErrAlreadyInstalled; a package also installed
// through lscc shares its file.
func (s *Store) InstallPackage(pkg []byte) (Installed, error) {
	p, err := Parse(pkg, WithLimits(s.limits))
	if err != nil {
		return Installed{}, err
	}
	id := p.ID()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pkgs[id]; ok {
		return Installed{}, fmt.Errorf("%w: package ID %s", ErrAlreadyInstalled, id)
	}
	file, err := s.packageFile(id)
	if err != nil {
		return Installed{}, fmt.Errorf("install package %s: %w", id, err)
	}
	wrote := false
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		if err := writeAtomic(s.dir, file, pkg); err != nil {
			return Installed{}, fmt.Errorf("install package %s: store package: %w", id, err)
		}
		wrote = true
	} else if err != nil {
		return Installed{}, fmt.Errorf("install package %s: %w", id, err)
	}
	in := Installed{PackageID: id, Type: p.Metadata.Type, InstalledAt: s.now().UTC()}
	next := maps.Clone(s.pkgs)
	next[id] = in
	if err := s.writeRegistry(s.entries, next); err != nil {
		if wrote && !s.referenced(id) {
			_ = os.Remove(file) // best effort: an unreferenced file is harmless
		}
		return Installed{}, fmt.Errorf("install package %s: %w", id, err)
	}
	s.pkgs = next
	s.log.Info("installed chaincode package", "package_id", id, "type", in.Type)
	for _, w := range p.Warnings {
		s.log.Warn("chaincode package", "package_id", id, "warning", w)
	}
	return in, nil
}

// Packages returns every installed package once, by package ID: those
// installed through _lifecycle and those installed through lscc, sorted by
// package ID. An entry of an lscc install keeps the first name:version it
// was installed as.
func (s *Store) Packages() []Installed {
	s.mu.RLock()
	byID := maps.Clone(s.pkgs)
	for _, in := range s.entries {
		if _, ok := byID[in.PackageID]; !ok {
			byID[in.PackageID] = in
		}
	}
	s.mu.RUnlock()
	out := make([]Installed, 0, len(byID))
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		out = append(out, byID[id])
	}
	return out
}

// LoadPackage reads and parses the package with the package ID, installed
// through either lifecycle, checking that its file still hashes to the ID.
// An ID not installed gives an error wrapping ErrNotInstalled.
func (s *Store) LoadPackage(packageID string) (*Package, error) {
	s.mu.RLock()
	_, ok := s.pkgs[packageID]
	if !ok {
		for _, in := range s.entries {
			if in.PackageID == packageID {
				ok = true
				break
			}
		}
	}
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: package ID %s", ErrNotInstalled, packageID)
	}
	file, err := s.packageFile(packageID)
	if err != nil {
		return nil, fmt.Errorf("load package %s: %w: %w", packageID, ErrStoreCorrupt, err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("load package %s: %w", packageID, err)
	}
	_, hash, _ := SplitPackageID(packageID)
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != hash {
		return nil, fmt.Errorf("load package %s: %w: %s no longer matches its package ID; install the package again", packageID, ErrStoreCorrupt, file)
	}
	return Parse(data, WithLimits(s.limits))
}

// referenced reports whether an existing entry uses the package ID. The
// caller holds s.mu.
func (s *Store) referenced(packageID string) bool {
	for _, in := range s.allEntries() {
		if in.PackageID == packageID {
			return true
		}
	}
	return false
}

// allEntries returns the name:version entries and the _lifecycle installs.
// The caller holds s.mu.
func (s *Store) allEntries() []Installed {
	out := make([]Installed, 0, len(s.entries)+len(s.pkgs))
	for _, in := range s.entries {
		out = append(out, in)
	}
	for _, in := range s.pkgs {
		out = append(out, in)
	}
	return out
}

func (s *Store) writeRegistry(entries, pkgs map[string]Installed) error {
	reg := registry{Installed: make([]Installed, 0, len(entries))}
	for _, in := range entries {
		reg.Installed = append(reg.Installed, in)
	}
	sortInstalled(reg.Installed)
	for _, id := range slices.Sorted(maps.Keys(pkgs)) {
		reg.Packages = append(reg.Packages, pkgs[id])
	}
	data, err := json.MarshalIndent(reg, "", "  ")
	if err != nil {
		return fmt.Errorf("encode index: %w", err)
	}
	if err := writeAtomic(s.dir, filepath.Join(s.dir, registryFile), append(data, '\n')); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}

// Get returns the entry for name:version, or an error wrapping
// ErrNotInstalled that lists the versions of name that are installed.
func (s *Store) Get(name, version string) (Installed, error) {
	s.mu.RLock()
	in, ok := s.entries[name+":"+version]
	s.mu.RUnlock()
	if !ok {
		return Installed{}, s.notInstalled(name, version)
	}
	return in, nil
}

func (s *Store) notInstalled(name, version string) error {
	versions := s.Versions(name)
	if len(versions) == 0 {
		return fmt.Errorf("%w: %s:%s (no version of %s is installed)", ErrNotInstalled, name, version, name)
	}
	return fmt.Errorf("%w: %s:%s (installed versions of %s: %s)", ErrNotInstalled, name, version, name, strings.Join(versions, ", "))
}

// Load reads and parses the package installed as name:version, checking
// that the file still hashes to its package ID.
func (s *Store) Load(name, version string) (*Package, error) {
	in, err := s.Get(name, version)
	if err != nil {
		return nil, err
	}
	file, err := s.packageFile(in.PackageID)
	if err != nil {
		return nil, fmt.Errorf("load %s:%s: %w: %w", name, version, ErrStoreCorrupt, err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("load %s:%s: %w", name, version, err)
	}
	_, hash, _ := SplitPackageID(in.PackageID)
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != hash {
		return nil, fmt.Errorf("load %s:%s: %w: %s no longer matches package ID %s; install the chaincode again under a new version", name, version, ErrStoreCorrupt, file, in.PackageID)
	}
	p, err := Parse(data, WithLimits(s.limits))
	if err != nil {
		return nil, fmt.Errorf("load %s:%s: %w", name, version, err)
	}
	return p, nil
}

// List returns every entry, sorted by name, then version.
func (s *Store) List() []Installed {
	s.mu.RLock()
	out := make([]Installed, 0, len(s.entries))
	for _, in := range s.entries {
		out = append(out, in)
	}
	s.mu.RUnlock()
	sortInstalled(out)
	return out
}

// ByPackageID returns the entries installed with the package ID, sorted by
// name, then version; none gives nil.
func (s *Store) ByPackageID(packageID string) []Installed {
	s.mu.RLock()
	var out []Installed
	for _, in := range s.entries {
		if in.PackageID == packageID {
			out = append(out, in)
		}
	}
	s.mu.RUnlock()
	sortInstalled(out)
	return out
}

// Versions returns the installed versions of name, sorted; none gives nil.
func (s *Store) Versions(name string) []string {
	s.mu.RLock()
	var out []string
	for _, in := range s.entries {
		if in.Name == name {
			out = append(out, in.Version)
		}
	}
	s.mu.RUnlock()
	slices.Sort(out)
	return out
}

func sortInstalled(list []Installed) {
	slices.SortFunc(list, func(a, b Installed) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Version, b.Version)
	})
}

// writeAtomic writes data to a temporary file in dir, syncs it and renames
// it to path, then syncs dir, so that path holds either its old content or
// all of data.
func writeAtomic(dir, path string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o640); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
