package devrun

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// FileState is what the watcher compares of a file: its size and its
// modification time.
type FileState struct {
	Size    int64
	ModTime time.Time
}

// Snapshot is the state of the files a build depends on, by slash-separated
// path relative to the module root.
type Snapshot map[string]FileState

// ScanModule returns the state of the files of the Go module rooted at fsys
// that a rebuild of its chaincode depends on: every .go file except tests,
// every go.mod and go.sum, and every file under metaDir (the chaincode's
// META-INF, relative to the module root; "" for none). Directories the go
// command ignores (names starting with "." or "_", and testdata) are
// skipped, except that metaDir is always read.
func ScanModule(fsys fs.FS, metaDir string) (Snapshot, error) {
	snap := Snapshot{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		inMeta := metaDir != "" && (p == metaDir || strings.HasPrefix(p, metaDir+"/"))
		if d.IsDir() {
			if p != "." && !inMeta && !strings.HasPrefix(metaDir+"/", p+"/") && ignoredDir(d.Name()) {
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		watched := inMeta ||
			(strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")) ||
			name == "go.mod" || name == "go.sum"
		if !watched {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		snap[p] = FileState{Size: info.Size(), ModTime: info.ModTime()}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan the module's files: %w", err)
	}
	return snap, nil
}

// ignoredDir reports whether the go command ignores a directory so named.
func ignoredDir(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata"
}

// Diff returns the paths whose state differs between a and b (added,
// removed or changed), sorted.
func Diff(a, b Snapshot) []string {
	var out []string
	for p, sa := range a {
		if sb, ok := b[p]; !ok || sb.Size != sa.Size || !sb.ModTime.Equal(sa.ModTime) {
			out = append(out, p)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// Watcher tells when the module's files have changed and then stayed
// unchanged for the debounce period, so that an editor's save of several
// files (or a write in several steps) gives one rebuild. It does no I/O of
// its own and keeps no clock: the caller polls it with the time of each
// tick and the scan function reads the files. Not safe for concurrent use.
type Watcher struct {
	scan     func() (Snapshot, error)
	debounce time.Duration

	reported Snapshot  // the state the last report (or the start) left
	seen     Snapshot  // the state of the last scan
	moved    time.Time // when seen last changed; zero when it is reported
}

// NewWatcher scans once for the starting state and returns a watcher that
// reports changes from it. debounce may be zero (report at the first poll
// that sees a change).
func NewWatcher(scan func() (Snapshot, error), debounce time.Duration) (*Watcher, error) {
	if debounce < 0 {
		return nil, fmt.Errorf("watch: debounce %s is negative", debounce)
	}
	snap, err := scan()
	if err != nil {
		return nil, err
	}
	return &Watcher{scan: scan, debounce: debounce, reported: snap, seen: snap}, nil
}

// Poll scans the files at now and returns the paths changed since the last
// report once no further change has been seen for the debounce period;
// nil otherwise. Files that changed and changed back are not reported. A
// scan error is returned and changes nothing: the next poll tries again.
func (w *Watcher) Poll(now time.Time) ([]string, error) {
	snap, err := w.scan()
	if err != nil {
		return nil, err
	}
	if len(Diff(w.seen, snap)) > 0 {
		w.seen, w.moved = snap, now
	}
	if w.moved.IsZero() || now.Sub(w.moved) < w.debounce {
		return nil, nil
	}
	changed := Diff(w.reported, w.seen)
	w.reported, w.moved = w.seen, time.Time{}
	return changed, nil
}

// metaDirOf is the META-INF directory of the chaincode in rel (its
// directory relative to the module root, slash-separated).
func metaDirOf(rel string) string { return path.Join(rel, "META-INF") }
