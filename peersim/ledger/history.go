package ledger

import (
	"encoding/binary"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The history index holds one entry per public value write of a valid
// transaction, keyed ns 0 key 0 ^block ^tx so that a forward scan returns
// the newest write first, Fabric 2.x's order.

// historyRecord is one committed write of a key.
type historyRecord struct {
	TxID     string
	Value    []byte
	IsDelete bool
	Seconds  int64
	Nanos    int32
}

func (r *historyRecord) encode() []byte {
	buf := make([]byte, 0, len(r.Value)+len(r.TxID)+24)
	buf = appendBytes(buf, []byte(r.TxID))
	buf = appendBytes(buf, r.Value)
	del := uint64(0)
	if r.IsDelete {
		del = 1
	}
	buf = binary.AppendUvarint(buf, del)
	buf = binary.AppendVarint(buf, r.Seconds)
	buf = binary.AppendVarint(buf, int64(r.Nanos))
	return buf
}

func decodeHistoryRecord(b []byte) (*historyRecord, error) {
	d := decoder{b: b}
	r := &historyRecord{}
	r.TxID = string(d.bytes())
	r.Value = d.bytes()
	r.IsDelete = d.uvarint() == 1
	r.Seconds = d.varint()
	r.Nanos = int32(d.varint())
	if d.err != nil {
		return nil, fmt.Errorf("history record: %w", d.err)
	}
	return r, nil
}

// GetHistoryForKey returns every committed value write of key by a valid
// transaction, newest first. It records nothing in the read-write set.
func (s *Simulator) GetHistoryForKey(ns, key string) (HistoryIterator, error) {
	if err := checkNSKey("get history for key", ns, key); err != nil {
		return nil, err
	}
	if !s.l.cfg.HistoryEnabled {
		return nil, ErrHistoryDisabled
	}
	if err := s.lock("get history for key"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	prefix := historyPrefix(ns, key)
	it := &historyIterator{scan: scan{s: s, cur: s.snap.scan(bucketHistory, prefix, prefixEnd(prefix))}, want: len(prefix) + 16}
	s.trackIterator(&it.scan)
	return it, nil
}

type historyIterator struct {
	scan
	want int
}

func (it *historyIterator) Next() (*queryresult.KeyModification, error) {
	if err := it.s.lock("history next"); err != nil {
		return nil, err
	}
	defer it.s.mu.Unlock()
	if it.closed {
		return nil, nil
	}
	for {
		k, v, ok, err := it.cur.next()
		if err != nil || !ok {
			return nil, err
		}
		if len(k) != it.want {
			continue // a longer key that shares this key as prefix
		}
		rec, err := decodeHistoryRecord(v)
		if err != nil {
			return nil, err
		}
		return &queryresult.KeyModification{
			TxId:      rec.TxID,
			Value:     rec.Value,
			Timestamp: &timestamppb.Timestamp{Seconds: rec.Seconds, Nanos: rec.Nanos},
			IsDelete:  rec.IsDelete,
		}, nil
	}
}
