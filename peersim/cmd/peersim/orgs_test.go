package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/chaincodekit/chaincodekit/peersim"
	"github.com/chaincodekit/chaincodekit/shim"
)

// connectChaincode connects cc as ccid to the chaincode address of a
// development-mode peer, as a developer starts chaincode in a terminal of
// their own; it is stopped when the test ends.
func connectChaincode(t *testing.T, address, ccid string, cc shim.Chaincode) {
	t.Helper()
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	registerChaincode(t, conn, ccid, cc)
}

// registerChaincode runs cc on conn's ChaincodeSupport as ccid until the
// test ends, then closes conn; the channel gets the stream's end.
func registerChaincode(t *testing.T, conn *grpc.ClientConn, ccid string, cc shim.Chaincode) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := peer.NewChaincodeSupportClient(conn).Register(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- shim.StartInProc(ccid, stream, cc) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-ended:
		case <-time.After(waitLimit):
			t.Errorf("chaincode %s did not stop", ccid)
		}
		conn.Close()
	})
	return ended
}

// twoOrgs is `peersim node start --orgs Org1MSP,Org2MSP` in development
// mode on ports 0, and the CLI of a user of its data directory, which
// records the addresses each command dials.
type twoOrgs struct {
	t            *testing.T
	node         *node
	dir          string
	file         peersim.AddressFile
	addr1, addr2 string

	mu     sync.Mutex
	dialed []string
}

func startTwoOrgs(t *testing.T) *twoOrgs {
	t.Helper()
	dir := t.TempDir()
	n := startNode(t, "--dev", "--ledger", "memory", "--data-dir", dir, "--orgs", "Org1MSP,Org2MSP",
		"--address", "127.0.0.1:0", "--chaincode-address", "127.0.0.1:0", "--operations-address", "127.0.0.1:0")
	file, err := peersim.ReadAddressFile(dir)
	if err != nil {
		t.Fatalf("the address file: %v\n%s", err, n.stderr)
	}
	addr1, ok1 := file.OrgAddress("Org1MSP")
	addr2, ok2 := file.OrgAddress("Org2MSP")
	if !ok1 || !ok2 || addr1 != file.Address || addr1 == addr2 || strings.HasSuffix(addr2, ":0") {
		t.Fatalf("address file %+v: want Org1MSP at the client address and Org2MSP at its own bound address", file)
	}
	return &twoOrgs{t: t, node: n, dir: dir, file: file, addr1: addr1, addr2: addr2}
}

func (o *twoOrgs) cli(args ...string) result {
	return runCLI(context.Background(), nil, func(a *app) {
		a.lookupEnv = onlyDataDir(o.dir)
		dial := a.dial
		a.dial = func(addr string) (*grpc.ClientConn, error) {
			o.mu.Lock()
			o.dialed = append(o.dialed, addr)
			o.mu.Unlock()
			return dial(addr)
		}
	}, args...)
}

func (o *twoOrgs) ok(args ...string) result {
	o.t.Helper()
	return o.cli(args...).mustSucceed(o.t, args...)
}

// dials runs the command, which must succeed, and returns the addresses
// it dialled.
func (o *twoOrgs) dials(args ...string) []string {
	o.t.Helper()
	o.mu.Lock()
	o.dialed = nil
	o.mu.Unlock()
	o.ok(args...)
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.dialed...)
}

// fails runs the command and checks it fails saying want.
func (o *twoOrgs) fails(want string, args ...string) result {
	o.t.Helper()
	r := o.cli(args...)
	if r.code == exitOK || !strings.Contains(r.stderr, want) {
		o.t.Errorf("peersim %s: exit %d, stderr %q; want a failure saying %q", strings.Join(args, " "), r.code, r.stderr, want)
	}
	return r
}

// waitForChaincode queries chaincode name on channel until it answers,
// as a user who just started it would: a _lifecycle chaincode that is
// not connected yet fails at once.
func (o *twoOrgs) waitForChaincode(channel, name string) {
	o.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		r := o.cli("chaincode", "query", "-C", channel, "-n", name, "-c", `{"Args":["get","nothing"]}`)
		if r.code == exitOK {
			return
		}
		if time.Now().After(deadline) {
			o.t.Fatalf("chaincode %s on %s did not answer within %s: %s", name, channel, waitLimit, r.stderr)
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}
}

// TestTwoOrganisationsThroughTheCLI runs `node start --orgs
// Org1MSP,Org2MSP` and uses each organisation: its address, its
// identities, Fabric's CLI settings, channels of chosen members, and an
// AND('Org1MSP.peer','Org2MSP.peer') chaincode endorsed by both or one.
func TestTwoOrganisationsThroughTheCLI(t *testing.T) {
	o := startTwoOrgs(t)
	if logs := o.node.stderr.String(); !strings.Contains(logs, "msp_id=Org2MSP client="+o.addr2) || !strings.Contains(logs, "msp_id=Org1MSP client="+o.addr1) {
		t.Errorf("node start's log does not list each organisation's address:\n%s", logs)
	}

	// env: Fabric's CLI as Org2.
	msp2, err := peersim.IdentityMSPDirOf(o.dir, "Org2MSP", "Admin")
	if err != nil {
		t.Fatal(err)
	}
	env2 := o.ok("env", "--org", "Org2MSP").stdout
	for _, want := range []string{"export CORE_PEER_ADDRESS=" + o.addr2 + "\n", "export CORE_PEER_LOCALMSPID=Org2MSP\n",
		"export CORE_PEER_MSPCONFIGPATH=" + shellQuote(msp2) + "\n", "export ORDERER_ADDRESS=" + o.addr2 + "\n", "export FABRIC_CFG_PATH=" + shellQuote(o.dir) + "\n"} {
		if !strings.Contains(env2, want) {
			t.Errorf("env --org Org2MSP printed\n%s\nwant the line %q", env2, want)
		}
	}
	if env1 := o.ok("env").stdout; !strings.Contains(env1, "CORE_PEER_ADDRESS="+o.addr1+"\n") || !strings.Contains(env1, "CORE_PEER_LOCALMSPID=Org1MSP\n") {
		t.Errorf("env without --org printed\n%s\nwant Org1MSP's", env1)
	}
	o.fails("its organisations are Org1MSP, Org2MSP", "env", "--org", "Org3MSP")

	// Identities per organisation.
	o.ok("identity", "add", "Auditor", "--org", "Org2MSP")
	if got := o.ok("identity", "list", "--org", "Org2MSP").stdout; !strings.Contains(got, "Auditor\n") {
		t.Errorf("identity list --org Org2MSP = %q, want Auditor in it", got)
	}
	if got := o.ok("identity", "list").stdout; strings.Contains(got, "Auditor") {
		t.Errorf("identity list (Org1MSP) = %q: Auditor is Org2MSP's", got)
	}
	o.fails("its organisations are Org1MSP, Org2MSP", "channel", "list", "--org", "Org3MSP")
	o.fails("its organisations are Org1MSP, Org2MSP", "identity", "add", "Bob", "--org", "Org3MSP")
	o.fails(`unknown identity "Auditor"`, "channel", "list", "--identity", "Auditor")
	o.fails("its organisations are Org1MSP, Org2MSP", "identity", "add", "Eve", "--org", "ORG2MSP")
	if got := o.dials("channel", "list", "--org", "Org2MSP", "--identity", "Auditor"); len(got) != 1 || got[0] != o.addr2 {
		t.Errorf("channel list --org Org2MSP dialled %v, want only %s", got, o.addr2)
	}

	// An admin of Org1MSP on Org2MSP's peer gets Fabric's refusal and a hint.
	if r := o.fails("not of the peer's organisation Org2MSP", "lifecycle", "chaincode", "queryinstalled", "--org", "Org1MSP", "--peer-address", o.addr2); !strings.Contains(r.stderr, "Hint: each organisation's peer takes its own organisation's admin: act as that organisation with --org MSPID") {
		t.Errorf("queryinstalled as Org1MSP's admin on Org2MSP's peer: stderr %q, want the hint about --org", r.stderr)
	}

	// Channels with member organisations: a policy over the members.
	o.fails("--orgs is empty", "channel", "create", "-c", "nobody", "--orgs", "")
	o.fails(`organisation "Org2MSP" is listed twice`, "channel", "create", "-c", "twice", "--orgs", "Org2MSP,Org2MSP")
	o.ok("channel", "create", "-c", "both", "--orgs", "Org1MSP,Org2MSP")
	o.ok("channel", "create", "-c", "solo", "--orgs", "Org1MSP")
	if got := o.ok("channel", "list").stdout; !strings.Contains(got, "both\n") || !strings.Contains(got, "solo\n") {
		t.Errorf("channel list = %q, want both and solo", got)
	}
	readiness := func(channel string) string {
		return o.ok("lifecycle", "chaincode", "checkcommitreadiness", "-C", channel, "-n", "x", "-v", "1", "--sequence", "1").stdout
	}
	if got := readiness("solo"); !strings.HasSuffix(got, "approval status by org:\nOrg1MSP: false\n") {
		t.Errorf("checkcommitreadiness on solo (member Org1MSP only) printed %q", got)
	}
	if got := readiness("both"); !strings.HasSuffix(got, "approval status by org:\nOrg1MSP: false\nOrg2MSP: false\n") {
		t.Errorf("checkcommitreadiness on both printed %q", got)
	}

	// A chaincode whose policy needs both organisations' peers (the
	// legacy lifecycle: one organisation instantiates it).
	o.ok("chaincode", "install", "-n", "kv", "-v", "1.0", "-p", chaincodeDir(t))
	connectChaincode(t, o.file.ChaincodeAddress, "kv:1.0", testChaincode{})
	got := o.dials("chaincode", "instantiate", "-C", "both", "-n", "kv", "-v", "1.0", "-c", `{"Args":["init"]}`, "-P", "AND('Org1MSP.peer','Org2MSP.peer')",
		"--endorsing-orgs", "Org1MSP,Org2MSP")
	if len(got) != 2 || got[0] != o.addr1 || got[1] != o.addr2 {
		t.Errorf("instantiate --endorsing-orgs Org1MSP,Org2MSP dialled %v, want %s and %s", got, o.addr1, o.addr2)
	}
	invoke := func(extra ...string) []string {
		return append([]string{"chaincode", "invoke", "-C", "both", "-n", "kv"}, extra...)
	}
	got = o.dials(invoke("-c", `{"Args":["put","k","both"]}`, "--endorsing-orgs", "Org1MSP,Org2MSP")...)
	if len(got) != 2 || got[0] != o.addr1 || got[1] != o.addr2 {
		t.Errorf("invoke --endorsing-orgs Org1MSP,Org2MSP dialled %v, want %s and %s", got, o.addr1, o.addr2)
	}
	r := o.fails("ENDORSEMENT_POLICY_FAILURE", invoke("-c", `{"Args":["put","k","one"]}`)...)
	if !strings.Contains(r.stderr, "validation code: ENDORSEMENT_POLICY_FAILURE") {
		t.Errorf("invoke endorsed by Org1 alone: stderr %q, want the invalid code", r.stderr)
	}
	o.fails("ENDORSEMENT_POLICY_FAILURE", invoke("-c", `{"Args":["put","k","two"]}`, "--org", "Org2MSP", "--endorsing-orgs", "Org2MSP")...)
	o.fails("its organisations are Org1MSP, Org2MSP", invoke("-c", `{"Args":["put","k","three"]}`, "--endorsing-orgs", "Org1MSP,Org9MSP")...)
	for _, org := range []string{"Org1MSP", "Org2MSP"} {
		if got := o.ok("chaincode", "query", "-C", "both", "-n", "kv", "-c", `{"Args":["get","k"]}`, "--org", org).stdout; got != "both\n" {
			t.Errorf("query as %s = %q, want the value endorsed by both", org, got)
		}
	}
}

// TestTwoOrganisationsLifecycleThroughTheCLI drives Fabric 2.x's lifecycle
// as the two organisations: each approves on its own peer, and the commit
// needs both (the majority of two).
func TestTwoOrganisationsLifecycleThroughTheCLI(t *testing.T) {
	o := startTwoOrgs(t)
	o.ok("channel", "create", "-c", "both", "--orgs", "Org1MSP,Org2MSP")
	pkg := filepath.Join(t.TempDir(), "kv.tar.gz")
	o.ok("lifecycle", "chaincode", "package", pkg, "--path", chaincodeDir(t), "--label", "kv_1")
	m := regexp.MustCompile(`identifier: (kv_1:[0-9a-f]{64})\n`).FindStringSubmatch(o.ok("lifecycle", "chaincode", "install", pkg).stdout)
	if m == nil {
		t.Fatal("install printed no package identifier")
	}
	id := m[1]
	def := func(op string, extra ...string) []string {
		return append([]string{"lifecycle", "chaincode", op, "-C", "both", "-n", "kv", "-v", "1.0", "--sequence", "1",
			"--signature-policy", "AND('Org1MSP.peer','Org2MSP.peer')"}, extra...)
	}
	readiness := func() string { return o.ok(def("checkcommitreadiness")...).stdout }

	approve := def("approveformyorg", "--package-id", id, "--org", "Org1MSP")
	o.mu.Lock()
	o.dialed = nil
	o.mu.Unlock()
	r := o.cli(approve...)
	r.mustSucceed(t, approve...)
	if got := o.dialed; len(got) != 1 || got[0] != o.addr1 {
		t.Errorf("approveformyorg --org Org1MSP dialled %v, want %s", got, o.addr1)
	}
	if got := readiness(); !strings.HasSuffix(got, "approval status by org:\nOrg1MSP: true\nOrg2MSP: false\n") {
		t.Errorf("checkcommitreadiness after Org1's approval printed %q", got)
	}
	if got := o.dials(def("approveformyorg", "--package-id", id, "--org", "Org2MSP")...); len(got) != 1 || got[0] != o.addr2 {
		t.Errorf("approveformyorg --org Org2MSP dialled %v, want %s", got, o.addr2)
	}
	if got := readiness(); !strings.HasSuffix(got, "approval status by org:\nOrg1MSP: true\nOrg2MSP: true\n") {
		t.Errorf("checkcommitreadiness after both approvals printed %q", got)
	}
	// The majority of two organisations is both.
	o.fails("ENDORSEMENT_POLICY_FAILURE", def("commit")...)
	got := o.dials(def("commit", "--endorsing-orgs", "Org1MSP,Org2MSP")...)
	if len(got) != 2 || got[0] != o.addr1 || got[1] != o.addr2 {
		t.Errorf("commit --endorsing-orgs Org1MSP,Org2MSP dialled %v, want %s and %s", got, o.addr1, o.addr2)
	}
	if got := o.ok("lifecycle", "chaincode", "querycommitted", "-C", "both", "-n", "kv").stdout; !strings.Contains(got, "Approvals: [Org1MSP: true, Org2MSP: true]") {
		t.Errorf("querycommitted printed %q", got)
	}

	connectChaincode(t, o.file.ChaincodeAddress, id, testChaincode{})
	o.waitForChaincode("both", "kv")
	invoke := func(extra ...string) []string {
		return append([]string{"chaincode", "invoke", "-C", "both", "-n", "kv"}, extra...)
	}
	if got := o.ok(invoke("-c", `{"Args":["put","k","both"]}`, "--endorsing-orgs", "Org1MSP,Org2MSP")...).stdout; got != "stored k\n" {
		t.Errorf("invoke endorsed by both printed %q, want stored k", got)
	}
	o.fails("ENDORSEMENT_POLICY_FAILURE", invoke("-c", `{"Args":["put","k","one"]}`)...)
	if got := o.ok("chaincode", "query", "-C", "both", "-n", "kv", "-c", `{"Args":["get","k"]}`, "--org", "Org2MSP").stdout; got != "both\n" {
		t.Errorf("query as Org2MSP = %q, want the value endorsed by both", got)
	}
}

func TestOrgChoosesTheAddressAndEndorsingOrgsTheEndorsers(t *testing.T) {
	live := peersim.AddressFile{Address: "127.0.0.1:40001", ChaincodeAddress: "127.0.0.1:40002", PID: os.Getpid(), Dev: true, MSPID: "Org1MSP",
		Orgs: []peersim.OrgAddress{{MSPID: "Org1MSP", Address: "127.0.0.1:40001"}, {MSPID: "Org2MSP", Address: "127.0.0.1:42001"}}}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		file *peersim.AddressFile
		// want is the peer address and org, endorsers the endorsing
		// addresses; wantErr a substring of the error instead.
		want, org string
		endorsers []string
		wantErr   string
	}{
		{name: "without --org the first organisation", file: &live, want: "127.0.0.1:40001", org: "Org1MSP"},
		{name: "--org dials its organisation's address", args: []string{"--org", "Org2MSP"}, file: &live, want: "127.0.0.1:42001", org: "Org2MSP"},
		{name: "--org wins over the environment", env: map[string]string{envPeerAddress: "10.0.0.1:7051"}, args: []string{"--org", "Org2MSP"}, file: &live, want: "127.0.0.1:42001", org: "Org2MSP"},
		{name: "--peer-address wins over --org", args: []string{"--org", "Org2MSP", "--peer-address", "10.0.0.2:7051"}, file: &live, want: "10.0.0.2:7051", org: "Org2MSP"},
		{name: "an unknown --org lists the peer's", args: []string{"--org", "Org3MSP"}, file: &live, wantErr: "--org Org3MSP: the peer running on DIR does not play organisation Org3MSP: its organisations are Org1MSP, Org2MSP"},
		{name: "another --org without a running peer says how to find it", args: []string{"--org", "Org2MSP"}, wantErr: "--org Org2MSP: no running peer tells its address"},
		{name: "--org Org1MSP without a running peer is the default address", args: []string{"--org", "Org1MSP"}, want: defaultPeerAddress, org: "Org1MSP"},
		{name: "--endorsing-orgs gives the endorsers' addresses", args: []string{"--endorsing-orgs", "Org1MSP,Org2MSP"}, file: &live, want: "127.0.0.1:40001", org: "Org1MSP", endorsers: []string{"127.0.0.1:40001", "127.0.0.1:42001"}},
		{name: "an unknown endorsing organisation lists the peer's", args: []string{"--endorsing-orgs", "Org2MSP,Org5MSP"}, file: &live, wantErr: "--endorsing-orgs Org5MSP: the peer running on DIR does not play organisation Org5MSP"},
		{name: "an endorsing organisation given twice is refused", args: []string{"--endorsing-orgs", "Org2MSP,Org2MSP"}, file: &live, wantErr: "organisation Org2MSP is given twice"},
		{name: "--endorsing-orgs needs a running peer", args: []string{"--endorsing-orgs", "Org1MSP"}, wantErr: "--endorsing-orgs Org1MSP: no running peer tells the organisations' addresses"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != nil {
				writeAddressFile(t, dir, *tt.file)
			}
			a := newApp(&bytes.Buffer{}, &bytes.Buffer{})
			a.lookupEnv = func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			var f clientFlags
			cmd := &cobra.Command{Use: "test"}
			addClientFlags(cmd, &f, true)
			endorsingOrgsFlag(cmd, &f)
			if err := cmd.ParseFlags(append([]string{"--data-dir", dir}, tt.args...)); err != nil {
				t.Fatal(err)
			}
			err := a.resolve(cmd, &f)
			if tt.wantErr != "" {
				if want := strings.ReplaceAll(tt.wantErr, "DIR", dir); err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("resolve error = %v, want one saying %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.peerAddress != tt.want || f.org != tt.org || strings.Join(f.endorserAddresses, ",") != strings.Join(tt.endorsers, ",") {
				t.Errorf("resolved address %q, org %q, endorsers %v; want %q, %q, %v", f.peerAddress, f.org, f.endorserAddresses, tt.want, tt.org, tt.endorsers)
			}
		})
	}
}
