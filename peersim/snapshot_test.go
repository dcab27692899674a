package peersim

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// snapshotOf starts a peer, deploys the test chaincode on mychannel and
// on a second channel, writes keys, and returns the snapshot file it
// wrote through pscc GetSnapshot.
func snapshotOf(t *testing.T) string {
	t.Helper()
	n := startNet(t, t.TempDir())
	if err := n.p.CreateChannel("second"); err != nil {
		t.Fatal(err)
	}
	n.install(t, n.admin, "cc", "1.0")
	n.startCC(t, "cc:1.0", newTestCC())
	for _, ch := range []string{DefaultChannel, "second"} {
		n.instantiate(t, ch, "cc", "1.0", "init")
		if _, code := n.invoke(t, n.user, ch, "cc", "put", "k", "v-"+ch); code != peer.TxValidationCode_VALID {
			t.Fatalf("put on %s: %v", ch, code)
		}
	}
	resp, _, _ := n.propose(t, n.admin, identity.Invocation{Chaincode: psccName, Args: args("GetSnapshot")})
	if resp.GetResponse().GetStatus() != 200 {
		t.Fatalf("GetSnapshot: %d %s", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
	}
	path := filepath.Join(t.TempDir(), "peer.snapshot")
	if err := os.WriteFile(path, resp.GetResponse().GetPayload(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func withSnapshot(path string) netOption {
	return func(s *netSetup) { s.cfg.FromSnapshot = path }
}

func TestPeerRestoresASnapshot(t *testing.T) {
	path := snapshotOf(t)
	for _, backend := range []string{LedgerMemory, LedgerBolt} {
		t.Run("a "+backend+" peer started from the snapshot has its channels, definitions and state", func(t *testing.T) {
			n := startNet(t, t.TempDir(), withLedger(backend), withSnapshot(path))
			if got := strings.Join(n.p.Channels(), ","); got != "mychannel,second" {
				t.Fatalf("channels %s", got)
			}
			n.install(t, n.admin, "cc", "1.0") // packages are not ledger data
			n.startCC(t, "cc:1.0", newTestCC())
			for _, ch := range []string{DefaultChannel, "second"} {
				if r := n.query(t, ch, "cc", "get", "k"); r.GetStatus() != 200 || string(r.GetPayload()) != "v-"+ch {
					t.Fatalf("get k on %s: %d %q %s", ch, r.GetStatus(), r.GetPayload(), r.GetMessage())
				}
				if _, code := n.invoke(t, n.user, ch, "cc", "put", "k", "new"); code != peer.TxValidationCode_VALID {
					t.Fatalf("put after the restore on %s: %v", ch, code)
				}
			}
		})
	}
	t.Run("only a user who is an admin gets a snapshot", func(t *testing.T) {
		n := startNet(t, t.TempDir())
		resp, _, _ := n.propose(t, n.user, identity.Invocation{Chaincode: psccName, Args: args("GetSnapshot")})
		if resp.GetResponse().GetStatus() != 500 || !strings.Contains(resp.GetResponse().GetMessage(), "access denied") {
			t.Fatalf("GetSnapshot as User1: %d %s", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
		}
	})
}

func TestPeerRefusesARestore(t *testing.T) {
	good := snapshotOf(t)
	corrupt := filepath.Join(t.TempDir(), "corrupt.snapshot")
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(corrupt, raw[:len(raw)-10], 0o600); err != nil {
		t.Fatal(err)
	}
	fixture := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(fixture, []byte(`{"cc": {"k": "fixture"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  func(c *Config)
		want string
	}{
		{"a corrupt file", func(c *Config) { c.FromSnapshot = corrupt }, "invalid snapshot"},
		{"a missing file", func(c *Config) { c.FromSnapshot = corrupt + ".nope" }, "no such file"},
		{"a fixture for a channel of the snapshot", func(c *Config) { c.FromSnapshot, c.Fixtures = good, []string{fixture} }, "already restored"},
	} {
		t.Run("refuses "+tc.name+" and restores nothing", func(t *testing.T) {
			dir := t.TempDir()
			cfg := DefaultConfig(dir)
			cfg.Dev = true
			tc.cfg(&cfg)
			_, err := New(cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v; want an error mentioning %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "ledgers")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the refused restore left ledgers behind: %v", err)
			}
		})
	}
	t.Run("refuses a data directory whose channel has a ledger, and keeps that ledger", func(t *testing.T) {
		dir := t.TempDir()
		n := startNet(t, dir, withLedger(LedgerBolt))
		n.install(t, n.admin, "cc", "1.0")
		n.startCC(t, "cc:1.0", newTestCC())
		n.instantiate(t, DefaultChannel, "cc", "1.0", "init")
		n.stop()

		cfg := DefaultConfig(dir)
		cfg.Dev, cfg.FromSnapshot = true, good
		_, err := New(cfg, nil)
		if !errors.Is(err, ledger.ErrNotEmpty) || !strings.Contains(err.Error(), "--data-dir") {
			t.Fatalf("New: %v; want ErrNotEmpty with a hint", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "ledgers", "second")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the refused restore created the ledger of channel second: %v", err)
		}
		again := startNet(t, dir, withLedger(LedgerBolt))
		l, err := again.p.chans.Ledger(DefaultChannel)
		if err != nil || l.Height() != 1 {
			t.Fatalf("the kept ledger: %v, height %d; want the instantiate's block", err, l.Height())
		}
	})
}

func TestPeerLoadsAFixture(t *testing.T) {
	fixture := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(fixture, []byte(`{"cc": {"k": "seeded", "doc": {"n": 1}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	n := startNet(t, t.TempDir(), func(s *netSetup) { s.cfg.Fixtures = []string{"seeded=" + fixture} })
	if got := strings.Join(n.p.Channels(), ","); got != "mychannel,seeded" {
		t.Fatalf("channels %s", got)
	}
	n.install(t, n.admin, "cc", "1.0")
	n.startCC(t, "cc:1.0", newTestCC())
	n.instantiate(t, "seeded", "cc", "1.0", "init")
	for key, want := range map[string]string{"k": "seeded", "doc": `{"n":1}`} {
		if r := n.query(t, "seeded", "cc", "get", key); string(r.GetPayload()) != want {
			t.Fatalf("get %s: %d %q %s; want %s", key, r.GetStatus(), r.GetPayload(), r.GetMessage(), want)
		}
	}
	f, err := n.p.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if e := f.Exports()["seeded"]; e == nil || e.Height != 2 {
		t.Fatalf("seeded channel after one block: %+v; want height 2 (block 0 is the fixture)", e)
	}
}
