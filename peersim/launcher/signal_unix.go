//go:build unix

package launcher

import (
	"errors"
	"os"
	"syscall"
)

// signalGroup sends sig to every process of the group led by pid. A group
// that no longer exists is not an error.
func signalGroup(pid int, sig syscall.Signal) error {
	if pid <= 0 {
		return nil
	}
	if err := syscall.Kill(-pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// exitStatus reads the exit code, or -1 and the signal, from a finished
// process's state.
func exitStatus(st *os.ProcessState) (code int, sig syscall.Signal) {
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, ws.Signal()
	}
	return st.ExitCode(), 0
}
