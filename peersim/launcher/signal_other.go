//go:build !unix

package launcher

import (
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Outside Unix there are no process groups or signals to forward: Stop
// kills the chaincode process outright and its children are not tracked.

const outputDrain = 5 * time.Second

func setProcessGroup(cmd *exec.Cmd) { cmd.WaitDelay = outputDrain }

func signalGroup(pid int, sig syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil
	}
	return p.Kill()
}

func exitStatus(st *os.ProcessState) (int, syscall.Signal) { return st.ExitCode(), 0 }
