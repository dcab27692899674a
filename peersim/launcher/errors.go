package launcher

import (
	"errors"
	"fmt"
	"syscall"
)

// Sentinel errors. Errors returned by this package wrap one of these where a
// caller may need to tell the cases apart with errors.Is.
var (
	// ErrClosed means the Runner has been stopped with StopAll and starts
	// nothing any more.
	ErrClosed = errors.New("launcher stopped")
	// ErrNoBuilder means no builder (external or built-in) claims a package.
	ErrNoBuilder = errors.New("no builder claims the chaincode package")
	// ErrBuild means a builder ran and failed; the error is a *BuildError.
	ErrBuild = errors.New("chaincode build failed")
	// ErrUnauthorized means a REGISTER does not come from a process this
	// peer launched for that chaincode id.
	ErrUnauthorized = errors.New("chaincode registration refused")
	// ErrServiceTwin means a twin (TwinOf) was asked of a package that runs
	// as a chaincode server: the peer starts no process of it, so it
	// cannot start a second one.
	ErrServiceTwin = errors.New("chaincode-as-a-service runs no process the peer could start twice")
	// ErrServiceInstance means an org instance (OrgInstanceOf) was asked
	// of a package that runs as a chaincode server: the peer dials the one
	// server the author runs, so every organisation shares it.
	ErrServiceInstance = errors.New("chaincode-as-a-service runs no process the peer could start for each organisation")
)

// BuildError reports a failed build: which package, which builder, and the
// builder's own output (for Go, the compiler's messages).
type BuildError struct {
	PackageID string
	Builder   string
	// Output is what the builder wrote to stdout and stderr, trimmed.
	Output string
	// Err is how the builder process ended.
	Err error
}

// Error names the package and builder and carries the builder's output.
func (e *BuildError) Error() string {
	msg := fmt.Sprintf("build chaincode package %s with builder %s: %v", e.PackageID, e.Builder, e.Err)
	if e.Output != "" {
		msg += ":\n" + e.Output
	}
	return msg
}

// Unwrap returns ErrBuild and the cause.
func (e *BuildError) Unwrap() []error { return []error{ErrBuild, e.Err} }

// ExitError says how a chaincode process ended. Process.Err returns one once
// the process is gone.
type ExitError struct {
	CCID string
	// Code is the exit status, or -1 when a signal ended the process.
	Code int
	// Signal is the signal that ended the process, if any.
	Signal syscall.Signal
	// Stopped is true when the launcher itself asked the process to end
	// (Stop, StopAll or Disconnected).
	Stopped bool
	// Err is set when the process could not be waited for at all.
	Err error
}

// Error says how the process ended, e.g. "chaincode cc:1 exited with code 2".
func (e *ExitError) Error() string {
	switch {
	case e.Err != nil:
		return fmt.Sprintf("chaincode %s: wait for process: %v", e.CCID, e.Err)
	case e.Code < 0:
		return fmt.Sprintf("chaincode %s was killed by signal %v", e.CCID, e.Signal)
	default:
		return fmt.Sprintf("chaincode %s exited with code %d", e.CCID, e.Code)
	}
}

// Unwrap returns Err.
func (e *ExitError) Unwrap() error { return e.Err }
