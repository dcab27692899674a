package ledger

import (
	"encoding/binary"
	"fmt"
)

// Binary encodings shared by the stored records, and the layouts of store
// keys.

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
