package ledger

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
)

const org2 = "Org2MSP"

var twoOrgs = []string{org1, org2}

// orgsLedger is a ledger serving the peers of Org1MSP and Org2MSP (in
// order), whose chaincode cc (block 0, when new) has a collection of Org1
// alone, one of both, and one of both living one block.
func orgsLedger(t *testing.T, o testOpts, mspIDs ...string) *Ledger {
	t.Helper()
	o.bare = true
	o.mutate = func(c *Config) { c.PeerMSPIDs = mspIDs }
	l := openTestLedger(t, o)
	if l.Height() == 0 {
		define(t, l, &ChaincodeDefinition{Name: "cc", Version: "1", Collections: collections(
			collSpec{name: "org1only", members: []string{org1}, maxPeers: 1},
			collSpec{name: "both", members: []string{org1, org2}, maxPeers: 2},
			collSpec{name: "brief", members: []string{org1, org2}, maxPeers: 2, blockToLive: 1},
		)})
	}
	return l
}

// orgsData is what commitOrgsData writes: collection -> key -> value.
var orgsData = map[string]map[string]string{
	"org1only":                {"a": `{"v":"org1 a"}`, "b": `{"v":"org1 b"}`},
	"both":                    {"a": `{"v":"both a"}`},
	"_implicit_org_" + org1:   {"a": `{"v":"implicit 1"}`},
	"_implicit_org_" + org2:   {"a": `{"v":"implicit 2"}`},
	"_implicit_org_" + "Org3": {"a": `{"v":"implicit 3"}`},
}

// holds tells whether each organisation's peer keeps a collection's data.
var holds = map[string]map[string]bool{
	org1: {"org1only": true, "both": true, "brief": true, "_implicit_org_" + org1: true},
	org2: {"both": true, "brief": true, "_implicit_org_" + org2: true},
}

// commitOrgsData commits orgsData in one transaction and returns its block.
func commitOrgsData(t *testing.T, l *Ledger) uint64 {
	t.Helper()
	var triples []string
	for _, coll := range slices.Sorted(maps.Keys(orgsData)) {
		for _, k := range slices.Sorted(maps.Keys(orgsData[coll])) {
			triples = append(triples, coll, k, orgsData[coll][k])
		}
	}
	return commitValid(t, l, pvtWrites(t, l, triples...)).Block.GetHeader().GetNumber()
}

// pvtAt reads a private key as the peer of mspID (the creator is of the
// same organisation).
func pvtAt(t *testing.T, l *Ledger, mspID, coll, key string) ([]byte, error) {
	t.Helper()
	var v []byte
	_, err := l.SimulateAt(mspID, "read", mspID, func(s *Simulator) error {
		if got := s.PeerMSPID(); got != mspID {
			t.Errorf("PeerMSPID() = %q, want %q", got, mspID)
		}
		var err error
		v, err = s.GetPrivateData("cc", coll, key)
		return err
	})
	return v, err
}

// checkOrgsData checks that each organisation's peer reads orgsData as
// Fabric's peer of that organisation would: the value where it is a
// member, Fabric's "not available" error elsewhere.
func checkOrgsData(t *testing.T, l *Ledger, block uint64) {
	t.Helper()
	for _, org := range twoOrgs {
		for coll, kvs := range orgsData {
			for k, want := range kvs {
				got, err := pvtAt(t, l, org, coll, k)
				if holds[org][coll] {
					if err != nil || string(got) != want {
						t.Errorf("%s reads %s/%s = %q, %v; want %q", org, coll, k, got, err, want)
					}
					continue
				}
				wantErr := fmt.Sprintf("private data matching public hash version is not available. Public hash version = {BlockNum: %d, TxNum: 0}, Private data version = <nil>", block)
				if err == nil || err.Error() != wantErr || !errors.Is(err, ErrPrivateDataUnavailable) {
					t.Errorf("%s reads %s/%s = %q, %v; want error %q", org, coll, k, got, err, wantErr)
				}
			}
		}
	}
}

func TestPrivateDataPerOrganisation(t *testing.T) {
	l := orgsLedger(t, testOpts{}, twoOrgs...)
	block := commitOrgsData(t, l)
	checkOrgsData(t, l, block)

	t.Run("the hash is on every organisation's peer", func(t *testing.T) {
		for _, org := range twoOrgs {
			for coll, kvs := range orgsData {
				for k, v := range kvs {
					s, err := l.NewSimulatorAt(org, "hash", "Org9MSP")
					if err != nil {
						t.Fatal(err)
					}
					got, err := s.GetPrivateDataHash("cc", coll, k)
					s.Done()
					want := sha256.Sum256([]byte(v))
					if err != nil || string(got) != string(want[:]) {
						t.Errorf("%s: hash of %s/%s = %x, %v; want %x", org, coll, k, got, err, want)
					}
				}
			}
		}
	})

	queries := []struct {
		name string
		run  func(s *Simulator, coll string) (StateIterator, error)
	}{
		{"range query", func(s *Simulator, coll string) (StateIterator, error) {
			return s.GetPrivateDataRangeScanIterator("cc", coll, "", "")
		}},
		{"rich query", func(s *Simulator, coll string) (StateIterator, error) {
			return s.ExecuteQueryOnPrivateData("cc", coll, `{"selector":{}}`)
		}},
	}
	for _, q := range queries {
		for _, org := range twoOrgs {
			for _, coll := range []string{"org1only", "both", "_implicit_org_" + org1, "_implicit_org_" + org2} {
				t.Run(fmt.Sprintf("a %s on %s as %s returns what that peer holds", q.name, coll, org), func(t *testing.T) {
					var want []string
					if holds[org][coll] {
						for _, k := range slices.Sorted(maps.Keys(orgsData[coll])) {
							want = append(want, k+"="+orgsData[coll][k])
						}
					}
					s, err := l.NewSimulatorAt(org, "query", org)
					if err != nil {
						t.Fatal(err)
					}
					defer s.Done()
					it, err := q.run(s, coll)
					if err != nil {
						t.Fatal(err)
					}
					defer it.Close()
					var got []string
					for {
						kv, err := it.Next()
						if err != nil {
							t.Fatal(err)
						}
						if kv == nil {
							break
						}
						got = append(got, kv.GetKey()+"="+string(kv.GetValue()))
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("results (-want +got):\n%s", diff)
					}
				})
			}
		}
	}

	t.Run("a delete removes every organisation's value", func(t *testing.T) {
		env := newClient(t, org1).propose(t, "cc").endorse(t, l, func(s *Simulator) error {
			return s.DeletePrivateData("cc", "both", "a")
		})
		commitValid(t, l, env)
		for _, org := range twoOrgs {
			if v, err := pvtAt(t, l, org, "both", "a"); err != nil || v != nil {
				t.Errorf("%s reads %q, %v after the delete; want nothing", org, v, err)
			}
		}
		e, err := l.Export()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range append(slices.Clone(e.Private), e.OrgPrivate[org2]...) {
			if p.Collection == "both" {
				t.Errorf("clear value %s/%s=%q left in the store", p.Collection, p.Key, p.Value)
			}
		}
	})
}

func TestPrivateDataPerOrganisationPurgedAfterBlockToLive(t *testing.T) {
	l := orgsLedger(t, testOpts{}, twoOrgs...)
	commitValid(t, l, pvtWrites(t, l, "brief", "k", "short"))
	for _, org := range twoOrgs {
		if v, err := pvtAt(t, l, org, "brief", "k"); err != nil || string(v) != "short" {
			t.Fatalf("%s reads %q, %v before the purge; want %q", org, v, err, "short")
		}
	}
	put(t, l, "cc", "x", "1") // blockToLive 1: kept one block more
	for _, org := range twoOrgs {
		if v, err := pvtAt(t, l, org, "brief", "k"); err != nil || string(v) != "short" {
			t.Fatalf("%s reads %q, %v within blockToLive; want %q", org, v, err, "short")
		}
	}
	put(t, l, "cc", "x", "2")
	for _, org := range twoOrgs {
		if v, err := pvtAt(t, l, org, "brief", "k"); err != nil || v != nil {
			t.Errorf("%s reads %q, %v after blockToLive; want nothing", org, v, err)
		}
	}
	e, err := l.Export()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.Private) + len(e.OrgPrivate[org2]); n != 0 {
		t.Errorf("%d clear values left after the purge: %+v %+v", n, e.Private, e.OrgPrivate)
	}
}

func TestPrivateDataPerOrganisationSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	l := orgsLedger(t, testOpts{backend: BackendBolt, dir: dir}, twoOrgs...)
	block := commitOrgsData(t, l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = orgsLedger(t, testOpts{backend: BackendBolt, dir: dir}, twoOrgs...)
	checkOrgsData(t, l, block)
}

func TestSingleOrganisationDataDirectoryKeepsItsDataForTheFirstOrganisation(t *testing.T) {
	dir := t.TempDir()
	l := orgsLedger(t, testOpts{backend: BackendBolt, dir: dir}, org1)
	block := commitOrgsData(t, l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = orgsLedger(t, testOpts{backend: BackendBolt, dir: dir}, twoOrgs...)
	for coll, kvs := range orgsData {
		for k, want := range kvs {
			got, err := pvtAt(t, l, org1, coll, k)
			if holds[org1][coll] && (err != nil || string(got) != want) {
				t.Errorf("%s/%s = %q, %v; want %q", coll, k, got, err, want)
			}
		}
	}
	// Org2's peer joined later: it has the hashes, not the data.
	if _, err := pvtAt(t, l, org2, "both", "a"); !errors.Is(err, ErrPrivateDataUnavailable) {
		t.Errorf("Org2 reads both/a: %v, want ErrPrivateDataUnavailable (block %d)", err, block)
	}
}

func TestExportImportPerOrganisation(t *testing.T) {
	src := orgsLedger(t, testOpts{}, twoOrgs...)
	block := commitOrgsData(t, src)
	e, err := src.Export()
	if err != nil {
		t.Fatal(err)
	}
	if e.PrivateMSPID != org1 || len(e.OrgPrivate) != 1 || len(e.OrgPrivate[org2]) == 0 {
		t.Fatalf("export: privateMSPID %q, orgPrivate %v; want %s and %s's data", e.PrivateMSPID, e.OrgPrivate, org1, org2)
	}
	// Through JSON, as a snapshot file carries it.
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var decoded Export
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	for _, order := range [][]string{twoOrgs, {org2, org1}} {
		t.Run("into a ledger serving "+strings.Join(order, ", "), func(t *testing.T) {
			dst := openTestLedger(t, testOpts{bare: true, mutate: func(c *Config) { c.PeerMSPIDs = order }})
			if err := dst.Import(&decoded); err != nil {
				t.Fatal(err)
			}
			checkOrgsData(t, dst, block)
			again, err := dst.Export()
			if err != nil {
				t.Fatal(err)
			}
			byOrg := func(e *Export) map[string][]PrivateEntry {
				m := map[string][]PrivateEntry{e.PrivateMSPID: e.Private}
				for id, ps := range e.OrgPrivate {
					m[id] = ps
				}
				return m
			}
			if diff := cmp.Diff(byOrg(e), byOrg(again)); diff != "" {
				t.Errorf("clear private data by organisation after the round trip (-before +after):\n%s", diff)
			}
		})
	}
	t.Run("an organisation twice is refused", func(t *testing.T) {
		bad := decoded
		bad.OrgPrivate = map[string][]PrivateEntry{org1: e.Private}
		if err := CheckExport(&bad); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), `orgPrivate["Org1MSP"]`) {
			t.Errorf("CheckExport: %v, want the duplicate organisation refused", err)
		}
	})
	t.Run("other organisation's data without its hashed entry is refused", func(t *testing.T) {
		bad := decoded
		bad.OrgPrivate = map[string][]PrivateEntry{org2: {{Namespace: "cc", Collection: "both", Key: "nope", Value: []byte("x")}}}
		if err := CheckExport(&bad); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "no hashed entry") {
			t.Errorf("CheckExport: %v, want the entry refused", err)
		}
	})
}

func TestNewSimulatorAtUnknownOrganisation(t *testing.T) {
	l := orgsLedger(t, testOpts{}, twoOrgs...)
	_, err := l.NewSimulatorAt("Org3MSP", "tx", org1)
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), `"Org3MSP"`) || !strings.Contains(err.Error(), `["Org1MSP" "Org2MSP"]`) {
		t.Errorf("NewSimulatorAt(Org3MSP): %v; want an error naming it and the served ones", err)
	}
	all := orgsLedger(t, testOpts{})
	s, err := all.NewSimulatorAt("Org3MSP", "tx", org1)
	if err != nil {
		t.Fatalf("a ledger without PeerMSPIDs: %v", err)
	}
	s.Done()
}

func TestConfigPeerMSPIDs(t *testing.T) {
	tests := []struct {
		name    string
		ids     []string
		wantErr string
	}{
		{"none keeps everything", nil, ""},
		{"two distinct organisations", twoOrgs, ""},
		{"an empty ID", []string{org1, ""}, `ledger config: PeerMSPIDs[1] is empty`},
		{"a duplicate", []string{org1, org2, org1}, `ledger config: PeerMSPIDs[2] "Org1MSP" is a duplicate`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := MemoryConfig()
			c.PeerMSPIDs = tc.ids
			err := c.Validate()
			if got := fmt.Sprint(err); tc.wantErr == "" && err != nil || tc.wantErr != "" && got != tc.wantErr {
				t.Errorf("Validate() = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestCheckDissemination(t *testing.T) {
	const org3 = "Org3MSP"
	three := []string{org1, org2, org3}
	var specs []collSpec
	members := map[string][]string{"1": {org1}, "12": {org1, org2}, "123": three, "2": {org2}, "23": {org2, org3}}
	for _, m := range slices.Sorted(maps.Keys(members)) {
		for req := range 3 {
			specs = append(specs, collSpec{name: fmt.Sprintf("m%s-r%d", m, req), members: members[m], requiredPeers: int32(req), maxPeers: 3})
		}
	}
	pkg := collections(specs...)
	open := func(t *testing.T, ids []string) *Ledger {
		l := openTestLedger(t, testOpts{bare: true, mutate: func(c *Config) { c.PeerMSPIDs = ids }})
		define(t, l, &ChaincodeDefinition{Name: "cc", Version: "1", Collections: pkg})
		return l
	}
	tests := []struct {
		name     string
		ids      []string
		endorser string
		colls    []string
		want     *DisseminationError
		is       error
	}{
		{"requiredPeerCount 0 needs no other peer", three, org1, []string{"m1-r0"}, nil, nil},
		{"1 required, the endorser the only member", three, org1, []string{"m1-r1"}, &DisseminationError{"cc", "m1-r1", 1, 0}, nil},
		{"1 required, one other member", three, org1, []string{"m12-r1"}, nil, nil},
		{"2 required, one other member", three, org1, []string{"m12-r2"}, &DisseminationError{"cc", "m12-r2", 2, 1}, nil},
		{"2 required, two other members", three, org1, []string{"m123-r2"}, nil, nil},
		{"1 required, the endorser not a member, one member", three, org1, []string{"m2-r1"}, nil, nil},
		{"2 required, the endorser not a member, one member", three, org1, []string{"m2-r2"}, &DisseminationError{"cc", "m2-r2", 2, 1}, nil},
		{"2 required, the endorser not a member, two members", three, org1, []string{"m23-r2"}, nil, nil},
		{"the first failing collection is reported", three, org2, []string{"m12-r1", "m2-r1"}, &DisseminationError{"cc", "m2-r1", 1, 0}, nil},
		{"only served organisations count", []string{org1, org2}, org1, []string{"m123-r2"}, &DisseminationError{"cc", "m123-r2", 2, 1}, nil},
		{"a single-organisation peer knows no other peer", []string{org1}, org1, []string{"m12-r1"}, &DisseminationError{"cc", "m12-r1", 1, 0}, nil},
		{"a ledger without PeerMSPIDs knows no other peer", nil, org1, []string{"m123-r1"}, &DisseminationError{"cc", "m123-r1", 1, 0}, nil},
		{"implicit collections require no peer", []string{org1}, org1, []string{"_implicit_org_" + org1}, nil, nil},
		{"an undefined collection", three, org1, []string{"nope"}, nil, ErrCollectionNotDefined},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := open(t, tc.ids)
			nsp := &rwset.NsPvtReadWriteSet{Namespace: "cc"}
			for _, c := range tc.colls {
				nsp.CollectionPvtRwset = append(nsp.CollectionPvtRwset, &rwset.CollectionPvtReadWriteSet{CollectionName: c})
			}
			err := l.CheckDissemination(tc.endorser, &rwset.TxPvtReadWriteSet{NsPvtRwset: []*rwset.NsPvtReadWriteSet{nsp}})
			switch {
			case tc.is != nil:
				if !errors.Is(err, tc.is) {
					t.Errorf("error %v, want one wrapping %v", err, tc.is)
				}
			case tc.want == nil:
				if err != nil {
					t.Errorf("error %v, want none", err)
				}
			default:
				var de *DisseminationError
				if !errors.As(err, &de) || *de != *tc.want || !errors.Is(err, ErrDissemination) {
					t.Fatalf("error %v, want %v", err, tc.want)
				}
				want := fmt.Sprintf("could not build private data dissemination plan for chaincode cc and collection %s: required to disseminate to at least %d peers, but know of only %d eligible peers",
					tc.want.Collection, tc.want.Required, tc.want.Eligible)
				if err.Error() != want {
					t.Errorf("error text %q, want %q", err, want)
				}
			}
		})
	}
}
