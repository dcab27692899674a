package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/chaincodekit/chaincodekit/peersim"
	"github.com/chaincodekit/chaincodekit/peersim/devrun"
)

// defaultChaincodeAddress is where a peer started with the defaults lets
// chaincode connect.
const defaultChaincodeAddress = "127.0.0.1:7052"

// runFlags are the flags of `chaincode run` that build and watch the
// chaincode (-p is chaincodeFlags.path).
type runFlags struct {
	address  string
	watch    bool
	interval time.Duration
	debounce time.Duration
}

func newChaincodeRunCommand(a *app, f *chaincodeFlags) *cobra.Command {
	var rf runFlags
	cmd := &cobra.Command{
		Use:   "run -n NAME -v VERSION [--chaincode-address HOST:PORT] (-p DIR [--watch] | [--] PROGRAM [ARGS...])",
		Short: "Build and run your chaincode against a development-mode peer, restarting it when its source changes (--watch)",
		Long: `Runs your chaincode as a development-mode peer expects it: with CORE_ID_CHAINCODE_NAME
and CORE_CHAINCODE_ID_NAME set to NAME:VERSION, CORE_PEER_LOCALMSPID set to the peer's MSP ID,
-peer.address set to the peer's chaincode address and TLS as the peer's chaincode listener
wants it: CORE_PEER_TLS_ENABLED=false, or, for a peer started with --chaincode-dev-tls,
CORE_PEER_TLS_ENABLED=true with CORE_PEER_TLS_ROOTCERT_FILE, CORE_TLS_CLIENT_CERT_PATH and
CORE_TLS_CLIENT_KEY_PATH (base64 of PEM, as Fabric's shim reads them) and CORE_TLS_CLIENT_CERT_FILE
and CORE_TLS_CLIENT_KEY_FILE (PEM) naming the files that peer wrote.

With -p DIR it builds the Go chaincode in DIR (its main package, inside a Go module) with
the go build of a production-mode peer, runs it and prints its output, prefixed with
[NAME:VERSION]. With --watch it polls the module's .go files (tests aside), go.mod, go.sum
and DIR/META-INF every --watch-interval and, once they stayed unchanged for --watch-debounce,
rebuilds the chaincode and restarts it under the same NAME:VERSION: the peer accepts it again
and keeps the channel state; a transaction the old process was executing fails with "chaincode
stream terminated". A build that fails prints the compiler's messages and leaves the running
chaincode as it was (or, when none runs, waits for the next change). SIGINT or SIGTERM stops
the chaincode and the command exits 0; without --watch it also ends, with the chaincode's exit
code, when the chaincode exits.

With PROGRAM (your built chaincode) it runs that with ARGS and the settings above appended,
prints that command line on stderr first, so you can run it by hand (under a debugger, too),
passes the output through, forwards SIGINT and SIGTERM and exits with the chaincode's exit
code (128+N when signal N ended it).

The chaincode address is --chaincode-address, else the one the peer running on --data-dir
wrote to ` + peersim.AddressFileName + ` there (so a peer on port 0 is found after every restart),
else ` + defaultChaincodeAddress + `. A production-mode peer is refused: it starts its chaincode itself.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := require([2]string{"-n (chaincode name)", f.name}, [2]string{"-v (chaincode version)", f.version}); err != nil {
				return err
			}
			switch {
			case f.path != "" && len(args) > 0:
				return fmt.Errorf("-p %s and PROGRAM %s both given: give -p to build the chaincode from its source, or the program to run", f.path, args[0])
			case f.path == "" && len(args) == 0:
				return errors.New("requires at least 1 arg(s), only received 0: give PROGRAM (your built chaincode), or -p DIR to build it from its source")
			case f.path == "" && cmd.Flags().Changed("watch"):
				return errors.New("--watch needs -p DIR: the source to watch and rebuild")
			case rf.interval <= 0:
				return fmt.Errorf("--watch-interval %s: must be positive", rf.interval)
			case rf.debounce < 0:
				return fmt.Errorf("--watch-debounce %s: must not be negative", rf.debounce)
			}
			if err := a.resolveDataDir(cmd, &f.client); err != nil {
				return err
			}
			target, err := a.chaincodeTarget(f.client.dataDir, rf.address, cmd.Flags().Changed("chaincode-address"))
			if err != nil {
				return err
			}
			if f.path != "" {
				return a.buildAndRunChaincode(cmd.Context(), target, f, rf)
			}
			return a.runChaincode(target, f.name+":"+f.version, args)
		},
	}
	nameFlag(cmd, &f.name)
	versionFlag(cmd, &f.version)
	cmd.Flags().StringVarP(&f.path, "path", "p", "", "build the chaincode from this directory (its main package, inside a Go module) instead of running PROGRAM")
	cmd.Flags().BoolVar(&rf.watch, "watch", false, "with -p: rebuild and restart the chaincode when its module's source changes")
	cmd.Flags().DurationVar(&rf.interval, "watch-interval", devrun.DefaultInterval, "with --watch: how often to look at the module's files")
	cmd.Flags().DurationVar(&rf.debounce, "watch-debounce", devrun.DefaultDebounce, "with --watch: how long the files must stay unchanged before a rebuild")
	cmd.Flags().StringVar(&rf.address, "chaincode-address", "", "the peer's chaincode address (default: from "+peersim.AddressFileName+" in --data-dir, else "+defaultChaincodeAddress+")")
	// Everything from PROGRAM on is the chaincode's, flags included.
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// buildAndRunChaincode is `chaincode run -p`: devrun builds and runs the
// chaincode, until the command is interrupted or, without --watch, the
// chaincode exits.
func (a *app) buildAndRunChaincode(ctx context.Context, t chaincodeTarget, f *chaincodeFlags, rf runFlags) error {
	fmt.Fprintf(a.stderr, "chaincode address %s (%s)\n", t.address, t.from)
	err := devrun.Run(ctx, devrun.Config{
		Dir:         f.path,
		Name:        f.name,
		Version:     f.version,
		PeerAddress: t.address,
		MSPID:       t.mspID,
		TLS:         devTLS(t.tls),
		Watch:       rf.watch,
		Interval:    rf.interval,
		Debounce:    rf.debounce,
		Env:         a.environ(),
	}, slog.New(newLineHandler(a.stderr)))
	if ee := (*devrun.ExitError)(nil); errors.As(err, &ee) {
		return &exitError{code: ee.Code, err: err}
	}
	return err
}

// chaincodeTarget is the peer a chaincode is run against.
type chaincodeTarget struct {
	address string
	from    string // where address came from, for the user
	mspID   string
	// tls is set when the peer's chaincode listener requires TLS: the
	// files its address file names.
	tls *peersim.DevTLSFiles
}

// chaincodeTarget finds the peer's chaincode address: the flag when given,
// else the address file of the peer running on dataDir, else the default.
// A peer whose file says it runs in production mode is refused.
func (a *app) chaincodeTarget(dataDir, flag string, flagGiven bool) (chaincodeTarget, error) {
	running, why, err := a.runningPeer(dataDir)
	if err != nil {
		return chaincodeTarget{}, err
	}
	t := chaincodeTarget{address: defaultChaincodeAddress, from: "the default: " + why, mspID: peersim.MSPID()}
	if running != nil {
		t.address = running.ChaincodeAddress
		t.from = fmt.Sprintf("from %s, written by the peer with pid %d", peersim.AddressFilePath(dataDir), running.PID)
		if running.MSPID != "" {
			t.mspID = running.MSPID
		}
		t.tls = running.ChaincodeTLS
	}
	if flagGiven {
		if flag == "" {
			return chaincodeTarget{}, errors.New("--chaincode-address is empty: give the peer's chaincode address, e.g. " + defaultChaincodeAddress)
		}
		if running == nil || flag != running.ChaincodeAddress {
			running = nil // another peer: what its file says does not apply
			t.tls = nil
		}
		t.address, t.from = flag, "given with --chaincode-address"
	}
	if running != nil && !running.Dev {
		return chaincodeTarget{}, fmt.Errorf("the peer at %s (pid %d, %s) runs in production mode: it builds and starts installed chaincode itself and admits no other process; install and instantiate the chaincode instead, or restart the peer with --dev",
			running.ChaincodeAddress, running.PID, peersim.AddressFilePath(dataDir))
	}
	return t, nil
}

// runChaincode runs program with the settings of a development-mode
// chaincode until it exits, forwarding SIGINT and SIGTERM to it.
func (a *app) runChaincode(t chaincodeTarget, ccid string, program []string) error {
	tls := []string{"CORE_PEER_TLS_ENABLED=false"}
	if t.tls != nil {
		tls = t.tls.Env()
	}
	env := append(append([]string{
		"CORE_ID_CHAINCODE_NAME=" + ccid,
		"CORE_CHAINCODE_ID_NAME=" + ccid,
	}, tls...), "CORE_PEER_LOCALMSPID="+t.mspID)
	args := append(program[1:len(program):len(program)], "-peer.address", t.address)
	fmt.Fprintf(a.stderr, "chaincode address %s (%s); running:\n%s\n", t.address, t.from, commandLine(env, program[0], args))

	c := exec.Command(program[0], args...)
	c.Env = append(a.environ(), env...) // the last of a name wins
	c.Stdout, c.Stderr = a.stdout, a.stderr
	sigs := make(chan os.Signal, 2)
	stop := a.signals(sigs) // before Start: no signal is missed
	defer stop()
	if err := c.Start(); err != nil {
		return fmt.Errorf("start chaincode %s: %w", program[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	for {
		select {
		case sig := <-sigs:
			if err := c.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
				c.Process.Kill() // no such signal here (Windows)
			}
		case err := <-done:
			return chaincodeExit(ccid, c.ProcessState, err)
		}
	}
}

// devTLS is the part of the peer's TLS files devrun reads, or nil.
func devTLS(f *peersim.DevTLSFiles) *devrun.TLS {
	if f == nil {
		return nil
	}
	return &devrun.TLS{RootCertFile: f.RootCert, ClientCertFile: f.ClientCert, ClientKeyFile: f.ClientKey}
}

// chaincodeExit turns the end of the chaincode process into the command's
// outcome: nil for exit 0, else an exitError with the code to exit with.
func chaincodeExit(ccid string, st *os.ProcessState, err error) error {
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return fmt.Errorf("wait for chaincode %s: %w", ccid, err)
	}
	if st.Success() {
		return nil
	}
	code := st.ExitCode()
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	return &exitError{code: code, err: fmt.Errorf("chaincode %s (pid %d) ended: %s", ccid, st.Pid(), st)}
}

// exitError makes the command exit with code after printing err.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// commandLine is env, program and args as a POSIX shell line.
func commandLine(env []string, program string, args []string) string {
	words := make([]string, 0, len(env)+1+len(args))
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		words = append(words, name+"="+shellQuote(value))
	}
	words = append(words, shellQuote(program))
	for _, arg := range args {
		words = append(words, shellQuote(arg))
	}
	return strings.Join(words, " ")
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:/@%+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
