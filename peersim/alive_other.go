//go:build !unix

package peersim

import "os"

// processAlive reports whether a process with this pid exists: outside
// Unix, finding a process opens it, which fails once it is gone.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
