package ccpackage

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Extract unpacks the code archive of a parsed package into destDir, which
// must be empty or not exist yet; it is what Fabric hands builders as
// SRC_DIR (src/, META-INF/, connection.json). The archive is checked again
// while it is unpacked and every file is created through an os.Root, so
// nothing can be written outside destDir. Files get mode 0644, or 0755 when
// the archive marks them executable; directories 0755. On error whatever
// Extract created is removed again.
func Extract(pkg *Package, destDir string) (err error) {
	if pkg == nil || pkg.Code == nil {
		return fmt.Errorf("extract to %s: no parsed package given", destDir)
	}
	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return fmt.Errorf("extract %s: create destination: %w", pkg.ID(), err)
	}
	existing, err := os.ReadDir(destDir)
	if err != nil {
		return fmt.Errorf("extract %s: read destination: %w", pkg.ID(), err)
	}
	if len(existing) > 0 {
		return fmt.Errorf("extract %s: destination %s is not empty (holds %q); extract into a fresh directory", pkg.ID(), destDir, existing[0].Name())
	}
	root, err := os.OpenRoot(destDir)
	if err != nil {
		return fmt.Errorf("extract %s: open destination: %w", pkg.ID(), err)
	}
	defer root.Close()

	created := map[string]bool{} // top-level names, for clean-up on error
	defer func() {
		if err == nil {
			return
		}
		for name := range created {
			if rmErr := root.RemoveAll(name); rmErr != nil {
				err = errors.Join(err, fmt.Errorf("clean up %s in %s: %w", name, destDir, rmErr))
			}
		}
	}()

	b := &budget{limits: pkg.limits.withDefaults(), entries: pkg.limits.withDefaults().MaxEntries}
	err = scanCode(pkg.Code, pkg.Metadata, b, func(s *tarScanner, e entry) error {
		created[strings.SplitN(e.name, "/", 2)[0]] = true
		if e.hdr.Typeflag == tar.TypeDir {
			if err := root.MkdirAll(e.name, 0o755); err != nil {
				return fmt.Errorf("extract %s: %w", e.name, err)
			}
			return nil
		}
		if dir := path.Dir(e.name); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("extract %s: %w", e.name, err)
			}
		}
		perm := os.FileMode(0o644)
		if e.hdr.FileInfo().Mode()&0o111 != 0 {
			perm = 0o755
		}
		f, err := root.OpenFile(e.name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err != nil {
			return fmt.Errorf("extract %s: %w", e.name, err)
		}
		src := &trackedReader{r: s.tr}
		_, copyErr := io.Copy(f, src)
		closeErr := f.Close()
		if src.err != nil {
			return s.readErr(e.hdr.Name, src.err)
		}
		if copyErr != nil {
			return fmt.Errorf("extract %s: %w", e.name, copyErr)
		}
		if closeErr != nil {
			return fmt.Errorf("extract %s: %w", e.name, closeErr)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("extract %s into %s: %w", pkg.ID(), destDir, err)
	}
	return nil
}

// trackedReader remembers a read error so that it can be told apart from a
// write error after io.Copy.
type trackedReader struct {
	r   io.Reader
	err error
}

func (t *trackedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		t.err = err
	}
	return n, err
}
