package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
)

// recordingEndorser records each proposal's invocation spec and answers
// with payload(spec).
func recordingEndorser(org *identity.Org, specs *[]*identity.UnpackedProposal, payload func(*identity.UnpackedProposal) []byte) *stubEndorser {
	return &stubEndorser{processProposal: func(ctx context.Context, sp *peer.SignedProposal) (*peer.ProposalResponse, error) {
		up, err := identity.UnpackProposal(sp)
		if err != nil {
			return nil, err
		}
		*specs = append(*specs, up)
		return endorseWith(org, 200, "", payload(up))(ctx, sp)
	}}
}

func packageForTest(t *testing.T) []byte {
	t.Helper()
	pkg, err := ccpackage.Pack(ccpackage.PackOptions{Dir: chaincodeSource(t), Label: ccpackage.Label("basic", "1.0")})
	if err != nil {
		t.Fatalf("pack: %v", err)
	}
	return pkg
}

// chaincodeSource writes a Go chaincode module and returns its directory.
func chaincodeSource(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":  "module example.com/cc\n\ngo 1.22\n",
		"main.go": "package main\n\nfunc main() {}\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPackageChaincodePacksTheModuleAsNameVersionAndPackageIDNamesIt(t *testing.T) {
	dir := chaincodeSource(t)
	pkg, err := PackageChaincode("basic", "1.0", dir)
	if err != nil {
		t.Fatalf("PackageChaincode: %v", err)
	}
	want, err := ccpackage.Pack(ccpackage.PackOptions{Dir: dir, Label: "basic_1.0"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pkg, want) {
		t.Error("PackageChaincode gave other bytes than ccpackage.Pack with the label basic_1.0")
	}
	id, err := PackageID(pkg)
	if err != nil {
		t.Fatalf("PackageID: %v", err)
	}
	sum := sha256.Sum256(pkg)
	if wantID := "basic_1.0:" + hex.EncodeToString(sum[:]); id != wantID {
		t.Errorf("PackageID = %q, want %q", id, wantID)
	}
}

func TestPackageChaincodeChecksTheNameAndVersionFirst(t *testing.T) {
	src := chaincodeSource(t)
	missing := filepath.Join(src, "missing")
	for _, tc := range []struct {
		name, ccName, version, dir string
		want                       error // nil: blames neither the name nor the version
	}{
		{"a bad name is refused as a name", "bad name", "1.0", src, ErrInvalidChaincodeName},
		{"a bad version is refused as a version", "basic", "1 0", src, ErrInvalidChaincodeVersion},
		{"a bad name is refused before a missing directory", "bad name", "1.0", missing, ErrInvalidChaincodeName},
		{"a missing directory is neither", "basic", "1.0", missing, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PackageChaincode(tc.ccName, tc.version, tc.dir)
			switch {
			case err == nil:
				t.Fatal("PackageChaincode succeeded")
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("error %q does not wrap %q", err, tc.want)
			case tc.want == nil && (errors.Is(err, ErrInvalidChaincodeName) || errors.Is(err, ErrInvalidChaincodeVersion)):
				t.Errorf("error %q blames the name or version", err)
			}
		})
	}
}

func TestPackageIDRefusesWhatIsNotAPackage(t *testing.T) {
	if _, err := PackageID([]byte("not a package")); !errors.Is(err, ccpackage.ErrCorrupt) {
		t.Errorf("PackageID of garbage: %v, want an error wrapping %v", err, ccpackage.ErrCorrupt)
	}
}

func TestInstallSendsTheDeploymentSpecToLSCC(t *testing.T) {
	org := newOrg(t)
	pkg := packageForTest(t)
	var seen []*identity.UnpackedProposal
	e := recordingEndorser(org, &seen, func(*identity.UnpackedProposal) []byte { return []byte("basic_1.0:abc") })
	c := startStub(t, e, newStubOrderer(), userOf(t, org, "Admin"))

	id, err := c.Install(testContext(t), "basic", "1.0", pkg)
	if err != nil {
		t.Fatalf("Install: %v", err)
	}
	if id != "basic_1.0:abc" {
		t.Errorf("Install = %q, want the peer's answer basic_1.0:abc", id)
	}
	if len(seen) != 1 {
		t.Fatalf("%d proposals, want 1", len(seen))
	}
	up := seen[0]
	if up.ChannelHeader.GetChannelId() != "" || up.ChaincodeID.GetName() != "lscc" || up.Spec.GetType() != peer.ChaincodeSpec_GOLANG {
		t.Errorf("proposal goes to channel %q chaincode %q type %s, want channel \"\", lscc, GOLANG", up.ChannelHeader.GetChannelId(), up.ChaincodeID.GetName(), up.Spec.GetType())
	}
	args := up.Spec.GetInput().GetArgs()
	if len(args) != 2 || string(args[0]) != "install" {
		t.Fatalf("args = %q, want install and a deployment spec", args)
	}
	cds := &peer.ChaincodeDeploymentSpec{}
	mustUnmarshal(t, args[1], cds)
	want := &peer.ChaincodeDeploymentSpec{
		ChaincodeSpec: &peer.ChaincodeSpec{Type: peer.ChaincodeSpec_GOLANG, ChaincodeId: &peer.ChaincodeID{Name: "basic", Version: "1.0", Path: "example.com/cc"}},
		CodePackage:   pkg,
	}
	if diff := cmp.Diff(want, cds, protocmp.Transform()); diff != "" {
		t.Errorf("deployment spec (-want +got):\n%s", diff)
	}
}

func TestInstallRefusesBadInput(t *testing.T) {
	org := newOrg(t)
	var seen []*identity.UnpackedProposal
	c := startStub(t, recordingEndorser(org, &seen, func(*identity.UnpackedProposal) []byte { return nil }), newStubOrderer(), userOf(t, org, "Admin"))
	pkg := packageForTest(t)
	tests := []struct {
		name, ccName, version string
		pkg                   []byte
		wantErr               string
	}{
		{"a corrupt package is refused before sending", "basic", "1.0", []byte("not a tar.gz"), "the package is not valid"},
		{"an empty name is refused", "", "1.0", pkg, "name"},
		{"an empty version is refused", "basic", "", pkg, "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Install(testContext(t), tt.ccName, tt.version, tt.pkg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Install error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	if len(seen) != 0 {
		t.Errorf("%d proposals sent for bad input, want none", len(seen))
	}
}

func TestDeploySendsLSCCArgumentsAndWaitsForTheCommit(t *testing.T) {
	policy := identity.MustParsePolicy("OR('Org1MSP.member')")
	collections := &peer.CollectionConfigPackage{Config: []*peer.CollectionConfig{{Payload: &peer.CollectionConfig_StaticCollectionConfig{
		StaticCollectionConfig: &peer.StaticCollectionConfig{Name: "private", RequiredPeerCount: 0, MaximumPeerCount: 1},
	}}}}
	tests := []struct {
		name   string
		op     string
		deploy func(*Client, context.Context, Deployment) (*Result, error)
		d      Deployment
	}{
		{"instantiate with a policy and collections", "deploy", (*Client).Instantiate,
			Deployment{Channel: "mychannel", Name: "basic", Version: "1.0", Args: [][]byte{[]byte("init"), []byte("a")}, Policy: policy, Collections: collections}},
		{"instantiate without a policy leaves it empty for the peer's default", "deploy", (*Client).Instantiate,
			Deployment{Channel: "mychannel", Name: "basic", Version: "1.0"}},
		{"upgrade", "upgrade", (*Client).Upgrade,
			Deployment{Channel: "mychannel", Name: "basic", Version: "2.0", Args: [][]byte{[]byte("init")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := newOrg(t)
			var seen []*identity.UnpackedProposal
			o := newStubOrderer()
			c := startStub(t, recordingEndorser(org, &seen, func(*identity.UnpackedProposal) []byte { return nil }), o, userOf(t, org, "Admin"))
			res, err := tt.deploy(c, testContext(t), tt.d)
			if err != nil {
				t.Fatalf("%s: %v", tt.op, err)
			}
			if res.Code != peer.TxValidationCode_VALID || len(o.envelopes) != 1 {
				t.Errorf("result %+v after %d broadcasts, want VALID after 1", res, len(o.envelopes))
			}
			up := seen[0]
			if up.ChannelHeader.GetChannelId() != tt.d.Channel || up.ChaincodeID.GetName() != "lscc" {
				t.Errorf("proposal to channel %q chaincode %q", up.ChannelHeader.GetChannelId(), up.ChaincodeID.GetName())
			}
			args := up.Spec.GetInput().GetArgs()
			if len(args) != 7 {
				t.Fatalf("%d lscc args, want 7: op, channel, spec, policy, escc, vscc, collections", len(args))
			}
			if string(args[0]) != tt.op || string(args[1]) != tt.d.Channel || string(args[4]) != "escc" || string(args[5]) != "vscc" {
				t.Errorf("args = %q %q _ _ %q %q", args[0], args[1], args[4], args[5])
			}
			cds := &peer.ChaincodeDeploymentSpec{}
			mustUnmarshal(t, args[2], cds)
			wantSpec := &peer.ChaincodeSpec{Type: peer.ChaincodeSpec_GOLANG, ChaincodeId: &peer.ChaincodeID{Name: tt.d.Name, Version: tt.d.Version}, Input: &peer.ChaincodeInput{Args: tt.d.Args}}
			if diff := cmp.Diff(wantSpec, cds.GetChaincodeSpec(), protocmp.Transform()); diff != "" {
				t.Errorf("chaincode spec (-want +got):\n%s", diff)
			}
			checkOptional(t, "policy", args[3], tt.d.Policy)
			checkOptional(t, "collections", args[6], tt.d.Collections)
		})
	}
}

func checkOptional[M proto.Message](t *testing.T, what string, got []byte, want M) {
	t.Helper()
	if !want.ProtoReflect().IsValid() {
		if len(got) != 0 {
			t.Errorf("%s arg is %d bytes, want empty", what, len(got))
		}
		return
	}
	m := want.ProtoReflect().New().Interface()
	mustUnmarshal(t, got, m)
	if diff := cmp.Diff(want, m, protocmp.Transform()); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

func TestQueriesDecodeThePeersAnswers(t *testing.T) {
	org := newOrg(t)
	var seen []*identity.UnpackedProposal
	chaincodes, _ := proto.Marshal(&peer.ChaincodeQueryResponse{Chaincodes: []*peer.ChaincodeInfo{{Name: "basic", Version: "1.0", Id: []byte("basic_1.0:abc")}}})
	channels, _ := proto.Marshal(&peer.ChannelQueryResponse{Channels: []*peer.ChannelInfo{{ChannelId: "a"}, {ChannelId: "b"}}})
	answer := func(up *identity.UnpackedProposal) []byte {
		switch string(up.Spec.GetInput().GetArgs()[0]) {
		case "getinstalledchaincodes", "getchaincodes":
			return chaincodes
		case "GetChannels":
			return channels
		case "ListRunning":
			return []byte(`[{"ccid":"basic_1.0:abc","pid":42,"channels":["a"],"started":"2026-01-02T03:04:05Z"}]`)
		case "ListBuilds":
			return []byte(`[{"package_id":"basic_1.0:abc","label":"basic_1.0","builder":"golang","chaincodes":["basic:1.0"],"started":"2026-01-02T03:04:05Z","done":true,"seconds":41.9}]`)
		}
		return nil
	}
	c := startStub(t, recordingEndorser(org, &seen, answer), newStubOrderer(), userOf(t, org, "Admin"))
	ctx := testContext(t)

	installed, err := c.InstalledChaincodes(ctx)
	if err != nil || len(installed) != 1 || string(installed[0].GetId()) != "basic_1.0:abc" {
		t.Errorf("InstalledChaincodes = %v, %v", installed, err)
	}
	instantiated, err := c.InstantiatedChaincodes(ctx, "a")
	if err != nil || len(instantiated) != 1 {
		t.Errorf("InstantiatedChaincodes = %v, %v", instantiated, err)
	}
	names, err := c.Channels(ctx)
	if err != nil || strings.Join(names, ",") != "a,b" {
		t.Errorf("Channels = %v, %v", names, err)
	}
	if err := c.CreateChannel(ctx, "c"); err != nil {
		t.Errorf("CreateChannel: %v", err)
	}
	running, err := c.RunningChaincodes(ctx)
	if err != nil || len(running) != 1 || running[0].PID != 42 || running[0].CCID != "basic_1.0:abc" {
		t.Errorf("RunningChaincodes = %+v, %v", running, err)
	}

	builds, err := c.Builds(ctx)
	if err != nil || len(builds) != 1 || builds[0].Label != "basic_1.0" || !builds[0].Done || builds[0].Seconds != 41.9 || builds[0].Chaincodes[0] != "basic:1.0" {
		t.Errorf("Builds = %+v, %v", builds, err)
	}

	want := []struct{ channel, cc, args string }{
		{"", "lscc", "getinstalledchaincodes"},
		{"a", "lscc", "getchaincodes"},
		{"", "cscc", "GetChannels"},
		{"", "cscc", "CreateChannel c"},
		{"", "pscc", "ListRunning"},
		{"", "pscc", "ListBuilds"},
	}
	if len(seen) != len(want) {
		t.Fatalf("%d proposals, want %d", len(seen), len(want))
	}
	for i, w := range want {
		var args []string
		for _, a := range seen[i].Spec.GetInput().GetArgs() {
			args = append(args, string(a))
		}
		if seen[i].ChannelHeader.GetChannelId() != w.channel || seen[i].ChaincodeID.GetName() != w.cc || strings.Join(args, " ") != w.args {
			t.Errorf("proposal %d = channel %q %s %q, want channel %q %s %q", i, seen[i].ChannelHeader.GetChannelId(), seen[i].ChaincodeID.GetName(), args, w.channel, w.cc, w.args)
		}
	}
}
