package ledger

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// exportedLedger is a ledger with public state, a key-level endorsement
// policy, private data in two collections (one with blockToLive) and an
// lscc definition, and its export.
func exportedLedger(t *testing.T, backend string) (*Ledger, *Export) {
	t.Helper()
	l := openTestLedger(t, testOpts{backend: backend})
	define(t, l, &ChaincodeDefinition{Name: "cc", Version: "1", Collections: testCollections()})
	put(t, l, "cc", "a", "1", "b", "2")
	c := newClient(t, org1)
	commitValid(t, l, c.propose(t, "cc").endorse(t, l, func(s *Simulator) error {
		return s.SetStateMetadata("cc", "a", map[string][]byte{"VALIDATION_PARAMETER": []byte("policy")})
	}))
	putPvt(t, l, c, "shared", "s", "secret")
	putPvt(t, l, c, "org1only", "o", "mine")
	e, err := l.Export()
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	return l, e
}

func TestExportImportRoundTrip(t *testing.T) {
	for _, backend := range []string{BackendMemory, BackendBolt} {
		t.Run("a "+backend+" ledger restores everything it exported", func(t *testing.T) {
			src, e := exportedLedger(t, backend)
			dst := openTestLedger(t, testOpts{backend: backend, bare: true})
			if err := dst.Import(e); err != nil {
				t.Fatalf("import: %v", err)
			}
			again, err := dst.Export()
			if err != nil {
				t.Fatal(err)
			}
			e.First = e.Height - 1 // the restored ledger holds its last block only
			if d := cmp.Diff(e, again); d != "" {
				t.Fatalf("export of the restored ledger differs (-want +got):\n%s", d)
			}
			srcInfo, _ := src.Info()
			dstInfo, err := dst.Info()
			if err != nil || dstInfo.GetHeight() != srcInfo.GetHeight() ||
				!bytes.Equal(dstInfo.GetCurrentBlockHash(), srcInfo.GetCurrentBlockHash()) ||
				!bytes.Equal(dstInfo.GetPreviousBlockHash(), srcInfo.GetPreviousBlockHash()) {
				t.Fatalf("chain info %v, %v; want %v", dstInfo, err, srcInfo)
			}
			if v := read(t, dst, "cc", "b"); string(v) != "2" {
				t.Fatalf("b = %q, want 2", v)
			}
			if v, err := readPvt(dst, org1, "shared", "s"); err != nil || string(v) != "secret" {
				t.Fatalf("private s = %q, %v; want secret", v, err)
			}
			if _, err := dst.GetBlockByNumber(0); !errors.Is(err, ErrBlockNotFound) {
				t.Fatalf("block 0 of a restored ledger: %v, want ErrBlockNotFound", err)
			}
			// The next block chains onto the snapshot's last block.
			cb := put(t, dst, "cc", "b", "3")
			if n := cb.Block.GetHeader().GetNumber(); n != e.Height {
				t.Fatalf("next block is %d, want %d", n, e.Height)
			}
			if !bytes.Equal(cb.Block.GetHeader().GetPreviousHash(), e.CurrentBlockHash) {
				t.Fatal("next block's previous hash is not the snapshot's current block hash")
			}
		})
	}
	t.Run("a transaction endorsed on the source commits on the restored ledger, and only once", func(t *testing.T) {
		src, _ := exportedLedger(t, BackendMemory)
		p := newClient(t, org1).propose(t, "cc")
		env := p.endorse(t, src, func(s *Simulator) error {
			v, err := s.GetState("cc", "b")
			if err != nil {
				return err
			}
			return s.SetState("cc", "b", append(v, '+'))
		})
		e, err := src.Export()
		if err != nil {
			t.Fatal(err)
		}
		dst := openTestLedger(t, testOpts{bare: true})
		if err := dst.Import(e); err != nil {
			t.Fatal(err)
		}
		commitValid(t, dst, env)
		if cb := commit(t, dst, env); cb.Txs[0].Code != peer.TxValidationCode_DUPLICATE_TXID {
			t.Fatalf("the same transaction again: %v, want DUPLICATE_TXID", cb.Txs[0].Code)
		}
	})
	t.Run("blockToLive still purges restored private data", func(t *testing.T) {
		_, e := exportedLedger(t, BackendMemory)
		dst := openTestLedger(t, testOpts{bare: true})
		if err := dst.Import(e); err != nil {
			t.Fatal(err)
		}
		for range 3 { // org1only's blockToLive is 2
			put(t, dst, "cc", "filler", "x")
		}
		if v, err := readPvt(dst, org1, "org1only", "o"); err != nil || v != nil {
			t.Fatalf("after blockToLive: %q, %v; want purged", v, err)
		}
	})
	t.Run("a restored bolt ledger reopens at its height", func(t *testing.T) {
		_, e := exportedLedger(t, BackendMemory)
		dir := t.TempDir()
		dst := openTestLedger(t, testOpts{backend: BackendBolt, dir: dir, bare: true})
		if err := dst.Import(e); err != nil {
			t.Fatal(err)
		}
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}
		re := openTestLedger(t, testOpts{backend: BackendBolt, dir: dir, bare: true})
		info, err := re.Info()
		if err != nil || info.GetHeight() != e.Height || !bytes.Equal(info.GetCurrentBlockHash(), e.CurrentBlockHash) {
			t.Fatalf("reopened: %v, %v; want height %d", info, err, e.Height)
		}
		if re.FirstBlock() != e.Height-1 {
			t.Fatalf("first block %d, want %d", re.FirstBlock(), e.Height-1)
		}
		if _, err := re.GetBlockByNumber(e.Height - 1); err != nil {
			t.Fatalf("the restored last block: %v", err)
		}
	})
}

func TestImportRefuses(t *testing.T) {
	_, good := exportedLedger(t, BackendMemory)
	clone := func(edit func(e *Export)) *Export {
		e := *good
		e.State = append([]StateEntry(nil), good.State...)
		e.Hashed = append([]HashedEntry(nil), good.Hashed...)
		e.Private = append([]PrivateEntry(nil), good.Private...)
		e.TxIDs = append([]TxIDEntry(nil), good.TxIDs...)
		edit(&e)
		return &e
	}
	for _, tc := range []struct {
		name string
		e    *Export
		want string
	}{
		{"a nil export", nil, "nil"},
		{"a height without its block hash", clone(func(e *Export) { e.CurrentBlockHash = nil }), "currentBlockHash"},
		{"entries at height 0", clone(func(e *Export) { e.Height, e.LastBlock, e.CurrentBlockHash = 0, nil, nil }), "height 0"},
		{"no last block", clone(func(e *Export) { e.LastBlock = nil }), "lastBlock is not a block"},
		{"a last block of another height", clone(func(e *Export) { e.Height++ }), "want"},
		{"a last block that is not a block", clone(func(e *Export) { e.LastBlock = []byte("junk") }), "lastBlock is not a block"},
		{"a version at the height", clone(func(e *Export) { e.State[0].Block = e.Height }), "not below the height"},
		{"an empty namespace", clone(func(e *Export) { e.State[0].Namespace = "" }), "namespace"},
		{"a key that is not UTF-8", clone(func(e *Export) { e.State[0].Key = "a\xff" }), "UTF-8"},
		{"a duplicate key", clone(func(e *Export) { e.State = append(e.State, e.State[0]) }), "duplicate key"},
		{"a short key hash", clone(func(e *Export) { e.Hashed[0].KeyHash = []byte{1} }), "keyHash has 1 bytes"},
		{"a private value whose hash differs", clone(func(e *Export) { e.Private[0].Value = []byte("tampered") }), "SHA-256"},
		{"a private value without its hash", clone(func(e *Export) { e.Hashed = nil }), "no hashed entry"},
		{"a duplicate txid", clone(func(e *Export) { e.TxIDs = append(e.TxIDs, e.TxIDs[0]) }), "duplicate"},
	} {
		t.Run("refuses "+tc.name+" and leaves the ledger empty", func(t *testing.T) {
			l := openTestLedger(t, testOpts{bare: true})
			err := l.Import(tc.e)
			if !errors.Is(err, ErrInvalidArgument) || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("import: %v; want ErrInvalidArgument mentioning %q", err, tc.want)
			}
			if e, err := l.Export(); err != nil || e.Height != 0 || len(e.State) != 0 {
				t.Fatalf("after the refusal: %+v, %v; want an empty ledger", e, err)
			}
		})
	}
	t.Run("refuses a ledger that is not empty and leaves it as it was", func(t *testing.T) {
		l := newLedger(t) // holds a definition at block 0
		before, err := l.Export()
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Import(good); !errors.Is(err, ErrNotEmpty) {
			t.Fatalf("import: %v, want ErrNotEmpty", err)
		}
		after, err := l.Export()
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(before, after); d != "" {
			t.Fatalf("the refused import changed the ledger:\n%s", d)
		}
	})
	t.Run("a store failure midway leaves the ledger empty", func(t *testing.T) {
		l := openTestLedger(t, testOpts{backend: BackendBolt, bare: true})
		l.faultHook = func(op int) error {
			if op == 3 {
				return errFault
			}
			return nil
		}
		if err := l.Import(good); !errors.Is(err, errFault) {
			t.Fatalf("import: %v, want the injected fault", err)
		}
		l.faultHook = nil
		if e, err := l.Export(); err != nil || e.Height != 0 || len(e.State) != 0 || l.Height() != 0 {
			t.Fatalf("after the failure: %+v, %v; want an empty ledger", e, err)
		}
	})
}
