package peersim

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/launcher"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// TestProductionEachOrganisationRunsItsOwnChaincodeProcess checks that a
// production-mode peer of two organisations, with chaincode TLS, runs a
// process of the chaincode for each, as each organisation's peer does on
// a Fabric network: shim.GetMSPID answers the organisation of the peer
// that runs it (what fabric-samples' private-data chaincode compares with
// the client's organisation), in its determinism-check twin too; both
// processes and their twins are listed, a transaction both endorse
// commits VALID, and Stop stops them all.
func TestProductionEachOrganisationRunsItsOwnChaincodeProcess(t *testing.T) {
	dir := t.TempDir()
	pkg := helperChaincodePackage(t, dir, "orgs", "1.0", "")
	n := startProd(t, dir, true, func(c *Config) {
		c.Orgs = []string{"Org1MSP", "Org2MSP"}
		c.CheckDeterminism = true // the twins must answer as their primaries
	})
	n.installOK(t, "orgs", "1.0", pkg)
	if resp, code := n.deployWithPolicy(t, n.admin, "AND('Org1MSP.peer', 'Org2MSP.peer')", "deploy", DefaultChannel, "orgs", "1.0"); code != peer.TxValidationCode_VALID {
		t.Fatalf("deploy: %q, %v", resp.GetResponse().GetMessage(), code)
	}
	const primaryID = "orgs:1.0"
	org2ID := launcher.OrgInstanceOf(primaryID, "Org2MSP")
	ids := []string{primaryID, launcher.TwinOf(primaryID), org2ID, launcher.TwinOf(org2ID)}

	t.Run("GetMSPID answers the organisation of the peer that runs the chaincode", func(t *testing.T) {
		tests := []struct{ org, want string }{
			{"Org1MSP", "Org1MSP"},
			{"Org2MSP", "Org2MSP"},
		}
		for _, tt := range tests {
			_, resps := n.endorseOn(t, n.user, invocation(DefaultChannel, "orgs", "mspid"), tt.org)
			r := resps[0].GetResponse()
			if r.GetStatus() != 200 || string(r.GetPayload()) != tt.want {
				t.Errorf("mspid on %s's peer: %d %q %q, want %q", tt.org, r.GetStatus(), r.GetMessage(), r.GetPayload(), tt.want)
			}
		}
	})

	t.Run("each organisation's process and its twin are listed", func(t *testing.T) {
		primary, org2 := n.running(t, primaryID), n.running(t, org2ID)
		if primary.PID == 0 || org2.PID == 0 || primary.PID == org2.PID {
			t.Fatalf("%s runs as %+v and %s as %+v: want two processes", primaryID, primary, org2ID, org2)
		}
		resp, _, _ := n.propose(t, n.user, invocation("", psccName, "ListRunning"))
		var running []launcher.Running
		if err := json.Unmarshal(resp.GetResponse().GetPayload(), &running); err != nil {
			t.Fatalf("ListRunning %q: %v (%s)", resp.GetResponse().GetPayload(), err, resp.GetResponse().GetMessage())
		}
		var got []string
		for _, r := range running {
			got = append(got, r.CCID+" "+strings.Join(r.Channels, ","))
		}
		var want []string
		for _, id := range ids {
			want = append(want, id+" "+DefaultChannel)
		}
		if !slices.Equal(got, want) {
			t.Errorf("ListRunning lists %q, want %q", got, want)
		}
	})

	t.Run("a transaction both organisations endorse commits valid", func(t *testing.T) {
		prop, resps := n.endorseOn(t, n.user, invocation(DefaultChannel, "orgs", "set", "k", "v"), "Org1MSP", "Org2MSP")
		if code := n.submitAll(t, n.user, DefaultChannel, prop, resps); code != peer.TxValidationCode_VALID {
			t.Fatalf("set endorsed by both: %v, want VALID", code)
		}
	})

	var pids []int
	for _, id := range ids {
		pids = append(pids, n.running(t, id).PID)
	}
	n.stop()
	for _, pid := range pids {
		if !processGone(pid) {
			t.Errorf("process %d still running after the peer stopped", pid)
		}
	}
}
