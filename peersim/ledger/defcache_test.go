package ledger

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/testing/protocmp"
)

// policyDefinition is a definition of chaincode "pc" with an endorsement
// policy and one collection, so that a caller has protobufs to modify.
func policyDefinition(version string) *ChaincodeDefinition {
	return &ChaincodeDefinition{
		Name: "pc", Version: version,
		EndorsementPolicy: &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{
			SignaturePolicy: anyOf(msp.MSPRole_MEMBER, org1),
		}},
		Collections: collections(collSpec{name: "secret", members: []string{org1}}),
	}
}

// vandalize changes every part of a definition a caller could reach.
func vandalize(d *ChaincodeDefinition) {
	d.Version = "vandalized"
	d.EndorsementPolicy.GetSignaturePolicy().Rule = nil
	d.EndorsementPolicy.GetSignaturePolicy().Identities[0].Principal = []byte("x")
	sc := d.Collections.GetConfig()[0].GetStaticCollectionConfig()
	sc.Name = "vandalized"
	sc.MemberOrgsPolicy.GetSignaturePolicy().Identities = nil
}

// TestDefinitionReadsReturnCopies checks that a caller who modifies a
// definition the ledger returned changes nothing for the next caller,
// although the ledger decodes each stored definition only once.
func TestDefinitionReadsReturnCopies(t *testing.T) {
	getters := []struct {
		name string
		get  func(t *testing.T, l *Ledger) *ChaincodeDefinition
	}{
		{"Ledger.ChaincodeDefinition", func(t *testing.T, l *Ledger) *ChaincodeDefinition {
			d, err := l.ChaincodeDefinition("pc")
			if err != nil {
				t.Fatalf("ChaincodeDefinition: %v", err)
			}
			return d
		}},
		{"Simulator.GetChaincodeDefinition", func(t *testing.T, l *Ledger) *ChaincodeDefinition {
			s, err := l.NewSimulator("q", org1)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Done()
			d, err := s.GetChaincodeDefinition("pc")
			if err != nil {
				t.Fatalf("GetChaincodeDefinition: %v", err)
			}
			return d
		}},
	}
	for _, g := range getters {
		t.Run(g.name, func(t *testing.T) {
			l := openTestLedger(t, testOpts{bare: true})
			define(t, l, policyDefinition("1"))
			want := policyDefinition("1")
			for i := range 3 {
				got := g.get(t, l)
				if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
					t.Fatalf("read %d after modifying the earlier ones (-want +got):\n%s", i, diff)
				}
				vandalize(got)
			}
			access, err := l.CollectionAccess("pc", "secret")
			if err != nil {
				t.Fatalf("CollectionAccess: %v", err)
			}
			access.MemberOrgsPolicy.Identities = nil
			again, err := l.CollectionAccess("pc", "secret")
			if err != nil {
				t.Fatalf("CollectionAccess: %v", err)
			}
			if len(again.MemberOrgsPolicy.GetIdentities()) != 1 {
				t.Errorf("CollectionAccess after a caller modified its policy: %d identities, want 1", len(again.MemberOrgsPolicy.GetIdentities()))
			}
			if got := g.get(t, l); got.Version != "1" {
				t.Errorf("definition after modifying CollectionAccess's policy: version %q, want 1", got.Version)
			}
		})
	}
}

// TestDefinitionCacheFollowsUpgrades checks that an upgrade, a _lifecycle
// definition that shadows lscc's and more definitions than the cache holds
// are all seen, and that the cache stays bounded.
func TestDefinitionCacheFollowsUpgrades(t *testing.T) {
	l := openTestLedger(t, testOpts{bare: true})
	check := func(name, want string) {
		t.Helper()
		d, err := l.ChaincodeDefinition(name)
		if err != nil {
			t.Fatalf("ChaincodeDefinition(%s): %v", name, err)
		}
		if d.Version != want {
			t.Errorf("ChaincodeDefinition(%s).Version = %q, want %q", name, d.Version, want)
		}
	}
	define(t, l, &ChaincodeDefinition{Name: "cc", Version: "1"})
	check("cc", "1")
	define(t, l, &ChaincodeDefinition{Name: "cc", Version: "2"})
	check("cc", "2")
	defineLifecycle(t, l, &ChaincodeDefinition{Name: "cc", Version: "3", Sequence: 1})
	check("cc", "3")
	for i := range definitionCacheSize + 10 {
		define(t, l, &ChaincodeDefinition{Name: fmt.Sprintf("cc%d", i), Version: "1"})
		check(fmt.Sprintf("cc%d", i), "1")
	}
	check("cc", "3")
	if n := l.defs.entries.Len(); n > definitionCacheSize {
		t.Errorf("cache holds %d definitions, want at most %d", n, definitionCacheSize)
	}
}

// TestGetChaincodeDefinitionRecordsItsRead checks that a definition
// served from the cache is still a read of the simulation, with the
// committed version, so that two upgrades in one block conflict.
func TestGetChaincodeDefinitionRecordsItsRead(t *testing.T) {
	for _, get := range []struct {
		name string
		get  func(s *Simulator, name string) (*ChaincodeDefinition, error)
	}{
		{"GetChaincodeDefinition", (*Simulator).GetChaincodeDefinition},
		{"GetSharedChaincodeDefinition", (*Simulator).GetSharedChaincodeDefinition},
	} {
		t.Run(get.name, func(t *testing.T) {
			l := openTestLedger(t, testOpts{bare: true})
			define(t, l, policyDefinition("1")) // block 0
			for i := range 2 {                  // the second read is served by the cache
				res, err := l.Simulate(fmt.Sprintf("tx%d", i), org1, func(s *Simulator) error {
					d, err := get.get(s, "pc")
					if err == nil && !cmp.Equal(d, policyDefinition("1"), protocmp.Transform()) {
						t.Errorf("read %d: %s returned %+v, want the definition committed", i, get.name, d)
					}
					return err
				})
				if err != nil {
					t.Fatalf("simulate: %v", err)
				}
				want := &kvrwset.KVRWSet{Reads: []*kvrwset.KVRead{
					{Key: LifecycleDefinitionKey("pc")},
				}}
				if diff := cmp.Diff(want, nsRWSet(t, res, LifecycleNamespace), protocmp.Transform()); diff != "" {
					t.Errorf("read %d: _lifecycle read set (-want +got):\n%s", i, diff)
				}
				want = &kvrwset.KVRWSet{Reads: []*kvrwset.KVRead{
					{Key: "pc", Version: &kvrwset.Version{BlockNum: 0, TxNum: 0}},
				}}
				if diff := cmp.Diff(want, nsRWSet(t, res, LSCCNamespace), protocmp.Transform()); diff != "" {
					t.Errorf("read %d: lscc read set (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// TestSharedChaincodeDefinitionIsTheCommittedOne checks the reader that
// does not copy against the one that does.
func TestSharedChaincodeDefinitionIsTheCommittedOne(t *testing.T) {
	l := openTestLedger(t, testOpts{bare: true})
	define(t, l, policyDefinition("1"))
	for _, name := range []string{"pc", "absent"} {
		copied, errCopied := l.ChaincodeDefinition(name)
		shared, errShared := l.SharedChaincodeDefinition(name)
		if !errors.Is(errShared, ErrChaincodeNotDefined) != !errors.Is(errCopied, ErrChaincodeNotDefined) {
			t.Errorf("%s: SharedChaincodeDefinition error %v, ChaincodeDefinition error %v: want the same", name, errShared, errCopied)
		}
		if diff := cmp.Diff(copied, shared, protocmp.Transform()); diff != "" {
			t.Errorf("%s: shared and copied definitions differ (-copied +shared):\n%s", name, diff)
		}
	}
}

// BenchmarkChaincodeDefinition reads a definition with a policy and a
// collection the way the endorser does for each proposal: copied (what it
// did) and shared (what it does).
func BenchmarkChaincodeDefinition(b *testing.B) {
	l := openTestLedger(b, testOpts{bare: true})
	define(b, l, policyDefinition("1"))
	for _, r := range []struct {
		name string
		read func(string) (*ChaincodeDefinition, error)
	}{{"copied", l.ChaincodeDefinition}, {"shared", l.SharedChaincodeDefinition}} {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.read("pc"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
