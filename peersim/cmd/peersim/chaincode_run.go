package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/chaincodekit/chaincodekit/peersim"
)

// defaultChaincodeAddress is where a peer started with the defaults lets
// chaincode connect.
const defaultChaincodeAddress = "127.0.0.1:7052"

func newChaincodeRunCommand(a *app, f *chaincodeFlags) *cobra.Command {
	var address string
	cmd := &cobra.Command{
		Use:   "run -n NAME -v VERSION [--chaincode-address HOST:PORT] [--] PROGRAM [ARGS...]",
		Short: "Run your chaincode against a development-mode peer, with the settings of Fabric's dev-mode guide",
		Long: `Runs PROGRAM (your built chaincode) as a development-mode peer expects it: with
CORE_ID_CHAINCODE_NAME and CORE_CHAINCODE_ID_NAME set to NAME:VERSION, CORE_PEER_TLS_ENABLED=false,
CORE_PEER_LOCALMSPID set to the peer's MSP ID and -peer.address set to the peer's chaincode
address, appended to ARGS. It prints that command line on stderr first, so you can run it
by hand, passes the output through, forwards SIGINT and SIGTERM and exits with the
chaincode's exit code (128+N when signal N ended it).

The chaincode address is --chaincode-address, else the one the peer running on --data-dir
wrote to ` + peersim.AddressFileName + ` there (so a peer on port 0 is found after every restart),
else ` + defaultChaincodeAddress + `. A production-mode peer is refused: it starts its chaincode itself.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := require([2]string{"-n (chaincode name)", f.name}, [2]string{"-v (chaincode version)", f.version}); err != nil {
				return err
			}
			if err := a.resolveDataDir(cmd, &f.client); err != nil {
				return err
			}
			target, err := a.chaincodeTarget(f.client.dataDir, address, cmd.Flags().Changed("chaincode-address"))
			if err != nil {
				return err
			}
			return a.runChaincode(target, f.name+":"+f.version, args)
		},
	}
	nameFlag(cmd, &f.name)
	versionFlag(cmd, &f.version)
	cmd.Flags().StringVar(&address, "chaincode-address", "", "the peer's chaincode address (default: from "+peersim.AddressFileName+" in --data-dir, else "+defaultChaincodeAddress+")")
	// Everything from PROGRAM on is the chaincode's, flags included.
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// chaincodeTarget is the peer a chaincode is run against.
type chaincodeTarget struct {
	address string
	from    string // where address came from, for the user
	mspID   string
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
	}
	if flagGiven {
		if flag == "" {
			return chaincodeTarget{}, errors.New("--chaincode-address is empty: give the peer's chaincode address, e.g. " + defaultChaincodeAddress)
		}
		if running == nil || flag != running.ChaincodeAddress {
			running = nil // another peer: what its file says does not apply
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
	env := []string{
		"CORE_ID_CHAINCODE_NAME=" + ccid,
		"CORE_CHAINCODE_ID_NAME=" + ccid,
		"CORE_PEER_TLS_ENABLED=false",
		"CORE_PEER_LOCALMSPID=" + t.mspID,
	}
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
