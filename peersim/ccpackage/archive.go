package ccpackage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"path"
	"strings"
)

// Names used for the two archives in error messages.
const (
	archivePackage = "package"
	archiveCode    = CodeFile
)

// budget is what is left of the limits while one package is read. Entries
// are shared between the package and its code archive; the size limit is
// applied to each decompressed stream on its own.
type budget struct {
	limits  Limits
	entries int
}

// countingReader passes at most limit bytes through and records when the
// stream tries to go past them, so that decompression stops at the limit.
type countingReader struct {
	r        io.Reader
	n        int64
	limit    int64
	exceeded bool
}

var errLimit = errors.New("size limit reached")

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n >= c.limit {
		// Anything more than the limit is too much; probe for one byte.
		var one [1]byte
		k, err := c.r.Read(one[:])
		if k > 0 {
			c.exceeded = true
			return 0, errLimit
		}
		return 0, err
	}
	if rest := c.limit - c.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	k, err := c.r.Read(p)
	c.n += int64(k)
	return k, err
}

// entry is one accepted tar entry, its name cleaned.
type entry struct {
	name string
	hdr  *tar.Header
}

// tarScanner reads one tar.gz stream with the safety rules applied.
type tarScanner struct {
	archive string
	b       *budget
	cr      *countingReader
	gz      *gzip.Reader
	tr      *tar.Reader
	seen    map[string]bool // cleaned path -> is a directory (explicit or implied)
}

func newTarScanner(archive string, data []byte, b *budget) (*tarScanner, error) {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, archiveErr(archive, "", ErrCorrupt, "not a gzip stream: %v", err)
	}
	cr := &countingReader{r: gz, limit: b.limits.MaxTotalSize}
	return &tarScanner{archive: archive, b: b, cr: cr, gz: gz, tr: tar.NewReader(cr), seen: map[string]bool{}}, nil
}

// readErr turns an error met while reading the stream into an ArchiveError.
func (s *tarScanner) readErr(name string, err error) error {
	var ae *ArchiveError
	if errors.As(err, &ae) {
		return err
	}
	if s.cr.exceeded || errors.Is(err, errLimit) {
		return archiveErr(s.archive, name, ErrTooLarge, "decompresses to more than %d bytes (limit MaxTotalSize): trim the package or raise the limit", s.b.limits.MaxTotalSize)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return archiveErr(s.archive, name, ErrCorrupt, "the stream ends early; the file is truncated")
	}
	return archiveErr(s.archive, name, ErrCorrupt, "%v", err)
}

// next returns the next entry, or io.EOF after the last one. It enforces
// the entry-count limit and that the entry's declared size fits the budget.
func (s *tarScanner) next() (*tar.Header, error) {
	hdr, err := s.tr.Next()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, s.readErr("", err)
	}
	s.b.entries--
	if s.b.entries < 0 {
		return nil, archiveErr(s.archive, hdr.Name, ErrTooManyEntries, "the package holds more than %d entries (limit MaxEntries)", s.b.limits.MaxEntries)
	}
	if hdr.Size > s.b.limits.MaxTotalSize-s.cr.n {
		return nil, archiveErr(s.archive, hdr.Name, ErrTooLarge, "declares %d bytes, more than the %d left under the %d-byte limit (MaxTotalSize)",
			hdr.Size, max(s.b.limits.MaxTotalSize-s.cr.n, 0), s.b.limits.MaxTotalSize)
	}
	return hdr, nil
}

// read returns the content of the current entry.
func (s *tarScanner) read(name string) ([]byte, error) {
	data, err := io.ReadAll(s.tr)
	if err != nil {
		return nil, s.readErr(name, err)
	}
	return data, nil
}

// finish drains the gzip stream after the tar trailer so that a corrupt
// tail or checksum is noticed; the drain is bounded by the size limit.
func (s *tarScanner) finish() error {
	if _, err := io.Copy(io.Discard, s.cr); err != nil {
		return s.readErr("", err)
	}
	return nil
}

// cleanName checks an entry name and returns it cleaned ("./a/b/" becomes
// "a/b"). The archive root itself comes back as ".".
func cleanName(name string) (string, error) {
	switch {
	case name == "":
		return "", errors.New("the name is empty")
	case strings.ContainsRune(name, '\\'):
		return "", errors.New(`the name holds a backslash; entry names use '/'`)
	case strings.HasPrefix(name, "/"):
		return "", errors.New("the name is an absolute path; entries must be relative to the archive root")
	}
	for _, elem := range strings.Split(name, "/") {
		if elem == ".." {
			return "", errors.New(`the name has a ".." element, which would climb out of the extraction directory`)
		}
	}
	return path.Clean(name), nil
}

// checkType refuses everything but regular files and directories.
func (s *tarScanner) checkType(hdr *tar.Header) error {
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeDir:
	case tar.TypeSymlink:
		return archiveErr(s.archive, hdr.Name, ErrLink, "symbolic link to %q: packages may hold only regular files and directories (Fabric refuses links too); copy the target's content instead", hdr.Linkname)
	case tar.TypeLink:
		return archiveErr(s.archive, hdr.Name, ErrLink, "hard link to %q: packages may hold only regular files and directories (Fabric refuses links too); copy the target's content instead", hdr.Linkname)
	case tar.TypeChar, tar.TypeBlock:
		return archiveErr(s.archive, hdr.Name, ErrSpecialFile, "device file: packages may hold only regular files and directories")
	case tar.TypeFifo:
		return archiveErr(s.archive, hdr.Name, ErrSpecialFile, "named pipe: packages may hold only regular files and directories")
	default:
		return archiveErr(s.archive, hdr.Name, ErrSpecialFile, "tar entry type %q is not supported: packages may hold only regular files and directories", string(hdr.Typeflag))
	}
	if m := hdr.FileInfo().Mode(); m&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
		return archiveErr(s.archive, hdr.Name, ErrSpecialFile, "mode %v has setuid, setgid or sticky bits, which packages may not carry", m)
	}
	return nil
}

// record checks that name does not repeat an earlier entry or sit below a
// file, and remembers it. Repeated directory entries are harmless and
// accepted.
func (s *tarScanner) record(raw, name string, isDir bool) error {
	if name == "." {
		if !isDir {
			return archiveErr(s.archive, raw, ErrUnsafePath, "a file cannot be the archive root")
		}
		return nil
	}
	if wasDir, ok := s.seen[name]; ok {
		if !(wasDir && isDir) {
			return archiveErr(s.archive, raw, ErrDuplicateEntry, "%q appears more than once (or as both a file and a directory); each path may appear once", name)
		}
		return nil
	}
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		wasDir, ok := s.seen[dir]
		if ok && !wasDir {
			return archiveErr(s.archive, raw, ErrDuplicateEntry, "it sits below %q, which an earlier entry made a file", dir)
		}
		if ok {
			break // its own parents were recorded with it
		}
		s.seen[dir] = true
	}
	s.seen[name] = isDir
	return nil
}

// scanCode walks a code archive, applying the rules for the chaincode type,
// and calls visit for each file and directory. visit may read a regular
// file's content through the scanner's read method.
func scanCode(code []byte, meta Metadata, b *budget, visit func(s *tarScanner, e entry) error) error {
	s, err := newTarScanner(archiveCode, code, b)
	if err != nil {
		return err
	}
	for {
		hdr, err := s.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := s.checkType(hdr); err != nil {
			return err
		}
		name, err := cleanName(hdr.Name)
		if err != nil {
			return archiveErr(archiveCode, hdr.Name, ErrUnsafePath, "%v", err)
		}
		isDir := hdr.Typeflag == tar.TypeDir
		if err := s.record(hdr.Name, name, isDir); err != nil {
			return err
		}
		if name == "." {
			continue
		}
		if meta.IsType(TypeGolang) && !goPlaced(name, isDir) {
			return archiveErr(archiveCode, hdr.Name, ErrMisplacedEntry, "Go chaincode archives hold only src/ and META-INF/ at the top level (Fabric refuses other files)")
		}
		if err := visit(s, entry{name: name, hdr: hdr}); err != nil {
			return err
		}
	}
	return s.finish()
}

func goPlaced(name string, isDir bool) bool {
	if strings.HasPrefix(name, "src/") || strings.HasPrefix(name, "META-INF/") {
		return true
	}
	return isDir && (name == "src" || name == "META-INF")
}
