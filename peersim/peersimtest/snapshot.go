package peersimtest

import (
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim"
	"github.com/chaincodekit/chaincodekit/peersim/client"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/snapshot"
	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// replay is what the replayable-ledger options ask of New.
type replay struct {
	snapshot string
	fixtures []string // CHANNEL=FILE
	clock    *time.Time
}

// WithSnapshot starts the peer from a snapshot file (written by
// Peer.Snapshot or `peersim ledger snapshot`): its channels, their state,
// private data and chaincode definitions. Chaincode is still connected
// with Connect (a snapshot holds no installed package); a chaincode the
// snapshot instantiated needs no Instantiate. A file that is not a valid
// snapshot fails the test.
func WithSnapshot(file string) Option {
	return func(s *settings) { s.replay.snapshot = file }
}

// WithFixture seeds channel's public state from a JSON file
// {"chaincode": {"key": value, ...}} (a JSON string is stored as its
// text, anything else as its JSON) before the peer starts; the channel is
// created if needed and begins at height 1. A channel cannot be both in
// the snapshot and seeded by a fixture.
func WithFixture(channel, file string) Option {
	return func(s *settings) { s.replay.fixtures = append(s.replay.fixtures, channel+"="+file) }
}

// WithDeterministicClock makes the test's blocks the same bytes from run
// to run: the organisation's keys and certificates are derived from t0
// (and the snapshot file, when WithSnapshot gives one), every proposal the
// kit's identities make has the timestamp t0 + n milliseconds and a nonce
// fixed by n, n counting the proposals from 0 (Evaluate and the kit's own
// calls included), and every signature is deterministic (RFC 6979), as
// peersim's always are. The blocks are then byte-identical as long as the
// test makes the same calls in the same order and its chaincode is
// deterministic; transactions made concurrently take their numbers in
// the order they happen to run.
func WithDeterministicClock(t0 time.Time) Option {
	return func(s *settings) { s.replay.clock = &t0 }
}

// prepare applies the options to cfg before the peer is created: the
// snapshot and fixtures, and a deterministic organisation written into the
// data directory, which the peer then loads.
func (r replay) prepare(cfg *peersim.Config) error {
	cfg.FromSnapshot = r.snapshot
	cfg.Fixtures = append(cfg.Fixtures, r.fixtures...)
	if r.clock == nil {
		return nil
	}
	det, err := r.deterministic()
	if err != nil {
		return err
	}
	for _, id := range cfg.Orgs {
		if _, err := identity.EnsureOrg(peersim.OrgDirOf(cfg.DataDir, id), orgConfig(det, id)); err != nil {
			return fmt.Errorf("deterministic organisation %s: %w", id, err)
		}
	}
	return nil
}

// org returns the organisation the kit's identities come from: the peer's,
// or with WithDeterministicClock the same folder loaded with the seed, so
// that its identities make deterministic proposals.
func (r replay) org(ps *peersim.Peer, dataDir, mspID string) (*identity.Org, error) {
	if r.clock == nil {
		return ps.OrgOf(mspID)
	}
	det, err := r.deterministic()
	if err != nil {
		return nil, err
	}
	return identity.LoadOrg(peersim.OrgDirOf(dataDir, mspID), orgConfig(det, mspID))
}

// orgConfig is the configuration of organisation mspID as the peer
// creates it, with det's seed. Each organisation has a seed of its own.
func orgConfig(det *identity.Deterministic, mspID string) identity.Config {
	cfg := identity.DefaultConfig()
	cfg.MSPID, cfg.Domain = mspID, peersim.OrgDomain(mspID)
	if det != nil && mspID != peersim.MSPID() {
		d := *det
		d.Seed = append(append([]byte(nil), det.Seed...), mspID...)
		det = &d
	}
	cfg.Deterministic = det
	return cfg
}

// deterministic derives the seed from the clock and the snapshot's bytes,
// so that a run restored from a snapshot does not repeat the txids of the
// run that wrote it.
func (r replay) deterministic() (*identity.Deterministic, error) {
	h := sha256.New()
	h.Write([]byte("peersimtest\x00" + r.clock.UTC().Format(time.RFC3339Nano)))
	if r.snapshot != "" {
		raw, err := os.ReadFile(r.snapshot)
		if err != nil {
			return nil, fmt.Errorf("read snapshot: %w", err)
		}
		h.Write(raw)
	}
	return &identity.Deterministic{Seed: h.Sum(nil), Time: *r.clock}, nil
}

// Snapshot writes the peer's channels to file as a snapshot (package
// peersim/snapshot), for WithSnapshot or `peersim node start
// --from-snapshot`: e.g. from a failing test, so that its exact state can
// be reproduced elsewhere.
func (p *Peer) Snapshot(t TB, file string) {
	t.Helper()
	f, err := p.peer.Snapshot()
	if err != nil {
		t.Fatalf("peersimtest: snapshot: %v", err)
	}
	if err := snapshot.WriteFile(file, f); err != nil {
		t.Fatalf("peersimtest: %v", err)
	}
}

// Blocks returns the committed blocks of channel that the peer holds, in
// order (from the snapshot's last block on a channel WithSnapshot
// restored), each marshalled as the peer stores it: what a test compares to
// show that two runs made the same chain.
func (p *Peer) Blocks(t TB, channel string) [][]byte {
	t.Helper()
	c := p.Client(t, p.Admin(t))
	ctx, cancel := p.context()
	defer cancel()
	call := func(args ...string) []byte {
		inv := client.Invocation{Chaincode: "qscc"}
		for _, a := range args {
			inv.Args = append(inv.Args, []byte(a))
		}
		payload, err := c.Evaluate(ctx, inv)
		if err != nil {
			t.Fatalf("peersimtest: qscc %s: %v", args[0], err)
		}
		return payload
	}
	info := &common.BlockchainInfo{}
	if err := proto.Unmarshal(call("GetChainInfo", channel), info); err != nil {
		t.Fatalf("peersimtest: chain info of %s: %v", channel, err)
	}
	ps, err := p.peer.Snapshot()
	if err != nil {
		t.Fatalf("peersimtest: %v", err)
	}
	first := ps.Exports()[channel].First
	var blocks [][]byte
	for n := first; n < info.GetHeight(); n++ {
		blocks = append(blocks, call("GetBlockByNumber", channel, strconv.FormatUint(n, 10)))
	}
	return blocks
}

// Attach connects cc as name, a chaincode a snapshot (WithSnapshot)
// already instantiated, and returns it without running Init again: Deploy
// for a restored peer. Version and Channel say which definition (default
// 1.0 on mychannel); the test fails if the channel has no such definition.
func (p *Peer) Attach(t TB, name string, cc shim.Chaincode, opts ...DeployOption) *Chaincode {
	t.Helper()
	d := deploymentOf(opts)
	ctx, cancel := p.context()
	defer cancel()
	defs, err := p.Client(t, p.Admin(t)).InstantiatedChaincodes(ctx, d.channel)
	if err != nil {
		t.Fatalf("peersimtest: attach %s: %v", name, err)
	}
	found := false
	for _, def := range defs {
		found = found || def.GetName() == name && def.GetVersion() == d.version
	}
	if !found {
		t.Fatalf("peersimtest: attach %s: channel %s has no definition of %s:%s; restore one with WithSnapshot, or use Deploy", name, d.channel, name, d.version)
	}
	p.Connect(t, name, d.version, cc, d.metaInf)
	return &Chaincode{peer: p, name: name, version: d.version, channel: d.channel}
}
