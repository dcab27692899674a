//go:build unix

package peersim

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"
)

// processAlive reports whether a process with this pid runs: signal 0
// checks that it exists without sending anything (EPERM: it is another
// user's), and on Linux a zombie, dead but not yet reaped by its parent,
// does not count.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	return !zombie(pid)
}

// zombie reads the state of pid from /proc (Linux): "pid (comm) S ...",
// where comm may hold spaces and parentheses. Without /proc it reports
// false.
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}
