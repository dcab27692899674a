//go:build unix

package ccpackage

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestPackRefusesSpecialFiles(t *testing.T) {
	mod := writeTree(t, map[string]string{"go.mod": "module example.com/cc\n", "main.go": goMain})
	if err := syscall.Mkfifo(filepath.Join(mod, "pipe"), 0o600); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	_, err := Pack(PackOptions{Dir: mod, Label: "cc"})
	if !errors.Is(err, ErrSpecialFile) || !strings.Contains(err.Error(), "named pipe") {
		t.Fatalf("Pack error = %v, want ErrSpecialFile for the named pipe", err)
	}
}
