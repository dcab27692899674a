package launcher

import (
	"os/exec"
	"syscall"
	"time"
)

// setProcessGroup puts cmd's process in a process group of its own, so that
// the launcher can signal it together with any children it starts, and
// asks Linux to SIGKILL it if the peer dies (Pdeathsig). A chaincode the
// Go shim drives would exit anyway once its stream to the peer closes;
// Pdeathsig covers a chaincode stuck elsewhere and builders in mid-build.
// Linux sends the signal when the OS thread that started the child exits,
// not the whole peer process; the Go runtime keeps its threads for the
// life of the process unless a goroutine locked to one exits, which this
// package never does, so in practice the two coincide. Cancelling cmd's
// context kills the whole group.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if cmd.Cancel != nil { // made by exec.CommandContext
		cmd.Cancel = func() error { return signalGroup(cmd.Process.Pid, syscall.SIGKILL) }
		cmd.WaitDelay = outputDrain
	}
}

// outputDrain bounds how long waiting for a process also waits for its
// output pipes after it exited (a child that escaped the group may hold
// them open).
const outputDrain = 5 * time.Second
