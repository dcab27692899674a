package ledger

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
)

// stateRecord is what the state, hashed and private buckets store per key.
type stateRecord struct {
	Value    []byte
	Version  Version
	Metadata map[string][]byte
}

func (r *stateRecord) encode() []byte {
	buf := make([]byte, 0, len(r.Value)+24)
	buf = binary.AppendUvarint(buf, r.Version.BlockNum)
	buf = binary.AppendUvarint(buf, r.Version.TxNum)
	buf = appendBytes(buf, r.Value)
	buf = binary.AppendUvarint(buf, uint64(len(r.Metadata)))
	for _, name := range slices.Sorted(maps.Keys(r.Metadata)) {
		buf = appendBytes(buf, []byte(name))
		buf = appendBytes(buf, r.Metadata[name])
	}
	return buf
}

// decodeStateRecord copies everything out of b, which may belong to a
// store transaction.
func decodeStateRecord(b []byte) (*stateRecord, error) {
	d := decoder{b: b}
	r := &stateRecord{}
	r.Version.BlockNum = d.uvarint()
	r.Version.TxNum = d.uvarint()
	r.Value = d.bytes()
	n := d.uvarint()
	if n > uint64(len(b)) {
		return nil, fmt.Errorf("state record metadata count %d: %w", n, ErrCorrupt)
	}
	if n > 0 {
		r.Metadata = make(map[string][]byte, n)
		for range n {
			name := string(d.bytes())
			r.Metadata[name] = d.bytes()
		}
	}
	if d.err != nil {
		return nil, fmt.Errorf("state record: %w", d.err)
	}
	return r, nil
}

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

func appendBytes(buf, b []byte) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(b)))
	return append(buf, b...)
}

// decoder reads the encodings above, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = fmt.Errorf("truncated varint: %w", ErrCorrupt)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = fmt.Errorf("truncated varint: %w", ErrCorrupt)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = fmt.Errorf("length %d beyond end of record: %w", n, ErrCorrupt)
		return nil
	}
	out := make([]byte, n)
	copy(out, d.b[:n])
	d.b = d.b[n:]
	return out
}

// Key layouts.

func stateKey(ns, key string) []byte {
	b := make([]byte, 0, len(ns)+1+len(key))
	b = append(b, ns...)
	b = append(b, 0)
	return append(b, key...)
}

func collKey(ns, coll string, key []byte) []byte {
	b := make([]byte, 0, len(ns)+len(coll)+2+len(key))
	b = append(b, ns...)
	b = append(b, 0)
	b = append(b, coll...)
	b = append(b, 0)
	return append(b, key...)
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func historyPrefix(ns, key string) []byte {
	return append(stateKey(ns, key), 0)
}

func historyKey(ns, key string, v Version) []byte {
	b := historyPrefix(ns, key)
	b = binary.BigEndian.AppendUint64(b, ^v.BlockNum)
	return binary.BigEndian.AppendUint64(b, ^v.TxNum)
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
