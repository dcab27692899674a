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
