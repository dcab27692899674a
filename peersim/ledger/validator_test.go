package ledger

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

func TestValidationCodes(t *testing.T) {
	c := newClient(t, org1)
	readWrite := func(keys ...string) func(s *Simulator) error {
		return func(s *Simulator) error {
			for _, k := range keys {
				v, err := s.GetState("cc", k)
				if err != nil {
					return err
				}
				if err := s.SetState("cc", k, append(v, '+')); err != nil {
					return err
				}
			}
			return nil
		}
	}
	scan := func(start, end string) func(s *Simulator) error {
		return func(s *Simulator) error {
			it, err := s.GetStateRangeScanIterator("cc", start, end)
			if err != nil {
				return err
			}
			defer it.Close()
			for {
				kv, err := it.Next()
				if err != nil || kv == nil {
					return err
				}
			}
		}
	}
	scanFirst := func(start string) func(s *Simulator) error {
		return func(s *Simulator) error {
			it, err := s.GetStateRangeScanIterator("cc", start, "")
			if err != nil {
				return err
			}
			defer it.Close()
			_, err = it.Next()
			return err
		}
	}
	page := func(start string, size int32) func(s *Simulator) error {
		return func(s *Simulator) error {
			it, err := s.GetStateRangeScanIteratorWithPagination("cc", start, "", size)
			if err != nil {
				return err
			}
			defer it.Close()
			for {
				kv, err := it.Next()
				if err != nil || kv == nil {
					return err
				}
			}
		}
	}
	write := func(k, v string) func(s *Simulator) error {
		return func(s *Simulator) error { return s.SetState("cc", k, []byte(v)) }
	}
	tests := []struct {
		name string
		// txs are simulated against the same committed state, then
		// committed together in one block.
		txs  []func(s *Simulator) error
		want []peer.TxValidationCode
	}{
		{"two transactions reading and writing the same key: the second is an MVCC conflict",
			[]func(s *Simulator) error{readWrite("a"), readWrite("a")},
			[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_MVCC_READ_CONFLICT}},
		{"transactions on different keys are both valid",
			[]func(s *Simulator) error{readWrite("a"), readWrite("b")},
			[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_VALID}},
		{"blind writes of the same key never conflict",
			[]func(s *Simulator) error{write("a", "1"), write("a", "2")},
			[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_VALID}},
		{"an insert into a scanned range by an earlier transaction is a phantom read",
			[]func(s *Simulator) error{write("b2", "new"), scan("b", "c")},
			[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_PHANTOM_READ_CONFLICT}},
		{"an update of a scanned key by an earlier transaction is a phantom read",
			[]func(s *Simulator) error{write("b", "changed"), scan("a", "")},
			[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_PHANTOM_READ_CONFLICT}},
		{"an insert after the last key a stopped iterator returned is not a conflict",
			[]func(s *Simulator) error{write("b2", "new"), scanFirst("a")},
			[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_VALID}},
		{"an insert before the last key a stopped iterator returned is a phantom read",
			[]func(s *Simulator) error{write("0", "new"), scanFirst("")},
			[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_PHANTOM_READ_CONFLICT}},
		{"an insert after a full page, inside the requested range, is a phantom read as on Fabric",
			[]func(s *Simulator) error{write("b2", "new"), page("a", 1)},
			[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_PHANTOM_READ_CONFLICT}},
		{"an insert outside the scanned range is not a conflict",
			[]func(s *Simulator) error{write("d", "new"), scan("a", "c")},
			[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_VALID}},
		{"an invalid transaction's writes do not conflict with later ones",
			[]func(s *Simulator) error{readWrite("a"), readWrite("a", "b"), readWrite("b")},
			[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_MVCC_READ_CONFLICT, peer.TxValidationCode_VALID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLedger(t)
			put(t, l, "cc", "a", "1", "b", "2", "c", "3")
			envs := make([]*common.Envelope, len(tc.txs))
			for i, fn := range tc.txs {
				envs[i] = c.propose(t, "cc").endorse(t, l, fn)
			}
			cb := commit(t, l, envs...)
			filter := cb.Block.GetMetadata().GetMetadata()[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
			for i, want := range tc.want {
				if got := cb.Txs[i].Code; got != want {
					t.Errorf("tx %d: code %s (%v), want %s", i, got, cb.Txs[i].Err, want)
				}
				if peer.TxValidationCode(filter[i]) != want {
					t.Errorf("tx %d: block metadata filter %d, want %s", i, filter[i], want)
				}
				if (want == peer.TxValidationCode_VALID) != (cb.Txs[i].Err == nil) {
					t.Errorf("tx %d: code %s with reason %v", i, want, cb.Txs[i].Err)
				}
			}
		})
	}
}

func TestMVCCConflictCarriesKeyVersionsAndWriter(t *testing.T) {
	l := newLedger(t)
	first := put(t, l, "cc", "k", "v1")
	c := newClient(t, org1)
	stale := c.propose(t, "cc").endorse(t, l, func(s *Simulator) error {
		_, err := s.GetState("cc", "k")
		return err
	})
	winner := c.propose(t, "cc")
	commitValid(t, l, winner.endorse(t, l, func(s *Simulator) error { return s.SetState("cc", "k", []byte("v2")) }))
	cb := commit(t, l, stale)
	var me *MVCCConflictError
	if !errors.As(cb.Txs[0].Err, &me) {
		t.Fatalf("reason %v is not an MVCCConflictError", cb.Txs[0].Err)
	}
	read := Version{BlockNum: first.Block.GetHeader().GetNumber()}
	committed := Version{BlockNum: read.BlockNum + 1}
	if me.Key != "k" || me.Namespace != "cc" || *me.Read != read || *me.Committed != committed || me.WriterTxID != winner.txID {
		t.Errorf("conflict %+v: want key k in cc, read %s, committed %s by %s", me, read, committed, winner.txID)
	}
	var ve *ValidationError
	if !errors.As(cb.Txs[0].Err, &ve) || ve.Code != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Errorf("reason %v is not a ValidationError with MVCC_READ_CONFLICT", cb.Txs[0].Err)
	}
}

func TestInvalidTransactionsChangeNothing(t *testing.T) {
	l := newLedger(t)
	put(t, l, "cc", "k", "v1")
	c := newClient(t, org1)
	stale := c.propose(t, "cc").endorse(t, l, func(s *Simulator) error {
		if _, err := s.GetState("cc", "k"); err != nil {
			return err
		}
		return s.SetState("cc", "other", []byte("never"))
	})
	put(t, l, "cc", "k", "v2")
	cb := commit(t, l, stale)
	if cb.Txs[0].Code != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Fatalf("code %s, want MVCC_READ_CONFLICT", cb.Txs[0].Code)
	}
	if v := read(t, l, "cc", "other"); v != nil {
		t.Errorf("invalid transaction's write is visible: %q", v)
	}
	s, _ := l.NewSimulator("h", org1)
	defer s.Done()
	it, err := s.GetHistoryForKey("cc", "other")
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if km, _ := it.Next(); km != nil {
		t.Errorf("invalid transaction is in history: %v", km)
	}
}

func TestDuplicateTxID(t *testing.T) {
	l := newLedger(t)
	c := newClient(t, org1)
	p := c.propose(t, "cc")
	env := p.endorse(t, l, func(s *Simulator) error { return s.SetState("cc", "k", []byte("v")) })
	cb := commit(t, l, env, env)
	if cb.Txs[0].Code != peer.TxValidationCode_VALID || cb.Txs[1].Code != peer.TxValidationCode_DUPLICATE_TXID {
		t.Fatalf("codes %s, %s; want VALID, DUPLICATE_TXID", cb.Txs[0].Code, cb.Txs[1].Code)
	}
	cb = commit(t, l, env)
	var de *DuplicateTxError
	if cb.Txs[0].Code != peer.TxValidationCode_DUPLICATE_TXID || !errors.As(cb.Txs[0].Err, &de) || de.BlockNum != 1 {
		t.Fatalf("resubmission in a later block: code %s, reason %v", cb.Txs[0].Code, cb.Txs[0].Err)
	}
	loc, err := l.TxStatus(p.txID)
	if err != nil || loc.BlockNum != 1 || loc.Code != int32(peer.TxValidationCode_VALID) {
		t.Errorf("TxStatus = %+v, %v; want block 1 VALID", loc, err)
	}
}

func secretCollection(t *testing.T) *ChaincodeDefinition {
	return &ChaincodeDefinition{Name: "cc", Version: "2", Collections: collections(
		collSpec{name: "secret", members: []string{"Org1MSP"}, maxPeers: 1, endorsers: []string{"Org1MSP"}})}
}

func TestEndorsementPolicies(t *testing.T) {
	c := newClient(t, org1)
	// vp is the validation parameter OR('<mspID>.peer').
	vp := func(mspID string) []byte {
		b, err := proto.Marshal(anyOf(msp.MSPRole_PEER, mspID))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		// reject names the policies the fake checker refuses: "cc" for the
		// chaincode policy, "key:<k>" for a key-level policy.
		reject string
		setup  func(t *testing.T, l *Ledger)
		tx     func(s *Simulator) error
		want   peer.TxValidationCode
		asked  string
	}{
		{"a write needs the chaincode policy", "cc", nil,
			func(s *Simulator) error { return s.SetState("cc", "k", []byte("v")) },
			peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, "cc"},
		{"a read-only transaction still needs the chaincode policy", "cc", nil,
			func(s *Simulator) error { _, err := s.GetState("cc", "k"); return err },
			peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, "cc"},
		{"a key with a validation parameter needs its key-level policy instead", "cc",
			func(t *testing.T, l *Ledger) {
				put(t, l, "cc", "k", "v")
				env := c.propose(t, "cc").endorse(t, l, func(s *Simulator) error {
					return s.SetStateMetadata("cc", "k", map[string][]byte{"VALIDATION_PARAMETER": vp("Org2MSP")})
				})
				commitValid(t, l, env)
			},
			func(s *Simulator) error { return s.SetState("cc", "k", []byte("v2")) },
			peer.TxValidationCode_VALID, "key:k"},
		{"a failing key-level policy invalidates the transaction", "key:k",
			func(t *testing.T, l *Ledger) {
				put(t, l, "cc", "k", "v")
				env := c.propose(t, "cc").endorse(t, l, func(s *Simulator) error {
					return s.SetStateMetadata("cc", "k", map[string][]byte{"VALIDATION_PARAMETER": vp("Org2MSP")})
				})
				commitValid(t, l, env)
			},
			func(s *Simulator) error { return s.SetState("cc", "k", []byte("v2")) },
			peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, "key:k"},
		{"a private write needs its collection's endorsement policy when it has one", "coll:secret",
			func(t *testing.T, l *Ledger) { define(t, l, secretCollection(t)) },
			func(s *Simulator) error { return s.SetPrivateData("cc", "secret", "k", []byte("v")) },
			peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, "coll:secret"},
		{"a collection's endorsement policy replaces the chaincode's for its writes", "cc",
			func(t *testing.T, l *Ledger) { define(t, l, secretCollection(t)) },
			func(s *Simulator) error { return s.SetPrivateData("cc", "secret", "k", []byte("v")) },
			peer.TxValidationCode_VALID, "coll:secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var asked []string
			armed := false
			fp := &fakePolicy{endorsements: func(p Policy, prp []byte, es []*peer.Endorsement) error {
				id := p.Namespace
				switch {
				case p.Key != "":
					id = "key:" + p.Key
				case p.Collection != "":
					id = "coll:" + p.Collection
				}
				if !armed || p.Namespace == LSCCNamespace {
					return nil
				}
				asked = append(asked, id)
				if id == tc.reject {
					return errors.New("signature set did not satisfy policy")
				}
				return nil
			}}
			l := openTestLedger(t, testOpts{policy: fp})
			if tc.setup != nil {
				tc.setup(t, l)
			}
			armed = true
			cb := commit(t, l, c.propose(t, "cc").endorse(t, l, tc.tx))
			if cb.Txs[0].Code != tc.want {
				t.Fatalf("code %s (%v), want %s", cb.Txs[0].Code, cb.Txs[0].Err, tc.want)
			}
			if !strings.Contains(strings.Join(asked, ","), tc.asked) {
				t.Errorf("policies checked %v, want %s among them", asked, tc.asked)
			}
			var ee *EndorsementError
			if tc.want == peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE && !errors.As(cb.Txs[0].Err, &ee) {
				t.Errorf("reason %v is not an EndorsementError", cb.Txs[0].Err)
			}
		})
	}
}

func TestMalformedEnvelopesGetACode(t *testing.T) {
	l := newLedger(t)
	c := newClient(t, org1)
	good := c.propose(t, "cc").endorse(t, l, func(s *Simulator) error { return s.SetState("cc", "k", []byte("v")) })
	wrongChannel := func() *common.Envelope {
		p := c.propose(t, "cc")
		env := p.endorse(t, l, func(s *Simulator) error { return nil })
		pl := &common.Payload{}
		_ = proto.Unmarshal(env.Payload, pl)
		ch := &common.ChannelHeader{}
		_ = proto.Unmarshal(pl.Header.ChannelHeader, ch)
		ch.ChannelId = "elsewhere"
		pl.Header.ChannelHeader, _ = proto.Marshal(ch)
		env.Payload, _ = proto.Marshal(pl)
		return env
	}
	badTxID := func() *common.Envelope {
		p := c.propose(t, "cc")
		p.txID = "not-derived"
		return p.endorse(t, l, func(s *Simulator) error { return nil })
	}
	tests := []struct {
		name string
		env  *common.Envelope
		want peer.TxValidationCode
	}{
		{"an empty envelope", &common.Envelope{}, peer.TxValidationCode_NIL_ENVELOPE},
		{"a payload that is not a payload", &common.Envelope{Payload: []byte{0xff, 0xff}}, peer.TxValidationCode_BAD_PAYLOAD},
		{"a transaction for another channel", wrongChannel(), peer.TxValidationCode_TARGET_CHAIN_NOT_FOUND},
		{"a transaction ID not derived from nonce and creator", badTxID(), peer.TxValidationCode_BAD_PROPOSAL_TXID},
		{"a well-formed transaction", good, peer.TxValidationCode_VALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cb := commit(t, l, tc.env)
			if cb.Txs[0].Code != tc.want {
				t.Errorf("code %s (%v), want %s", cb.Txs[0].Code, cb.Txs[0].Err, tc.want)
			}
		})
	}
}

func TestBlocksAreChainedAsFabricChainsThem(t *testing.T) {
	l := newLedger(t)
	for i := range 3 {
		put(t, l, "cc", "k", string(rune('a'+i)))
	}
	if l.Height() != 4 {
		t.Fatalf("height %d, want 4 (definition + 3)", l.Height())
	}
	var prev *common.Block
	for n := range uint64(4) {
		b, err := l.GetBlockByNumber(n)
		if err != nil {
			t.Fatal(err)
		}
		if b.Header.Number != n {
			t.Errorf("block %d has number %d", n, b.Header.Number)
		}
		if !bytes.Equal(b.Header.DataHash, BlockDataHash(b.Data)) {
			t.Errorf("block %d data hash mismatch", n)
		}
		if prev != nil && !bytes.Equal(b.Header.PreviousHash, BlockHeaderHash(prev.Header)) {
			t.Errorf("block %d previous hash does not match block %d's header hash", n, n-1)
		}
		if len(b.Metadata.Metadata) != len(common.BlockMetadataIndex_name) {
			t.Errorf("block %d has %d metadata entries", n, len(b.Metadata.Metadata))
		}
		prev = b
	}
	if _, err := l.GetBlockByNumber(4); !errors.Is(err, ErrBlockNotFound) {
		t.Errorf("block 4: %v, want ErrBlockNotFound", err)
	}
}

func TestOversizedKeysAreRejectedNotFatal(t *testing.T) {
	l := newLedger(t)
	big := strings.Repeat("k", maxKeyBytes)
	s, err := l.NewSimulator("tx", org1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetState("cc", big, []byte("v")); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("SetState with a %d-byte key: %v, want ErrInvalidArgument", len(big), err)
	}
	s.Done()
	// A client that bypasses the simulator gets INVALID_WRITESET, and the
	// rest of the block commits.
	p := newClient(t, org1).propose(t, "cc")
	b := newNSBuilder()
	b.writes.set(big, write{value: []byte("v")})
	res, err := buildResults(p.txID, map[string]*nsBuilder{"cc": b})
	if err != nil {
		t.Fatal(err)
	}
	good := newClient(t, org1).propose(t, "cc").endorse(t, l, func(s *Simulator) error { return s.SetState("cc", "ok", []byte("v")) })
	cb := commit(t, l, p.envelope(t, res), good)
	if cb.Txs[0].Code != peer.TxValidationCode_INVALID_WRITESET || cb.Txs[1].Code != peer.TxValidationCode_VALID {
		t.Errorf("codes %s (%v), %s; want INVALID_WRITESET, VALID", cb.Txs[0].Code, cb.Txs[0].Err, cb.Txs[1].Code)
	}
}

func TestDuplicateOfAnInvalidTransactionInTheSameBlock(t *testing.T) {
	l := newLedger(t)
	put(t, l, "cc", "k", "v1")
	c := newClient(t, org1)
	p := c.propose(t, "cc")
	stale := p.endorse(t, l, func(s *Simulator) error {
		if _, err := s.GetState("cc", "k"); err != nil {
			return err
		}
		return s.SetState("cc", "k", []byte("mine"))
	})
	writer := c.propose(t, "cc").endorse(t, l, func(s *Simulator) error { return s.SetState("cc", "k", []byte("theirs")) })
	cb := commit(t, l, writer, stale, stale)
	var de *DuplicateTxError
	if cb.Txs[1].Code != peer.TxValidationCode_MVCC_READ_CONFLICT || cb.Txs[2].Code != peer.TxValidationCode_DUPLICATE_TXID ||
		!errors.As(cb.Txs[2].Err, &de) || de.TxNum != 1 {
		t.Errorf("codes %s, %s (%v); want MVCC_READ_CONFLICT then DUPLICATE_TXID pointing at tx 1", cb.Txs[1].Code, cb.Txs[2].Code, cb.Txs[2].Err)
	}
}

func TestValidationParameterChangedEarlierInTheBlock(t *testing.T) {
	l := newLedger(t)
	put(t, l, "cc", "k", "v")
	c := newClient(t, org1)
	vp, err := proto.Marshal(anyOf(msp.MSPRole_PEER, "Org1MSP"))
	if err != nil {
		t.Fatal(err)
	}
	setVP := c.propose(t, "cc").endorse(t, l, func(s *Simulator) error {
		return s.SetStateMetadata("cc", "k", map[string][]byte{"VALIDATION_PARAMETER": vp})
	})
	write := c.propose(t, "cc").endorse(t, l, func(s *Simulator) error { return s.SetState("cc", "k", []byte("w")) })
	cb := commit(t, l, setVP, write)
	var ee *EndorsementError
	if cb.Txs[0].Code != peer.TxValidationCode_VALID || cb.Txs[1].Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE || !errors.As(cb.Txs[1].Err, &ee) || ee.Key != "k" {
		t.Errorf("codes %s, %s (%v); want VALID then ENDORSEMENT_POLICY_FAILURE on key k", cb.Txs[0].Code, cb.Txs[1].Code, cb.Txs[1].Err)
	}
	// The metadata committed and the value kept; a value write later keeps it.
	put(t, l, "cc", "k", "x")
	_, err = l.Simulate("m", org1, func(s *Simulator) error {
		md, err := s.GetStateMetadata("cc", "k")
		if err == nil && !bytes.Equal(md["VALIDATION_PARAMETER"], vp) {
			t.Errorf("metadata %v after a value-only write, want the validation parameter kept", md)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A store that fails while validating a transaction makes it
// INVALID_OTHER_REASON with the store's error, not an endorsement failure.
func TestAnUnreadableRecordIsNotAnEndorsementFailure(t *testing.T) {
	l := newLedger(t)
	put(t, l, "cc", "k", "v")
	env := newClient(t, org1).propose(t, "cc").endorse(t, l, func(s *Simulator) error { return s.SetState("cc", "k", []byte("x")) })
	corrupt := &batch{}
	corrupt.put(bucketState, stateKey("cc", "k"), []byte{0xff, 0xff, 0xff})
	if err := l.st.apply(corrupt); err != nil {
		t.Fatal(err)
	}
	cb := commit(t, l, env)
	if cb.Txs[0].Code != peer.TxValidationCode_INVALID_OTHER_REASON || !errors.Is(cb.Txs[0].Err, ErrCorrupt) {
		t.Errorf("code %s (%v), want INVALID_OTHER_REASON wrapping ErrCorrupt", cb.Txs[0].Code, cb.Txs[0].Err)
	}
}

// A transaction whose writes cannot be applied (here: a committed record it
// overwrites became unreadable after validation read it) leaves the block
// view as it was: the writes it staged before the failure are undone, so
// the invalid transaction changes nothing.
func TestApplyUndoesStagedWritesOnFailure(t *testing.T) {
	l := newLedger(t)
	put(t, l, "cc", "k", "v")
	c := newClient(t, org1)
	earlier := c.propose(t, "cc").endorse(t, l, func(s *Simulator) error { return s.SetState("cc", "b", []byte("kept")) })
	failing := c.propose(t, "cc").endorse(t, l, func(s *Simulator) error {
		if err := s.SetState("cc", "a", []byte("staged")); err != nil { // applied before "k"
			return err
		}
		return s.SetState("cc", "k", []byte("x"))
	})
	corrupt := &batch{}
	corrupt.put(bucketState, stateKey("cc", "k"), []byte{0xff, 0xff, 0xff})
	if err := l.st.apply(corrupt); err != nil {
		t.Fatal(err)
	}
	snap, err := l.st.snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.release()
	view := newBlockView(l, snap, l.Height())
	for i, env := range []*common.Envelope{earlier, failing} {
		tx, err := parseEnvelope(env, l.ChannelID())
		if err != nil {
			t.Fatal(err)
		}
		err = view.apply(tx, uint64(i), nil)
		if (i == 0) != (err == nil) {
			t.Fatalf("apply tx %d: %v", i, err)
		}
		if i == 1 && !errors.Is(err, ErrCorrupt) {
			t.Errorf("apply: %v, want ErrCorrupt", err)
		}
	}
	if _, ok := view.pub[string(stateKey("cc", "a"))]; ok {
		t.Error(`the failed transaction's write of "a" stayed in the block view`)
	}
	if _, ok := view.pub[string(stateKey("cc", "b"))]; !ok {
		t.Error(`the earlier transaction's write of "b" was undone too`)
	}
	if len(view.history) != 1 || view.history[0].key != "b" {
		t.Errorf("history entries %+v, want only b's", view.history)
	}
}
