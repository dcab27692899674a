package peersim

import (
	"context"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/client"
)

// TestClientLifecycle drives the 2.x flow through peersim/client's API, as
// the CLI's lifecycle commands do: install, query, approve, check, commit,
// query committed, and the refusals that name what to do.
func TestClientLifecycle(t *testing.T) {
	n := startNet(t, t.TempDir())
	admin, err := client.New(n.client, n.admin)
	if err != nil {
		t.Fatal(err)
	}
	user, err := client.New(n.client, n.user)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()

	pkgID, label, err := admin.InstallPackage(ctx, packageBytes(t, "basic", "1.0"))
	if err != nil || label != "basic_1.0" || !strings.HasPrefix(pkgID, "basic_1.0:") {
		t.Fatalf("InstallPackage = %q, %q, %v; want basic_1.0 and its package id", pkgID, label, err)
	}
	installed, err := admin.QueryInstalled(ctx)
	if err != nil || len(installed) != 1 || installed[0].GetPackageId() != pkgID {
		t.Fatalf("QueryInstalled = %v, %v; want the one package %s", installed, err, pkgID)
	}
	policy, err := client.ParsePolicy("OR('Org1MSP.member')")
	if err != nil {
		t.Fatal(err)
	}
	d := client.Definition{Channel: DefaultChannel, Name: "basic", Version: "1.0", Sequence: 1, PackageID: pkgID, SignaturePolicy: policy}

	if _, err := user.ApproveForMyOrg(ctx, d); err == nil {
		t.Error("ApproveForMyOrg by a non-admin succeeded, want it refused")
	}
	ready, err := admin.CheckCommitReadiness(ctx, d)
	if err != nil || ready["Org1MSP"] {
		t.Fatalf("CheckCommitReadiness before approval = %v, %v; want Org1MSP false", ready, err)
	}
	res, err := admin.ApproveForMyOrg(ctx, d)
	if err != nil || res.Code.String() != "VALID" {
		t.Fatalf("ApproveForMyOrg = %+v, %v", res, err)
	}
	if ready, err = user.CheckCommitReadiness(ctx, d); err != nil || !ready["Org1MSP"] {
		t.Fatalf("CheckCommitReadiness after approval = %v, %v; want Org1MSP true", ready, err)
	}
	if _, err := admin.CommitDefinition(ctx, d); err != nil {
		t.Fatalf("CommitDefinition: %v", err)
	}
	def, err := user.QueryCommitted(ctx, DefaultChannel, "basic")
	if err != nil || def.GetSequence() != 1 || def.GetVersion() != "1.0" || !def.GetApprovals()["Org1MSP"] {
		t.Fatalf("QueryCommitted = %v, %v; want version 1.0 sequence 1 approved by Org1MSP", def, err)
	}
	all, err := user.QueryAllCommitted(ctx, DefaultChannel)
	if err != nil || len(all) != 1 || all[0].GetName() != "basic" {
		t.Fatalf("QueryAllCommitted = %v, %v; want basic", all, err)
	}

	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"a sequence that skips one is refused with Fabric's text",
			func() error { d := d; d.Sequence = 3; _, err := admin.ApproveForMyOrg(ctx, d); return err },
			"requested sequence 3 is larger than the next available sequence number 2"},
		{"a sequence of 0 is refused before anything is sent",
			func() error { d := d; d.Sequence = 0; _, err := admin.ApproveForMyOrg(ctx, d); return err },
			"sequences start at 1"},
		{"a definition without a channel names the flag",
			func() error { d := d; d.Channel = ""; _, err := admin.CommitDefinition(ctx, d); return err },
			"name the channel (-C)"},
		{"querying a chaincode that is not defined says so",
			func() error { _, err := user.QueryCommitted(ctx, DefaultChannel, "nothing"); return err },
			"namespace nothing is not defined"},
		{"something that is not a package is refused before it is sent",
			func() error { _, _, err := admin.InstallPackage(ctx, []byte("not a package")); return err },
			"install: the package is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
