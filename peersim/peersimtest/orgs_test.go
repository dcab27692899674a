package peersimtest_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func TestWithOrgsEveryOrganisationApprovesAndEndorses(t *testing.T) {
	for _, lc := range []peersimtest.Lifecycle{peersimtest.Lifecycle2, peersimtest.LSCC} {
		t.Run(lc.String(), func(t *testing.T) {
			p := peersimtest.New(t, peersimtest.WithOrgs("Org1MSP", "Org2MSP"), peersimtest.WithLifecycle(lc))
			cc := p.Deploy(t, "probe", probe{}, peersimtest.Policy("AND('Org1MSP.peer', 'Org2MSP.peer')"))

			r := cc.Tx("put", "k", "v").Submit(t)
			if r.Code != pb.TxValidationCode_VALID || !slices.Equal(r.EndorsedBy, []string{"Org1MSP", "Org2MSP"}) {
				t.Fatalf("put endorsed by default: %v, endorsed by %v", r, r.EndorsedBy)
			}
			r = cc.Tx("put", "k", "w").EndorsedBy("Org2MSP").Submit(t)
			if r.Code != pb.TxValidationCode_ENDORSEMENT_POLICY_FAILURE || !slices.Equal(r.EndorsedBy, []string{"Org2MSP"}) {
				t.Fatalf("put endorsed by Org2MSP alone: %v, endorsed by %v; want ENDORSEMENT_POLICY_FAILURE", r, r.EndorsedBy)
			}
			if got := cc.Evaluate(t, "get", "k"); string(got.Payload) != "v" {
				t.Errorf("get k = %q, want v (the invalid write changed nothing)", got.Payload)
			}
			// A client of Org2MSP: its own peer endorses first.
			r = cc.Tx("put", "k2", "x").As(p.UserOf(t, "Org2MSP", "User1")).Submit(t)
			if r.Code != pb.TxValidationCode_VALID || !slices.Equal(r.EndorsedBy, []string{"Org2MSP", "Org1MSP"}) {
				t.Fatalf("put by Org2MSP's User1: %v, endorsed by %v", r, r.EndorsedBy)
			}
		})
	}
}

func TestWithOrgsTheDefaultPolicyIsTheMajority(t *testing.T) {
	p := peersimtest.New(t, peersimtest.WithOrgs("Org1MSP", "Org2MSP", "Org3MSP"))
	cc := p.Deploy(t, "probe", probe{}) // _lifecycle: /Channel/Application/Endorsement
	tests := []struct {
		orgs []string
		want pb.TxValidationCode
	}{
		{[]string{"Org1MSP"}, pb.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
		{[]string{"Org1MSP", "Org3MSP"}, pb.TxValidationCode_VALID},
		{[]string{"Org2MSP", "Org3MSP"}, pb.TxValidationCode_VALID},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.orgs, "+"), func(t *testing.T) {
			r := cc.Tx("incr", "n").EndorsedBy(tt.orgs...).Submit(t)
			if r.Code != tt.want {
				t.Errorf("incr endorsed by %v: %v, want %v", tt.orgs, r, tt.want)
			}
		})
	}
}

func TestUnknownOrganisationsFailTheTestClearly(t *testing.T) {
	p := peersimtest.New(t, peersimtest.WithOrgs("Org1MSP", "Org2MSP"))
	msg := fatalOf(t, func(ft peersimtest.TB) { p.UserOf(ft, "Org9MSP", "User1") })
	if !strings.Contains(msg, `organisation "Org9MSP": the peer's organisations are [Org1MSP Org2MSP]`) {
		t.Errorf("UserOf an unknown organisation failed with %q", msg)
	}
}
