package network

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Snapshot copies the module's source (Go files, go.mod, go.sum, JSON such
// as collection configs and CouchDB indexes) from root into dst, leaving
// out hidden directories, bin/ and everything else. Chaincode packages
// hold the whole module around the chaincode: installing from a snapshot
// keeps them small and unaffected by files that change while a suite
// runs. Install from filepath.Join(dst, "samples", name).
func Snapshot(root, dst string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || rel == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !isSource(d.Name()) {
			return nil
		}
		if err := copyFile(path, filepath.Join(dst, rel)); err != nil {
			return fmt.Errorf("snapshot %s: %w", rel, err)
		}
		return nil
	})
}

func isSource(name string) bool {
	switch {
	case name == "go.mod", name == "go.sum":
		return true
	case strings.HasSuffix(name, ".go"), strings.HasSuffix(name, ".json"):
		return true
	}
	return false
}

func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
