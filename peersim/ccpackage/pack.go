package ccpackage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Header values Fabric's packager writes into code archives, so that the
// same source gives the same bytes whoever packs it.
const (
	codeOwnerID  = 500
	codeFileMode = 0o100644 // regular file, rw-r--r--
	codeDirMode  = 0o40755  // directory, rwxr-xr-x
	outerMode    = 0o100644
)

// PackOptions says what Pack packages.
type PackOptions struct {
	// Dir is the chaincode directory: for golang the directory of the main
	// package (inside a Go module); for ccaas and external the directory
	// holding connection.json and, optionally, META-INF/.
	Dir string
	// Label is the package label, e.g. Label(name, version).
	Label string
	// Type is TypeGolang (the default when empty), TypeCCaaS or
	// TypeExternal.
	Type string
	// Limits bound the package's size; zero fields take defaults.
	Limits Limits
}

// source is one file to put into a code archive.
type source struct {
	name string // entry name
	path string // file on disk, when data is nil
	data []byte // content already read (META-INF files)
	size int64
}

// Pack builds a chaincode package from a source directory, as Fabric's
// `peer lifecycle chaincode package` does.
//
// For Go, the code archive holds the whole module around Dir (found through
// the nearest go.mod) under src/, skipping hidden directories such as .git
// but keeping hidden files, vendor/ and testdata/ as Fabric does; Dir's
// META-INF directory goes to META-INF/ at the top level and may hold only
// CouchDB index definitions. metadata.json's path is the Go import path of
// Dir. Directory entries come first, then files, each group sorted; files
// get mode 0644, directories 0755, owner 500:500 and zero times, so the
// output depends only on the source's names and contents. Symbolic links
// to regular files are followed; other links and special files are refused.
// GOPATH-mode (module-less) chaincode is not supported.
//
// For ccaas and external, the code archive holds Dir/connection.json
// (required for ccaas) and Dir/META-INF, and path is empty.
//
// The result is checked with Parse before it is returned.
func Pack(opts PackOptions) ([]byte, error) {
	if err := ValidateLabel(opts.Label); err != nil {
		return nil, fmt.Errorf("pack %s: %w", opts.Dir, err)
	}
	if err := opts.Limits.Validate(); err != nil {
		return nil, fmt.Errorf("pack %s: %w", opts.Dir, err)
	}
	limits := opts.Limits.withDefaults()
	typ := opts.Type
	if typ == "" {
		typ = TypeGolang
	}
	if opts.Dir == "" {
		return nil, fmt.Errorf("pack: %w: no chaincode directory given", ErrInvalidSource)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", opts.Dir, err)
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("pack %s: %w: %w", opts.Dir, ErrInvalidSource, err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("pack %s: %w: not a directory", opts.Dir, ErrInvalidSource)
	}

	var (
		meta    = Metadata{Type: typ, Label: opts.Label}
		sources []source
	)
	switch {
	case strings.EqualFold(typ, TypeGolang):
		meta.Path, sources, err = collectGo(dir, limits)
	case strings.EqualFold(typ, TypeCCaaS), strings.EqualFold(typ, TypeExternal):
		sources, err = collectService(dir, typ, limits)
	default:
		err = fmt.Errorf("%w: chaincode type %q cannot be packaged here; use %s, %s or %s", ErrInvalidSource, typ, TypeGolang, TypeCCaaS, TypeExternal)
	}
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", opts.Dir, err)
	}
	code, err := writeCode(sources, limits)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", opts.Dir, err)
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("pack %s: encode metadata: %w", opts.Dir, err)
	}
	pkg, err := writeOuter(metaJSON, code)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", opts.Dir, err)
	}
	if _, err := Parse(pkg, WithLimits(limits)); err != nil {
		return nil, fmt.Errorf("pack %s: the package made does not parse: %w", opts.Dir, err)
	}
	return pkg, nil
}

// collectGo lists the files of the module around dir and returns the
// import path of dir.
func collectGo(dir string, limits Limits) (string, []source, error) {
	root, modPath, err := findModule(dir)
	if err != nil {
		return "", nil, err
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrInvalidSource, err)
	}
	importPath := modPath
	if rel != "." {
		for _, elem := range strings.Split(rel, string(filepath.Separator)) {
			if hidden(elem) {
				return "", nil, fmt.Errorf("%w: the chaincode directory is inside the hidden directory %q of module %s; Fabric's packager skips hidden directories, so the code would be missing: move it", ErrInvalidSource, elem, root)
			}
		}
		importPath = modPath + "/" + filepath.ToSlash(rel)
	}
	if err := requireGoFiles(dir); err != nil {
		return "", nil, err
	}

	metaRoot := filepath.Join(dir, "META-INF")
	var (
		sources []source
		total   int64
	)
	walk := func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidSource, err)
		}
		inMeta := within(metaRoot, p)
		if d.IsDir() {
			if p != root && p != metaRoot && hidden(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if inMeta && hidden(d.Name()) {
			return nil
		}
		size, err := regularSize(p, d)
		if err != nil {
			return err
		}
		total += size
		if total > limits.MaxTotalSize {
			return fmt.Errorf("%w: module %s holds more than %d bytes of files (limit MaxTotalSize); is the chaincode directory the right one?", ErrTooLarge, root, limits.MaxTotalSize)
		}
		if len(sources) >= limits.MaxEntries {
			return fmt.Errorf("%w: module %s holds more than %d files (limit MaxEntries); is the chaincode directory the right one?", ErrTooManyEntries, root, limits.MaxEntries)
		}
		if inMeta {
			src, err := metaSource(metaRoot, p, size)
			if err != nil {
				return err
			}
			sources = append(sources, src)
			return nil
		}
		relp, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		sources = append(sources, source{name: "src/" + filepath.ToSlash(relp), path: p, size: size})
		return nil
	}
	if err := filepath.WalkDir(root, walk); err != nil {
		return "", nil, err
	}
	return importPath, sources, nil
}

// collectService lists connection.json and META-INF of a ccaas or external
// chaincode directory.
func collectService(dir, typ string, limits Limits) ([]source, error) {
	var sources []source
	connPath := filepath.Join(dir, ConnectionFile)
	data, err := os.ReadFile(connPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if strings.EqualFold(typ, TypeCCaaS) {
			return nil, fmt.Errorf("%w: a ccaas package needs %s in %s", ErrInvalidSource, ConnectionFile, dir)
		}
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrInvalidSource, err)
	default:
		if _, err := ParseConnection(data); err != nil {
			return nil, fmt.Errorf("%s: %w", connPath, err)
		}
		sources = append(sources, source{name: ConnectionFile, data: data, size: int64(len(data))})
	}

	metaRoot := filepath.Join(dir, "META-INF")
	if _, err := os.Stat(metaRoot); errors.Is(err, fs.ErrNotExist) {
		return sources, nil
	}
	var total int64
	err = filepath.WalkDir(metaRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidSource, err)
		}
		if hidden(d.Name()) && p != metaRoot {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		size, err := regularSize(p, d)
		if err != nil {
			return err
		}
		if total += size; total > limits.MaxTotalSize {
			return fmt.Errorf("%w: %s holds more than %d bytes (limit MaxTotalSize)", ErrTooLarge, metaRoot, limits.MaxTotalSize)
		}
		src, err := metaSource(metaRoot, p, size)
		if err != nil {
			return err
		}
		sources = append(sources, src)
		return nil
	})
	return sources, err
}

// metaSource reads a META-INF file and checks that it is an index
// definition where the ledger looks for one, as Fabric's packager does.
func metaSource(metaRoot, p string, size int64) (source, error) {
	rel, err := filepath.Rel(metaRoot, p)
	if err != nil {
		return source{}, err
	}
	name := "META-INF/" + filepath.ToSlash(rel)
	if _, ok := indexCollection(name); !ok {
		return source{}, fmt.Errorf("%w: %s: META-INF may hold only CouchDB indexes, as META-INF/statedb/couchdb/indexes/<name>.json or META-INF/statedb/couchdb/collections/<collection>/indexes/<name>.json (Fabric's packager refuses other files)", ErrInvalidIndex, p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return source{}, fmt.Errorf("%w: %w", ErrInvalidSource, err)
	}
	if int64(len(data)) != size {
		return source{}, fmt.Errorf("%w: %s changed while it was being packaged", ErrInvalidSource, p)
	}
	if err := validateIndex(data); err != nil {
		return source{}, fmt.Errorf("%w: %s: %w", ErrInvalidIndex, p, err)
	}
	return source{name: name, data: data, size: size}, nil
}

// regularSize returns the size of the regular file at p, following a
// symbolic link to a regular file as Fabric does, and refuses anything
// else.
func regularSize(p string, d fs.DirEntry) (int64, error) {
	switch {
	case d.Type().IsRegular():
		info, err := d.Info()
		if err != nil {
			return 0, fmt.Errorf("%w: %w", ErrInvalidSource, err)
		}
		return info.Size(), nil
	case d.Type()&fs.ModeSymlink != 0:
		info, err := os.Stat(p)
		if err != nil {
			return 0, fmt.Errorf("%w: symbolic link %s is broken: %w", ErrInvalidSource, p, err)
		}
		if !info.Mode().IsRegular() {
			return 0, fmt.Errorf("%w: symbolic link %s points to a %s, not a regular file; packages hold only regular files", ErrInvalidSource, p, kind(info.Mode()))
		}
		return info.Size(), nil
	default:
		return 0, fmt.Errorf("%w: %s is a %s; packages hold only regular files: remove it or move it out of the module", ErrSpecialFile, p, kind(d.Type()))
	}
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	default:
		return "special file"
	}
}

func hidden(name string) bool { return strings.HasPrefix(name, ".") }

func within(base, p string) bool {
	return p == base || strings.HasPrefix(p, base+string(filepath.Separator))
}

// requireGoFiles checks that dir holds Go source, so that a wrong -p is
// reported at once rather than at build time.
func requireGoFiles(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSource, err)
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".go") {
			return nil
		}
	}
	return fmt.Errorf("%w: no .go files in %s; give the directory of the chaincode's main package", ErrInvalidSource, dir)
}

// findModule returns the directory of the go.mod nearest above dir and its
// module path.
func findModule(dir string) (root, modPath string, err error) {
	for d := dir; ; {
		gomod := filepath.Join(d, "go.mod")
		if st, err := os.Stat(gomod); err == nil && st.Mode().IsRegular() {
			data, err := os.ReadFile(gomod)
			if err != nil {
				return "", "", fmt.Errorf("%w: %w", ErrInvalidSource, err)
			}
			modPath, err := modulePath(data)
			if err != nil {
				return "", "", fmt.Errorf("%w: %s: %w", ErrInvalidSource, gomod, err)
			}
			return d, modPath, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", "", fmt.Errorf("%w: no go.mod in %s or any parent directory; Go chaincode is packaged as a module: run `go mod init` in the chaincode's module root", ErrInvalidSource, dir)
		}
		d = parent
	}
}

// modulePath returns the path in go.mod's module directive.
func modulePath(gomod []byte) (string, error) {
	for line := range strings.SplitSeq(string(gomod), "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "module" {
			continue
		}
		if len(fields) != 2 || fields[1] == "(" {
			return "", fmt.Errorf("cannot read the module directive %q", strings.TrimSpace(line))
		}
		p := fields[1]
		if strings.HasPrefix(p, `"`) || strings.HasPrefix(p, "`") {
			u, err := strconv.Unquote(p)
			if err != nil {
				return "", fmt.Errorf("module path %s: %w", p, err)
			}
			p = u
		}
		if p == "" {
			break
		}
		return p, nil
	}
	return "", errors.New("no module directive")
}

// countingWriter counts the bytes of the uncompressed tar stream.
type countingWriter struct {
	w     io.Writer
	n     int64
	limit int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	if c.n > c.limit {
		return 0, fmt.Errorf("%w: the code archive would be more than %d bytes (limit MaxTotalSize)", ErrTooLarge, c.limit)
	}
	return c.w.Write(p)
}

// writeCode writes the code archive: directories, then files, each sorted.
func writeCode(sources []source, limits Limits) ([]byte, error) {
	sort.Slice(sources, func(i, j int) bool { return sources[i].name < sources[j].name })
	dirSet := map[string]bool{}
	for _, s := range sources {
		for d := path.Dir(s.name); d != "." && !dirSet[d]; d = path.Dir(d) {
			dirSet[d] = true
		}
	}
	dirs := make([]string, 0, len(dirSet))
	for d := range dirSet {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	// Two entries of the package itself share the entry limit.
	if n := len(dirs) + len(sources) + 2; n > limits.MaxEntries {
		return nil, fmt.Errorf("%w: the package would hold %d entries (limit MaxEntries %d)", ErrTooManyEntries, n, limits.MaxEntries)
	}

	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	cw := &countingWriter{w: gz, limit: limits.MaxTotalSize}
	tw := tar.NewWriter(cw)
	for _, d := range dirs {
		hdr := &tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: codeDirMode, Uid: codeOwnerID, Gid: codeOwnerID}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("write %s: %w", hdr.Name, err)
		}
	}
	for _, s := range sources {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: s.name, Size: s.size, Mode: codeFileMode, Uid: codeOwnerID, Gid: codeOwnerID}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("write %s: %w", s.name, err)
		}
		if err := copySource(tw, s); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close code archive: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("close code archive: %w", err)
	}
	return buf.Bytes(), nil
}

func copySource(w io.Writer, s source) error {
	if s.data != nil {
		_, err := w.Write(s.data)
		return err
	}
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSource, err)
	}
	defer f.Close()
	if _, err := io.CopyN(w, f, s.size); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: %s shrank while it was being packaged", ErrInvalidSource, s.path)
		}
		return fmt.Errorf("write %s: %w", s.name, err)
	}
	return nil
}

// writeOuter writes the package: metadata.json, then code.tar.gz.
func writeOuter(metaJSON, code []byte) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		data []byte
	}{{MetadataFile, metaJSON}, {CodeFile, code}} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Size: int64(len(f.data)), Mode: outerMode}); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.name, err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close package: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("close package: %w", err)
	}
	return buf.Bytes(), nil
}
