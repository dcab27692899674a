package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// CommitBlock validates envs in order (what does not depend on earlier
// transactions of the block in parallel first: see WithValidationWorkers), builds the next block from them and
// commits it atomically: state, private data, history, the transaction index
// and the block itself go into the store in one batch. Invalid transactions
// stay in the block with their code and change nothing. The peer's
// orderer calls it with each block it cuts; tests and tools may call it
// directly. An error means nothing was committed.
func (l *Ledger) CommitBlock(envs []*common.Envelope) (*CommittedBlock, error) {
	if len(envs) == 0 {
		return nil, fmt.Errorf("commit block on %s: no transactions: %w", l.channel, ErrInvalidArgument)
	}
	l.commitMu.Lock()
	defer l.commitMu.Unlock()
	if l.isClosed() {
		return nil, fmt.Errorf("commit block on %s: %w", l.channel, ErrClosed)
	}
	start := time.Now()
	l.mu.Lock()
	number, prevHash := l.height, l.lastHash
	l.mu.Unlock()

	snap, err := l.st.snapshot()
	if err != nil {
		return nil, fmt.Errorf("commit block %d on %s: %w", number, l.channel, err)
	}
	// The read view must be released before the write: bbolt cannot grow
	// its file while a read transaction is open.
	released := false
	release := func() {
		if !released {
			released = true
			snap.release()
		}
	}
	defer release()
	view := newBlockView(l, snap, number)

	data := make([][]byte, len(envs))
	codes := make([]byte, len(envs))
	results := make([]TxResult, len(envs))
	var stats []TxStats
	if l.observe != nil {
		stats = make([]TxStats, len(envs))
	}
	locs := map[string]TxLocation{}
	pre := l.prevalidate(view, envs)
	for i := range envs {
		p := &pre[i]
		if p.rawErr != nil {
			return nil, fmt.Errorf("commit block %d on %s: marshal transaction %d: %w", number, l.channel, i, p.rawErr)
		}
		data[i] = p.raw
		res := TxResult{Index: i}
		tx, perr := p.tx, p.perr
		res.TxID, res.ChaincodeName = tx.txID, tx.ccName
		var code peer.TxValidationCode
		var reason error
		if perr != nil {
			code, reason = parseCode(perr), perr
			if _, seen := view.txIDs[tx.txID]; tx.txID != "" && !seen {
				view.txIDs[tx.txID] = uint64(i)
			}
		} else {
			code, reason = view.validate(tx, uint64(i), p)
		}
		var own []*ownedColl
		if perr == nil {
			own = view.ownPrivate(tx, l.transient.get(tx.txID))
		}
		if code == peer.TxValidationCode_VALID {
			if err := view.apply(tx, uint64(i), own); err != nil {
				code, reason = peer.TxValidationCode_INVALID_OTHER_REASON, err
			} else {
				res.Event = tx.event
			}
		}
		// Kept whatever the verdict, as a Fabric peer keeps the private
		// data of invalid transactions (capability V1_4_2 and later).
		view.recordPrivate(uint64(i), own)
		if code != peer.TxValidationCode_VALID {
			res.Err = &ValidationError{TxID: tx.txID, Code: code, Err: reason}
			l.log.Info("transaction invalid", "block", number, "tx", i, "txid", tx.txID, "code", code.String(), "reason", reason)
		}
		// The first appearance of a txID is the one the index keeps.
		if _, dup := locs[tx.txID]; tx.txID != "" && !dup && code != peer.TxValidationCode_DUPLICATE_TXID {
			locs[tx.txID] = TxLocation{BlockNum: number, TxNum: uint64(i), Code: int32(code)}
		}
		res.Code = code
		codes[i] = byte(code)
		results[i] = res
		if stats != nil {
			stats[i] = TxStats{Type: tx.headerType, ChaincodeName: tx.ccName, ChaincodeVersion: tx.ccVersion, Code: code}
		}
	}
	block := newBlock(number, prevHash, data, codes)
	stored, err := encodeResults(results)
	if err != nil {
		return nil, fmt.Errorf("commit block %d on %s: %w", number, l.channel, err)
	}
	b, purged, raw, err := view.buildBatch(block, stored, locs, l.blockBuf)
	if err != nil {
		return nil, fmt.Errorf("commit block %d on %s: %w", number, l.channel, err)
	}
	b.hook = l.faultHook
	release()
	prepared := time.Now()
	err = l.st.apply(b)
	// The store copied the block's bytes if it keeps them (apply's
	// contract): the next commit may marshal its block into them.
	if cap(raw) <= maxKeptBlockBuffer {
		l.blockBuf = raw[:0]
	}
	if err != nil {
		return nil, fmt.Errorf("commit block %d on %s: %w", number, l.channel, err)
	}
	committed := time.Now()
	l.afterCommit(view, purged, results)
	l.mu.Lock()
	l.height = number + 1
	l.lastHash = BlockHeaderHash(block.GetHeader())
	close(l.notify)
	l.notify = make(chan struct{})
	l.mu.Unlock()
	l.log.Debug("block committed", "block", number, "txs", len(envs))
	if l.observe != nil {
		l.observe(CommitStats{Channel: l.channel, Block: number, Processing: prepared.Sub(start), Storage: committed.Sub(prepared), Txs: stats})
	}
	return &CommittedBlock{Block: block, Txs: results}, nil
}

// afterCommit brings in-memory indexes up to date and drops the
// transient data of the block's transactions.
func (l *Ledger) afterCommit(v *blockView, purged []purgedKey, results []TxResult) {
	for k, p := range v.pub {
		ns, key := splitStateKey(k)
		if p.rec == nil {
			l.rich.update(pvtSpace{}, ns, "", key, nil, true)
		} else {
			l.rich.update(pvtSpace{}, ns, "", key, p.rec.Value, false)
		}
	}
	for si, sp := range l.spaces {
		for k, p := range v.pvt[si] {
			ns, coll := splitCollPrefix(k[:len(k)-len(p.clearKey)])
			if p.rec == nil {
				l.rich.update(sp, ns, coll, p.clearKey, nil, true)
			} else {
				l.rich.update(sp, ns, coll, p.clearKey, p.rec.Value, false)
			}
		}
	}
	for _, pk := range purged {
		ns, coll := splitCollPrefix(pk.prefix)
		l.rich.update(l.spaces[pk.space], ns, coll, pk.key, nil, true)
	}
	ids := make([]string, 0, len(results))
	for _, r := range results {
		ids = append(ids, r.TxID)
	}
	l.transient.remove(ids, v.number+1)
}

func splitStateKey(k string) (ns, key string) {
	for i := 0; i < len(k); i++ {
		if k[i] == 0 {
			return k[:i], k[i+1:]
		}
	}
	return k, ""
}

// splitCollPrefix splits "ns 0 coll 0".
func splitCollPrefix(p string) (ns, coll string) {
	ns, rest := splitStateKey(p)
	coll, _ = splitStateKey(rest)
	return ns, coll
}

// storedResult is the persisted verdict on one transaction, enough to
// rebuild TxResult (with its typed reason) when a subscriber replays.
type storedResult struct {
	TxID      string             `json:"txid"`
	Code      int32              `json:"code"`
	Chaincode string             `json:"cc,omitempty"`
	Event     []byte             `json:"event,omitempty"`
	Reason    string             `json:"reason,omitempty"`
	MVCC      *MVCCConflictError `json:"mvcc,omitempty"`
	Phantom   *PhantomReadError  `json:"phantom,omitempty"`
	Dup       *DuplicateTxError  `json:"dup,omitempty"`
	Endorse   *storedEndorse     `json:"endorse,omitempty"`
}

type storedEndorse struct {
	Namespace, Collection, Key, Err string
}

func encodeResults(rs []TxResult) ([]byte, error) {
	out := make([]storedResult, len(rs))
	for i, r := range rs {
		s := storedResult{TxID: r.TxID, Code: int32(r.Code), Chaincode: r.ChaincodeName}
		if r.Event != nil {
			b, err := proto.Marshal(r.Event)
			if err != nil {
				return nil, fmt.Errorf("marshal event of %s: %w", r.TxID, err)
			}
			s.Event = b
		}
		var ve *ValidationError
		if errors.As(r.Err, &ve) {
			s.Reason = ve.Err.Error()
			var me *MVCCConflictError
			var pe *PhantomReadError
			var de *DuplicateTxError
			var ee *EndorsementError
			switch {
			case errors.As(ve.Err, &me):
				s.MVCC = me
			case errors.As(ve.Err, &pe):
				s.Phantom = pe
			case errors.As(ve.Err, &de):
				s.Dup = de
			case errors.As(ve.Err, &ee):
				s.Endorse = &storedEndorse{Namespace: ee.Namespace, Collection: ee.Collection, Key: ee.Key, Err: ee.Err.Error()}
			}
		}
		out[i] = s
	}
	return json.Marshal(out)
}

func decodeResults(b []byte) ([]TxResult, error) {
	var in []storedResult
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("decode transaction results: %v: %w", err, ErrCorrupt)
	}
	out := make([]TxResult, len(in))
	for i, s := range in {
		r := TxResult{TxID: s.TxID, Index: i, Code: peer.TxValidationCode(s.Code), ChaincodeName: s.Chaincode}
		if len(s.Event) > 0 {
			r.Event = &peer.ChaincodeEvent{}
			if err := proto.Unmarshal(s.Event, r.Event); err != nil {
				return nil, fmt.Errorf("decode event of %s: %v: %w", s.TxID, err, ErrCorrupt)
			}
		}
		if r.Code != peer.TxValidationCode_VALID {
			var reason error
			switch {
			case s.MVCC != nil:
				reason = s.MVCC
			case s.Phantom != nil:
				reason = s.Phantom
			case s.Dup != nil:
				reason = s.Dup
			case s.Endorse != nil:
				reason = &EndorsementError{Namespace: s.Endorse.Namespace, Collection: s.Endorse.Collection, Key: s.Endorse.Key, Err: errors.New(s.Endorse.Err)}
			default:
				reason = errors.New(s.Reason)
			}
			r.Err = &ValidationError{TxID: s.TxID, Code: r.Code, Err: reason}
		}
		out[i] = r
	}
	return out, nil
}

// maxKeptBlockBuffer is the largest block buffer CommitBlock keeps for the
// next block: a block of default size with large transactions fits, and a
// rare huge one does not pin its size.
const maxKeptBlockBuffer = 4 << 20
