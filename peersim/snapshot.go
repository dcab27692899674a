package peersim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/snapshot"
)

// Snapshot returns the peer's channels as a snapshot document: each
// channel's world state (with the lscc and _lifecycle definitions),
// private data and its hashes, read at the channel's current height.
// Each channel is read from one consistent view; the channels are read one
// after the other.
func (p *Peer) Snapshot() (*snapshot.File, error) {
	exports := map[string]*ledger.Export{}
	for _, name := range p.chans.Names() {
		l, err := p.chans.Ledger(name)
		if err != nil {
			return nil, fmt.Errorf("snapshot channel %s: %w", name, err)
		}
		e, err := l.Export()
		if errors.Is(err, ledger.ErrClosed) {
			return nil, fmt.Errorf("snapshot channel %s: %w", name, ErrStopped)
		}
		if err != nil {
			return nil, fmt.Errorf("snapshot channel %s: %w", name, err)
		}
		exports[name] = e
	}
	return snapshot.New(p.org.MSPID(), exports), nil
}

// WriteSnapshot writes Snapshot to w in the snapshot file format, which
// Config.FromSnapshot restores.
func (p *Peer) WriteSnapshot(w io.Writer) error {
	f, err := p.Snapshot()
	if err != nil {
		return err
	}
	return snapshot.Write(w, f)
}

// snapshotBytes is WriteSnapshot into memory, for pscc.
func (p *Peer) snapshotBytes() ([]byte, error) {
	var b bytes.Buffer
	if err := p.WriteSnapshot(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// restoreSet reads Config.FromSnapshot and Config.Fixtures into the
// exports the channel set imports at open; nil when neither is set.
func (p *Peer) restoreSet() (map[string]*ledger.Export, error) {
	if p.cfg.FromSnapshot == "" && len(p.cfg.Fixtures) == 0 {
		return nil, nil
	}
	out := map[string]*ledger.Export{}
	if p.cfg.FromSnapshot != "" {
		f, err := snapshot.ReadFile(p.cfg.FromSnapshot)
		if err != nil {
			return nil, fmt.Errorf("restore from snapshot: %w", err)
		}
		if f.MSPID != p.org.MSPID() {
			return nil, fmt.Errorf("restore from snapshot %s: it holds the private data of %s, and this peer is of %s",
				p.cfg.FromSnapshot, f.MSPID, p.org.MSPID())
		}
		out = f.Exports()
	}
	for _, spec := range p.cfg.Fixtures {
		name, path, err := snapshot.ParseFixtureSpec(spec, DefaultChannel)
		if err != nil {
			return nil, err
		}
		if out[name] != nil {
			return nil, fmt.Errorf("fixture %s for channel %s: the channel is already restored (from the snapshot or another fixture); give one source per channel", path, name)
		}
		fx, err := snapshot.ReadFixture(path)
		if err != nil {
			return nil, err
		}
		if out[name], err = fx.Export(); err != nil {
			return nil, fmt.Errorf("fixture %s: %w", path, err)
		}
	}
	return out, nil
}

// checkRestorable makes sure that every bolt ledger restore would write
// to is empty, before any is written, and returns the folders a failed
// restore may remove again: those it created, and those it found empty.
// A ledger that holds something is refused (ErrNotEmpty) and left alone.
func (p *Peer) checkRestorable(restore map[string]*ledger.Export) (removable []string, err error) {
	if p.cfg.Ledger != LedgerBolt {
		return nil, nil
	}
	var created []string
	defer func() {
		if err != nil {
			removeDirs(p, created)
		}
	}()
	for _, name := range slices.Sorted(maps.Keys(restore)) {
		dir := ledgerDir(p.cfg.DataDir, name)
		_, statErr := os.Stat(dir)
		if errors.Is(statErr, os.ErrNotExist) {
			created = append(created, dir)
		}
		// With the organisations the peer serves, as openChannels opens
		// it: a ledger that keeps them apart is refused without them.
		cfg := ledger.DefaultConfig(dir)
		cfg.PeerMSPIDs = p.cfg.Orgs
		l, err := ledger.Open(name, cfg)
		if err != nil {
			return nil, fmt.Errorf("restore channel %s: %w", name, err)
		}
		empty, err := l.Empty()
		height := l.Height()
		if cerr := l.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("restore channel %s: %w", name, err)
		}
		if !empty {
			return nil, fmt.Errorf("restore channel %s: its ledger in %s already holds blocks (height %d) or state: %w", name, dir, height, ledger.ErrNotEmpty)
		}
		removable = append(removable, dir)
	}
	return removable, nil
}

func removeDirs(p *Peer, dirs []string) {
	for _, dir := range dirs {
		if err := os.RemoveAll(dir); err != nil {
			p.log.Warn("remove the ledger of a failed restore", "dir", dir, "error", err)
		}
	}
}

// restoreHint completes the refusal of a ledger that is not empty.
func restoreHint(err error) error {
	if errors.Is(err, ledger.ErrNotEmpty) {
		return fmt.Errorf("%w: a snapshot or fixture restores only channels new to the peer; start without --from-snapshot and --fixtures to keep this ledger, or give another --data-dir (or --ledger memory)", err)
	}
	return err
}

// SaveSnapshot validates raw, a snapshot file as pscc GetSnapshot answers
// it (client.Snapshot), and writes it to path through a temporary file,
// so that path is either the whole snapshot or untouched. It returns the
// document, e.g. to report its channels.
func SaveSnapshot(path string, raw []byte) (*snapshot.File, error) {
	f, err := snapshot.Read(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	if err := snapshot.WriteFile(path, f); err != nil {
		return nil, err
	}
	return f, nil
}
