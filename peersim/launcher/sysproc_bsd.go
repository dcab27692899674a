//go:build unix && !linux

package launcher

import (
	"os/exec"
	"syscall"
	"time"
)

// setProcessGroup puts cmd's process in a process group of its own, so that
// the launcher can signal it together with any children it starts.
// Pdeathsig does not exist outside Linux: there the chaincode relies on its
// stream to the peer closing to notice that the peer is gone.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if cmd.Cancel != nil { // made by exec.CommandContext
		cmd.Cancel = func() error { return signalGroup(cmd.Process.Pid, syscall.SIGKILL) }
		cmd.WaitDelay = outputDrain
	}
}

// outputDrain bounds how long waiting for a process also waits for its
// output pipes after it exited.
const outputDrain = 5 * time.Second
