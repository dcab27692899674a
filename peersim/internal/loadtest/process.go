package loadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// StopTimeout bounds how long Stop waits for a process to exit after
// SIGTERM before it kills it.
const StopTimeout = 30 * time.Second

// Process is a child process whose output (stdout and stderr together) goes
// to a log file.
type Process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed once Wait returned
	waitErr error         // set before exited is closed
	stop    sync.Once
	stopErr error
}

// Start starts cmd, named name in errors, with its output appended to the
// file logPath. When ready is not nil it waits until a line of the output
// matches ready and returns that line's submatches; it fails when the
// process exits first or ctx ends. The process's environment is cmd.Env, or
// this process's without the PEERSIM_, CORE_ and CHAINCODE_ variables when
// cmd.Env is nil, so nothing set in the caller's shell changes what a peer
// or a shim does behind its flags' back.
func Start(ctx context.Context, name string, cmd *exec.Cmd, logPath string, ready *regexp.Regexp) (*Process, []string, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("start %s: open its log: %w", name, err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		log.Close()
		return nil, nil, fmt.Errorf("start %s: %w", name, err)
	}
	if cmd.Env == nil {
		cmd.Env = CleanEnv()
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		log.Close()
		r.Close()
		w.Close()
		return nil, nil, fmt.Errorf("start %s (%s): %w", name, cmd, err)
	}
	w.Close() // the child holds its own copy
	p := &Process{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	matched := make(chan []string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		defer log.Close()
		defer r.Close()
		br := bufio.NewReader(r)
		if ready != nil {
			for {
				line, err := br.ReadString('\n')
				if line != "" {
					_, _ = io.WriteString(log, line)
				}
				if m := ready.FindStringSubmatch(line); m != nil {
					matched <- m
					break
				}
				if err != nil {
					return
				}
			}
		}
		_, _ = io.Copy(log, br)
	}()
	go func() {
		<-copied // Wait closes the pipe's read end otherwise; read all first
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	if ready == nil {
		return p, nil, nil
	}
	select {
	case m := <-matched:
		return p, m, nil
	case <-p.exited:
		return nil, nil, fmt.Errorf("start %s: it exited (%v) before it logged a line matching %q; its output is in %s:\n%s", name, p.waitErr, ready, logPath, tail(logPath))
	case <-ctx.Done():
		_ = p.Stop()
		return nil, nil, fmt.Errorf("start %s: no line matching %q before %w; its output is in %s", name, ready, context.Cause(ctx), logPath)
	}
}

// PID is the process's id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// LogPath is the file the process's output goes to.
func (p *Process) LogPath() string { return p.logPath }

// Exited is closed once the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Stop sends SIGTERM, waits up to StopTimeout for the process to exit and
// kills it if it has not. It returns an error when the process did not exit
// 0 on SIGTERM. Calling it again returns the same result.
func (p *Process) Stop() error {
	p.stop.Do(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
		timer := time.NewTimer(StopTimeout)
		defer timer.Stop()
		select {
		case <-p.exited:
		case <-timer.C:
			_ = p.cmd.Process.Kill()
			<-p.exited
			p.stopErr = fmt.Errorf("stop %s: it did not exit within %s of SIGTERM and was killed; its output is in %s", p.name, StopTimeout, p.logPath)
			return
		}
		if p.waitErr != nil {
			p.stopErr = fmt.Errorf("stop %s: %w; its output is in %s", p.name, p.waitErr, p.logPath)
		}
	})
	return p.stopErr
}

// CleanEnv is this process's environment without the variables that would
// change what peersim or a shim does behind its flags' back.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PEERSIM_") || strings.HasPrefix(kv, "CORE_") || strings.HasPrefix(kv, "CHAINCODE_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// tail returns the last lines of the file at path, for an error message.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

// Build compiles the Go package pkg into the binary out with `go build`,
// run in dir.
func Build(ctx context.Context, dir, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("go build -o %s %s in %s: %w\n%s", out, pkg, dir, err, b)
		}
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}
