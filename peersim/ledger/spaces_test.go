package ledger

import (
	"bytes"
	"errors"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// boltAt is the options of a bolt ledger in dir.
func boltAt(dir string) testOpts { return testOpts{backend: BackendBolt, dir: dir} }

// reopen closes l and opens its bolt data directory again serving mspIDs
// (none: keep-all).
func reopen(t *testing.T, l *Ledger, dir string, mspIDs ...string) *Ledger {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return orgsLedger(t, boltAt(dir), mspIDs...)
}

// openLogged opens the bolt ledger in dir serving mspIDs, logging into
// log.
func openLogged(t *testing.T, dir string, log *bytes.Buffer, mspIDs ...string) *Ledger {
	t.Helper()
	cfg := DefaultConfig(dir)
	cfg.PeerMSPIDs = mspIDs
	l, err := Open(testChannel, cfg, WithLogger(slog.New(slog.NewTextHandler(log, nil))))
	if err != nil {
		t.Fatalf("open ledger: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// clearByOrg renders the clear private data of an export by organisation
// ("" for an export without PrivateMSPID) as sorted "coll/key=value".
func clearByOrg(e *Export) map[string][]string {
	out := map[string][]string{}
	add := func(id string, ps []PrivateEntry) {
		for _, p := range ps {
			out[id] = append(out[id], p.Collection+"/"+p.Key+"="+string(p.Value))
		}
		slices.Sort(out[id])
	}
	add(e.PrivateMSPID, e.Private)
	for id, ps := range e.OrgPrivate {
		add(id, ps)
	}
	return out
}

// wantOrgsData is clearByOrg of a two-organisation ledger holding
// orgsData: each organisation the collections it is a member of.
func wantOrgsData() map[string][]string {
	out := map[string][]string{}
	for _, org := range twoOrgs {
		for coll, kvs := range orgsData {
			if !holds[org][coll] {
				continue
			}
			for _, k := range slices.Sorted(maps.Keys(kvs)) {
				out[org] = append(out[org], coll+"/"+k+"="+kvs[k])
			}
		}
		slices.Sort(out[org])
	}
	return out
}

// checkExport exports l and checks that CheckExport accepts it and that
// the clear private data by organisation is want.
func checkExport(t *testing.T, l *Ledger, want map[string][]string) *Export {
	t.Helper()
	e, err := l.Export()
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckExport(e); err != nil {
		t.Errorf("CheckExport of the export: %v", err)
	}
	if diff := cmp.Diff(want, clearByOrg(e)); diff != "" {
		t.Errorf("clear private data by organisation (-want +got):\n%s", diff)
	}
	return e
}

// dropSpaceRecord removes the record of the store's private data spaces,
// as a store written before it existed is.
func dropSpaceRecord(t *testing.T, dir string) {
	t.Helper()
	st, err := openBoltStore(filepath.Join(dir, testChannel+".db"))
	if err != nil {
		t.Fatal(err)
	}
	b := &batch{}
	b.delete(bucketMeta, []byte(metaPvtSpaces))
	if err := st.apply(b); err != nil {
		t.Fatal(err)
	}
	if err := st.close(); err != nil {
		t.Fatal(err)
	}
}

func TestReopenWithOrganisationsInAnotherOrder(t *testing.T) {
	dir := t.TempDir()
	l := orgsLedger(t, boltAt(dir), twoOrgs...)
	block := commitOrgsData(t, l)
	for _, order := range [][]string{{org2, org1}, twoOrgs, {org2, org1}} {
		l = reopen(t, l, dir, order...)
		checkOrgsData(t, l, block)
		checkExport(t, l, wantOrgsData())
		s, err := l.NewSimulator("tx", org1)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.PeerMSPID(); got != order[0] {
			t.Errorf("serving %v: NewSimulator is on %q, want the first organisation %q", order, got, order[0])
		}
		s.Done()
	}
}

func TestKeepAllStoreOpenedWithOrganisations(t *testing.T) {
	tests := []struct {
		order []string
		// counts is what the migration logs: 6 entries; copied to an
		// organisation's space other than pvt, which the first keeps;
		// Org3's implicit collection dropped.
		counts string
	}{
		{twoOrgs, "entries=6 moved=2 dropped=1"},              // both/a and Org2's implicit to Org2
		{[]string{org2, org1}, "entries=6 moved=4 dropped=1"}, // org1only a and b, both/a, Org1's implicit to Org1
	}
	for _, tc := range tests {
		order := tc.order
		t.Run(strings.Join(order, ", "), func(t *testing.T) {
			dir := t.TempDir()
			l := orgsLedger(t, boltAt(dir)) // keep-all: every collection, Org3's implicit one too
			block := commitOrgsData(t, l)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				var log bytes.Buffer
				l = openLogged(t, dir, &log, order...)
				checkOrgsData(t, l, block)
				checkExport(t, l, wantOrgsData())
				// The hashes of what no organisation keeps stay.
				s, err := l.NewSimulator("hash", org1)
				if err != nil {
					t.Fatal(err)
				}
				if h, err := s.GetPrivateDataHash("cc", "_implicit_org_Org3", "a"); err != nil || len(h) != 32 {
					t.Errorf("hash of Org3's implicit collection: %x, %v; want it kept", h, err)
				}
				s.Done()
				moved := strings.Count(log.String(), "moved to the organisations' spaces")
				if want := 1 - i; moved != want {
					t.Errorf("open %d: %d migration log lines, want %d:\n%s", i+1, moved, want, log.String())
				}
				if i == 0 && !strings.Contains(log.String(), tc.counts) {
					t.Errorf("migration log does not say %s:\n%s", tc.counts, log.String())
				}
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestSpaceRecordMigrationFailureLeavesTheStoreAsItWas(t *testing.T) {
	dir := t.TempDir()
	l := orgsLedger(t, boltAt(dir))
	block := commitOrgsData(t, l)
	before, err := l.Export()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(dir)
	cfg.PeerMSPIDs = twoOrgs
	writes := 0
	fail := func(l *Ledger) {
		l.faultHook = func(op int) error {
			writes++
			if op == 2 {
				return errFault
			}
			return nil
		}
	}
	if _, err := Open(testChannel, cfg, fail); !errors.Is(err, errFault) {
		t.Fatalf("open with a failing migration: %v, want the injected fault", err)
	}
	if writes < 3 {
		t.Fatalf("the migration failed after %d writes, want some written first", writes)
	}
	// Still a keep-all store: opened without PeerMSPIDs, it is as before.
	l = orgsLedger(t, boltAt(dir))
	after, err := l.Export()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("the failed migration changed the store (-before +after):\n%s", diff)
	}
	l = reopen(t, l, dir, twoOrgs...)
	checkOrgsData(t, l, block)
}

func TestKeepAllOpenOfAnOrganisationsStoreIsRefused(t *testing.T) {
	for _, order := range [][]string{twoOrgs, {org2, org1}, {org1}} {
		t.Run(strings.Join(order, ", "), func(t *testing.T) {
			dir := t.TempDir()
			l := orgsLedger(t, boltAt(dir), order...)
			commitOrgsData(t, l)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			_, err := Open(testChannel, DefaultConfig(dir))
			want := `open ledger testchannel: clear private data: the store keeps each organisation's clear private data apart, and a ledger without PeerMSPIDs would serve all of it as one peer's: open it with the organisations it was written with, PeerMSPIDs ["` + strings.Join(order, `" "`) + `"]: invalid argument`
			if !errors.Is(err, ErrInvalidArgument) || err.Error() != want {
				t.Fatalf("keep-all open: %v\nwant %s", err, want)
			}
			orgsLedger(t, boltAt(dir), order...)
		})
	}
	t.Run("an empty store takes the configuration", func(t *testing.T) {
		dir := t.TempDir()
		l := openTestLedger(t, testOpts{backend: BackendBolt, dir: dir, bare: true, mutate: func(c *Config) { c.PeerMSPIDs = twoOrgs }})
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = orgsLedger(t, boltAt(dir))
		commitOrgsData(t, l)
		var all []string
		for coll, kvs := range orgsData {
			for k, v := range kvs {
				all = append(all, coll+"/"+k+"="+v)
			}
		}
		slices.Sort(all)
		checkExport(t, l, map[string][]string{"": all})
	})
}

func TestOrganisationNotServedKeepsItsData(t *testing.T) {
	dir := t.TempDir()
	l := orgsLedger(t, boltAt(dir), twoOrgs...)
	block := commitOrgsData(t, l)
	commitValid(t, l, pvtWrites(t, l, "both", "c", `{"v":"both c"}`))
	l = reopen(t, l, dir, org1)
	if _, err := l.NewSimulatorAt(org2, "tx", org2); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("NewSimulatorAt(%s) on a ledger serving %s: %v, want ErrInvalidArgument", org2, org1, err)
	}
	if _, err := l.BlockPrivateDataAt(block, org2); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("BlockPrivateDataAt(%d, %s) on a ledger serving %s: %v, want ErrInvalidArgument", block, org2, org1, err)
	}
	want := wantOrgsData()
	for _, org := range twoOrgs {
		want[org] = append(want[org], `both/c={"v":"both c"}`)
		slices.Sort(want[org])
	}
	checkExport(t, l, want)

	// Meanwhile: a delete, an overwrite and a metadata write of keys Org2
	// holds, and a write of one it does not.
	env := newClient(t, org1).propose(t, "cc").endorse(t, l, func(s *Simulator) error {
		if err := s.DeletePrivateData("cc", "both", "a"); err != nil {
			return err
		}
		if err := s.SetPrivateData("cc", "both", "c", []byte(`{"v":"both c again"}`)); err != nil {
			return err
		}
		if err := s.SetPrivateDataMetadata("cc", "_implicit_org_"+org2, "a", map[string][]byte{"k": []byte("v")}); err != nil {
			return err
		}
		return s.SetPrivateData("cc", "both", "b", []byte(`{"v":"both b"}`))
	})
	commitValid(t, l, env)
	// Org2's peer received none of it: it is left without the keys the
	// block changed, not with stale values.
	want = map[string][]string{
		org1: {`_implicit_org_Org1MSP/a={"v":"implicit 1"}`, `both/b={"v":"both b"}`, `both/c={"v":"both c again"}`,
			`org1only/a={"v":"org1 a"}`, `org1only/b={"v":"org1 b"}`},
	}
	checkExport(t, l, want)

	l = reopen(t, l, dir, twoOrgs...)
	checkExport(t, l, want)
	for _, ck := range [][2]string{{"both", "a"}, {"both", "c"}, {"_implicit_org_" + org2, "a"}} {
		v, err := pvtAt(t, l, org2, ck[0], ck[1])
		deleted := ck[1] == "a" && ck[0] == "both"
		if v != nil || deleted && err != nil || !deleted && !errors.Is(err, ErrPrivateDataUnavailable) {
			t.Errorf("%s reads %s/%s = %q, %v; want nothing", org2, ck[0], ck[1], v, err)
		}
	}
}

func TestBlockToLiveReachesAnOrganisationNotServed(t *testing.T) {
	dir := t.TempDir()
	l := orgsLedger(t, boltAt(dir), twoOrgs...)
	commitValid(t, l, pvtWrites(t, l, "brief", "k", "short"))
	checkExport(t, l, map[string][]string{org1: {"brief/k=short"}, org2: {"brief/k=short"}})
	l = reopen(t, l, dir, org1)
	put(t, l, "cc", "x", "1")
	put(t, l, "cc", "x", "2") // past blockToLive 1
	l = reopen(t, l, dir, twoOrgs...)
	if v, err := pvtAt(t, l, org2, "brief", "k"); err != nil || v != nil {
		t.Errorf("%s reads %q, %v after blockToLive; want nothing", org2, v, err)
	}
	checkExport(t, l, map[string][]string{})
}

func TestImportOfAnExportWithoutPrivateMSPID(t *testing.T) {
	src := orgsLedger(t, testOpts{}) // keep-all
	block := commitOrgsData(t, src)
	e, err := src.Export()
	if err != nil {
		t.Fatal(err)
	}
	if e.PrivateMSPID != "" || len(e.OrgPrivate) > 0 {
		t.Fatalf("keep-all export: privateMSPID %q, orgPrivate %v; want neither", e.PrivateMSPID, e.OrgPrivate)
	}
	for _, order := range [][]string{twoOrgs, {org2, org1}} {
		t.Run("into a ledger serving "+strings.Join(order, ", "), func(t *testing.T) {
			dst := openTestLedger(t, testOpts{bare: true, mutate: func(c *Config) { c.PeerMSPIDs = order }})
			if err := dst.Import(e); err != nil {
				t.Fatal(err)
			}
			checkOrgsData(t, dst, block)
			checkExport(t, dst, wantOrgsData())
		})
	}
	t.Run("into a keep-all ledger", func(t *testing.T) {
		dst := openTestLedger(t, testOpts{bare: true})
		if err := dst.Import(e); err != nil {
			t.Fatal(err)
		}
		checkExport(t, dst, clearByOrg(e))
	})
}

func TestExportImportKeepsAnOrganisationNotServed(t *testing.T) {
	src := orgsLedger(t, testOpts{}, twoOrgs...)
	block := commitOrgsData(t, src)
	e := checkExport(t, src, wantOrgsData())
	dst := openTestLedger(t, testOpts{backend: BackendBolt, bare: true, mutate: func(c *Config) { c.PeerMSPIDs = []string{org2} }})
	if err := dst.Import(e); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.NewSimulatorAt(org1, "tx", org1); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("NewSimulatorAt(%s) on a ledger serving %s: %v, want ErrInvalidArgument", org1, org2, err)
	}
	if v, err := pvtAt(t, dst, org2, "org1only", "a"); v != nil || !errors.Is(err, ErrPrivateDataUnavailable) {
		t.Errorf("%s reads org1only/a = %q, %v; want it unavailable", org2, v, err)
	}
	again := checkExport(t, dst, wantOrgsData())
	if again.PrivateMSPID != org2 {
		t.Errorf("export of a ledger serving %s: privateMSPID %q", org2, again.PrivateMSPID)
	}
	both := openTestLedger(t, testOpts{bare: true, mutate: func(c *Config) { c.PeerMSPIDs = twoOrgs }})
	if err := both.Import(again); err != nil {
		t.Fatal(err)
	}
	checkOrgsData(t, both, block)
}

func TestStoreWithoutSpaceRecord(t *testing.T) {
	tests := []struct {
		name          string
		written, open []string
		wantErr       string
	}{
		{"written by two organisations, reopened in another order", twoOrgs, []string{org2, org1}, ""},
		{"written by two organisations, reopened in the same order", twoOrgs, twoOrgs, ""},
		{"written keep-all, opened with organisations", nil, twoOrgs, ""},
		{"written by two organisations, opened without the first", twoOrgs, []string{org2},
			`open ledger testchannel: clear private data: the store, written before stores recorded whose clear private data is where, keeps organisations ["Org2MSP"] apart and the data of one more, the first of the PeerMSPIDs it was written with; open it with the organisations it was written with, that one first: invalid argument`},
		{"written by two organisations, opened keep-all", twoOrgs, nil,
			`open ledger testchannel: clear private data: the store, written before stores recorded whose clear private data is where, keeps organisations ["Org2MSP"] apart and the data of one more, the first of the PeerMSPIDs it was written with; open it with the organisations it was written with, that one first: invalid argument`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l := orgsLedger(t, boltAt(dir), tc.written...)
			block := commitOrgsData(t, l)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			dropSpaceRecord(t, dir)
			cfg := DefaultConfig(dir)
			cfg.PeerMSPIDs = tc.open
			l, err := Open(testChannel, cfg)
			if tc.wantErr != "" {
				if err == nil {
					_ = l.Close()
				}
				if !errors.Is(err, ErrInvalidArgument) || err.Error() != tc.wantErr {
					t.Fatalf("open: %v\nwant %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = l.Close() })
			checkOrgsData(t, l, block)
			l = reopen(t, l, dir, tc.open...)
			checkOrgsData(t, l, block)
		})
	}
}

func TestDecodeSpaceRecord(t *testing.T) {
	tests := []struct {
		raw  string
		want spaceRecord
		ok   bool
	}{
		{`{"keepAll":true}`, spaceRecord{KeepAll: true}, true},
		{`{"pvt":"Org1MSP","orgs":["Org2MSP","Org3MSP"]}`, spaceRecord{Pvt: org1, Orgs: []string{org2, "Org3MSP"}}, true},
		{`{"orgs":["Org2MSP"]}`, spaceRecord{Orgs: []string{org2}}, true},
		{`{"keepAll":true,"pvt":"Org1MSP"}`, spaceRecord{}, false},
		{`{"pvt":"Org1MSP","orgs":["Org1MSP"]}`, spaceRecord{}, false},
		{`{"pvt":"Org1MSP","orgs":["Org3MSP","Org2MSP"]}`, spaceRecord{}, false},
		{`{"orgs":["Org2MSP","Org2MSP"]}`, spaceRecord{}, false},
		{`{"orgs":[""]}`, spaceRecord{}, false},
		{`{"pvt":"Org1\u0000"}`, spaceRecord{}, false},
		{`not json`, spaceRecord{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := decodeSpaceRecord([]byte(tc.raw))
			if !tc.ok {
				if !errors.Is(err, ErrCorrupt) {
					t.Errorf("decode: %+v, %v; want ErrCorrupt", got, err)
				}
				return
			}
			if err != nil || !got.equal(tc.want) {
				t.Errorf("decode: %+v, %v; want %+v", got, err, tc.want)
			}
			if back, err := decodeSpaceRecord(got.encode()); err != nil || !back.equal(got) {
				t.Errorf("round trip: %+v, %v", back, err)
			}
		})
	}
}
