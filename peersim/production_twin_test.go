package peersim

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the twin's TZ loads in the helper chaincode even without the system's zoneinfo

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
	ckshim "github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// helperChaincodeEnv makes the test binary run helperChaincodeMain: the
// go-plugin pattern, re-executing the test binary as the chaincode
// instead of building one.
const helperChaincodeEnv = "PEERSIM_TEST_HELPER_CHAINCODE"

// helperChaincodeMain serves processCC with the shim, as a chaincode
// binary's main does.
func helperChaincodeMain() int {
	if err := ckshim.Start(processCC{}); err != nil {
		fmt.Fprintln(os.Stderr, "helper chaincode:", err)
		return 1
	}
	return 0
}

// processCC is a chaincode whose "stamp" depends on the process it runs
// in: it writes its pid and its local time zone's name. "set" is
// deterministic. "mspid" answers shim.GetMSPID: the organisation the
// process runs for.
type processCC struct{}

func (processCC) Init(ckshim.ChaincodeStubInterface) *peer.Response { return ckshim.Success(nil) }

func (processCC) Invoke(stub ckshim.ChaincodeStubInterface) *peer.Response {
	fn, a := stub.GetFunctionAndParameters()
	switch {
	case fn == "set" && len(a) == 2:
		if err := stub.PutState(a[0], []byte(a[1])); err != nil {
			return ckshim.Error(err.Error())
		}
		return ckshim.Success(nil)
	case fn == "stamp":
		zone, _ := time.Now().Zone()
		if err := stub.PutState("pid", []byte(strconv.Itoa(os.Getpid()))); err != nil {
			return ckshim.Error(err.Error())
		}
		if err := stub.PutState("zone", []byte(zone)); err != nil {
			return ckshim.Error(err.Error())
		}
		return ckshim.Success(nil)
	case fn == "mspid":
		id, err := ckshim.GetMSPID()
		if err != nil {
			return ckshim.Error(err.Error())
		}
		return ckshim.Success([]byte(id))
	}
	return ckshim.Error("unknown function " + fn)
}

// helperChaincodePackage returns a tiny Go package labelled name_version
// whose cached build in dataDir is a script that runs this test binary as
// processCC: launching it compiles nothing. prelude is shell code the
// script runs first.
func helperChaincodePackage(t testing.TB, dataDir, name, version, prelude string) []byte {
	t.Helper()
	raw := packageBytes(t, name, version)
	pkg, err := ccpackage.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	info, err := json.Marshal(map[string]string{"builder_name": "golang", "package_id": pkg.ID()})
	if err != nil {
		t.Fatal(err)
	}
	// GORACE: a race-enabled binary would otherwise sleep a second at exit.
	script := fmt.Sprintf("#!/bin/sh\n%s\n%s=1 GORACE=atexit_sleep_ms=0 exec '%s' \"$@\"\n", prelude, helperChaincodeEnv, exe)
	dir := filepath.Join(dataDir, "builds", pkg.ID())
	writeFiles(t, dir, 0o644, map[string]string{"build-info.json": string(info)})
	writeFiles(t, dir, 0o755, map[string]string{"chaincode": script})
	return raw
}

// TestProductionDeterminismCheckRunsOnATwinProcess checks every proposal
// for determinism on a production-mode peer with chaincode TLS: the
// second simulation runs on a twin process of the package, so a result
// that depends on the process (its pid, its TZ) is refused with a diff
// naming the keys, while a deterministic call is endorsed; the twin is
// listed, stops when its primary stops, and is gone once the peer stops.
func TestProductionDeterminismCheckRunsOnATwinProcess(t *testing.T) {
	dir := t.TempDir()
	pkg := helperChaincodePackage(t, dir, "twin", "1.0", "")
	// broken's twin exits at once.
	broken := helperChaincodePackage(t, dir, "broken", "1.0", `case "$CORE_CHAINCODE_ID_NAME" in *'#twin') exit 3;; esac`)
	n := startProd(t, dir, true, func(c *Config) { c.CheckDeterminism = true })
	n.installOK(t, "twin", "1.0", pkg)
	n.instantiate(t, DefaultChannel, "twin", "1.0")
	const primaryID = "twin:1.0"
	twinID := launcher.TwinOf(primaryID)

	setOK := func(t *testing.T, value string) {
		t.Helper()
		resp, code := n.invoke(t, n.user, DefaultChannel, "twin", "set", "k", value)
		if code != peer.TxValidationCode_VALID {
			t.Fatalf("checked set: %d %q, code %v; want it endorsed and valid", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), code)
		}
	}

	var twinPID int
	t.Run("a deterministic call passes, checked on a twin process", func(t *testing.T) {
		setOK(t, "v1")
		primary, twin := n.running(t, primaryID), n.running(t, twinID)
		if twin.PID == 0 || twin.PID == primary.PID {
			t.Fatalf("twin %+v, primary %+v: want two processes", twin, primary)
		}
		twinPID = twin.PID
		setOK(t, "v2")
		if got := n.running(t, twinID).PID; got != twinPID {
			t.Errorf("the second check ran on twin pid %d, want the first twin %d kept", got, twinPID)
		}
	})

	t.Run("a result that depends on the process is refused with a diff naming the keys", func(t *testing.T) {
		resp, _, _ := n.propose(t, n.user, identity.Invocation{ChannelID: DefaultChannel, Chaincode: "twin", Args: args("stamp")})
		msg := resp.GetResponse().GetMessage()
		if resp.GetResponse().GetStatus() != 500 || resp.GetEndorsement() != nil {
			t.Fatalf("stamp: %d %q, endorsed %v; want 500 and no endorsement", resp.GetResponse().GetStatus(), msg, resp.GetEndorsement() != nil)
		}
		for _, want := range []string{"nondeterministic chaincode:", `write twin key "pid"`, `write twin key "zone"`} {
			if !strings.Contains(msg, want) {
				t.Errorf("refusal %q does not contain %q", msg, want)
			}
		}
	})

	t.Run("the twin stops with its primary and comes back with the next check", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := n.p.launcher.Stop(ctx, primaryID); err != nil {
			t.Fatal(err)
		}
		// The registry stops the twin in the background once the primary
		// has exited: poll, with a deadline.
		deadline := time.Now().Add(waitLimit)
		for !processGone(twinPID) || slices.ContainsFunc(n.p.launcher.List(), func(r launcher.Running) bool { return r.CCID == twinID }) {
			if time.Now().After(deadline) {
				t.Fatalf("twin pid %d still running after its primary stopped: %+v", twinPID, n.p.launcher.List())
			}
			time.Sleep(5 * time.Millisecond) // polling with a deadline
		}
		setOK(t, "v3")
		if twinPID = n.running(t, twinID).PID; processGone(twinPID) {
			t.Fatalf("the relaunched twin %d is not running", twinPID)
		}
	})

	t.Run("a twin that cannot start fails the check", func(t *testing.T) {
		n.installOK(t, "broken", "1.0", broken)
		n.instantiate(t, DefaultChannel, "broken", "1.0")
		resp, _ := n.invoke(t, n.user, DefaultChannel, "broken", "set", "k", "v")
		msg := resp.GetResponse().GetMessage()
		want := "start a second instance of chaincode broken:1.0: could not launch chaincode broken:1.0#twin: chaincode registration failed: container exited with 3"
		if resp.GetResponse().GetStatus() != 500 || resp.GetEndorsement() != nil || !strings.Contains(msg, want) {
			t.Errorf("set on broken: %d %q, endorsed %v; want 500 saying %q", resp.GetResponse().GetStatus(), msg, resp.GetEndorsement() != nil, want)
		}
	})

	primaryPID := n.running(t, primaryID).PID
	n.stop()
	for _, pid := range []int{primaryPID, twinPID} {
		if !processGone(pid) {
			t.Errorf("process %d still running after the peer stopped", pid)
		}
	}
}
