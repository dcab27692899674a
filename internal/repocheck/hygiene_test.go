package repocheck

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// outside is text that points out of the repository: a path on the machine
// the code was written on, a section mark of a document the repository does
// not hold, or that document's folder. A comment states the rule itself
// instead. The Fabric CLI beside the repository in CI (../shared/tools) is
// not in the list, so a compatibility test may still look for it.
var outside = []struct{ text, why string }{
	{"/work/", "a path outside the repository"},
	{"§", "a section of a document that is not in the repository"},
	{"shared/reference", "a document that is not in the repository"},
	{"fabric-peer-semantics", "a document that is not in the repository"},
}

// hygieneFile is this file, which has to spell out what it looks for.
const hygieneFile = "internal/repocheck/hygiene_test.go"

// minGoFiles is well below the module's count of Go files and well above
// what a walk that missed most of the tree would find.
const minGoFiles = 200

func TestNoReferenceOutsideRepository(t *testing.T) {
	root := moduleRoot(t)
	var files int
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// .git and the git-ignored state directories hold no source.
			if path != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		name, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		name = filepath.ToSlash(name)
		files++
		if name == hygieneFile {
			return nil
		}
		return scanFile(t, path, name)
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	if files < minGoFiles {
		t.Fatalf("found %d Go files under %s, want at least %d", files, root, minGoFiles)
	}
}

// scanFile reports each line of the file at path that contains text of
// outside; name is the file's path in the repository.
func scanFile(t *testing.T, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		for _, o := range outside {
			if strings.Contains(sc.Text(), o.text) {
				t.Errorf("%s:%d: %q names %s; state the rule itself: %s", name, n, o.text, o.why, strings.TrimSpace(sc.Text()))
			}
		}
	}
	return sc.Err()
}
