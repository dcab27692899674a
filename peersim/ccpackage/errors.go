package ccpackage

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by this package wrap one of these so that
// callers can tell the cases apart with errors.Is.
var (
	// ErrCorrupt means an archive could not be decoded: not gzip, a broken
	// tar header, a checksum mismatch or a truncated stream.
	ErrCorrupt = errors.New("corrupt archive")
	// ErrUnsafePath means an entry name is absolute, climbs out with "..",
	// holds a backslash or is otherwise not a plain relative path.
	ErrUnsafePath = errors.New("unsafe entry path")
	// ErrLink means an entry is a symbolic or hard link; packages may hold
	// only regular files and directories.
	ErrLink = errors.New("link entry")
	// ErrSpecialFile means an entry is a device, FIFO or other special file,
	// or carries setuid, setgid or sticky permission bits.
	ErrSpecialFile = errors.New("special file entry")
	// ErrDuplicateEntry means two entries share a path, or an entry sits
	// below a path that another entry declares to be a file.
	ErrDuplicateEntry = errors.New("duplicate entry")
	// ErrTooLarge means an archive decompresses to more bytes than
	// Limits.MaxTotalSize allows.
	ErrTooLarge = errors.New("archive too large")
	// ErrTooManyEntries means the package holds more entries than
	// Limits.MaxEntries allows.
	ErrTooManyEntries = errors.New("too many archive entries")
	// ErrMissingFile means a file the package needs (metadata.json,
	// code.tar.gz, connection.json for ccaas) is absent.
	ErrMissingFile = errors.New("missing file")
	// ErrInvalidMetadata means metadata.json is not valid JSON or lacks a
	// required field.
	ErrInvalidMetadata = errors.New("invalid package metadata")
	// ErrInvalidLabel means the package label does not match Fabric's rule
	// ^[[:alnum:]][[:alnum:]_.+-]*$.
	ErrInvalidLabel = errors.New("invalid package label")
	// ErrMisplacedEntry means an entry is outside the directories its
	// chaincode type allows (src/ and META-INF/ for Go).
	ErrMisplacedEntry = errors.New("misplaced entry")
	// ErrInvalidIndex means a CouchDB index definition under
	// META-INF/statedb/couchdb is not a valid index.
	ErrInvalidIndex = errors.New("invalid index definition")
	// ErrInvalidConnection means connection.json is malformed or lacks a
	// field Fabric requires.
	ErrInvalidConnection = errors.New("invalid connection.json")
	// ErrInvalidSource means a source directory given to Pack cannot be
	// packaged as asked.
	ErrInvalidSource = errors.New("invalid chaincode source")
	// ErrInvalidName means a chaincode name does not match Fabric 1.4's rule
	// ^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$.
	ErrInvalidName = errors.New("invalid chaincode name")
	// ErrInvalidVersion means a chaincode version does not match Fabric
	// 1.4's rule ^[A-Za-z0-9_.+-]+$.
	ErrInvalidVersion = errors.New("invalid chaincode version")
	// ErrAlreadyInstalled means name:version is already installed; Fabric
	// 1.4 refuses every re-install, even of identical bytes.
	ErrAlreadyInstalled = errors.New("chaincode already installed")
	// ErrNotInstalled means no chaincode is installed under name:version.
	ErrNotInstalled = errors.New("chaincode not installed")
	// ErrStoreCorrupt means the store's files on disk are inconsistent.
	ErrStoreCorrupt = errors.New("chaincode store corrupt")
)

// ArchiveError reports why Parse, Pack or Extract refused an archive. Rule
// is one of the sentinel errors above; Archive names the archive ("package"
// for the outer .tar.gz, "code.tar.gz" for the code archive) and Entry the
// entry at fault, when there is one.
type ArchiveError struct {
	Archive string
	Entry   string
	Rule    error
	Detail  string
}

// Error names the archive, the entry, the rule and what was wrong.
func (e *ArchiveError) Error() string {
	if e.Entry == "" {
		return fmt.Sprintf("%s: %v: %s", e.Archive, e.Rule, e.Detail)
	}
	return fmt.Sprintf("%s entry %q: %v: %s", e.Archive, e.Entry, e.Rule, e.Detail)
}

// Unwrap returns the rule, so errors.Is(err, ErrLink) and the like work.
func (e *ArchiveError) Unwrap() error { return e.Rule }

func archiveErr(archive, entry string, rule error, format string, args ...any) *ArchiveError {
	return &ArchiveError{Archive: archive, Entry: entry, Rule: rule, Detail: fmt.Sprintf(format, args...)}
}

// AlreadyInstalledError is returned by Store.Install when name:version is
// already installed. PackageID is the installed package's ID and Same tells
// whether the refused bytes were identical to it.
type AlreadyInstalledError struct {
	Name, Version string
	PackageID     string
	Same          bool
}

// Error says which name:version exists and how to install changed code.
func (e *AlreadyInstalledError) Error() string {
	what := "a different package"
	if e.Same {
		what = "the same package"
	}
	return fmt.Sprintf("chaincode %s:%s already exists (installed as package %s; this install carried %s): install changed code under a new version",
		e.Name, e.Version, e.PackageID, what)
}

// Unwrap returns ErrAlreadyInstalled.
func (e *AlreadyInstalledError) Unwrap() error { return ErrAlreadyInstalled }
