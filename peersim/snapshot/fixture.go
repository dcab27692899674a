package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

// Fixture is one channel's public state: chaincode name to key to value.
type Fixture map[string]map[string][]byte

// ParseFixture reads a fixture document (see the package doc): a JSON
// string value is stored as its text, any other value as its compact JSON.
func ParseFixture(data []byte) (Fixture, error) {
	var doc map[string]map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: fixture: want {\"chaincode\": {\"key\": value, ...}, ...}: %v", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: fixture: data after the document", ErrInvalid)
	}
	f := Fixture{}
	for ns, keys := range doc {
		if ns == "" {
			return nil, fmt.Errorf("%w: fixture: an empty chaincode name", ErrInvalid)
		}
		f[ns] = map[string][]byte{}
		for k, raw := range keys {
			var s string
			if bytes.HasPrefix(bytes.TrimSpace(raw), []byte(`"`)) && json.Unmarshal(raw, &s) == nil {
				f[ns][k] = []byte(s)
				continue
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, raw); err != nil {
				return nil, fmt.Errorf("%w: fixture %s/%q: %v", ErrInvalid, ns, k, err)
			}
			f[ns][k] = compact.Bytes()
		}
	}
	return f, nil
}

// ReadFixture reads the fixture file at path.
func ReadFixture(path string) (Fixture, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read fixture: %w", err)
	}
	f, err := ParseFixture(data)
	if err != nil {
		return nil, fmt.Errorf("fixture %s: %w", path, err)
	}
	return f, nil
}

// Export returns the fixture as a ledger export: height 1, every key at
// version {0, 0}, and as block 0's hash the header hash of a block 0 whose
// data hash is the SHA-256 of the fixture's canonical JSON, so that a
// channel seeded by the same fixture always has the same chain.
func (f Fixture) Export() (*ledger.Export, error) {
	e := &ledger.Export{Height: 1, State: []ledger.StateEntry{}}
	for _, ns := range slices.Sorted(maps.Keys(f)) {
		for _, k := range slices.Sorted(maps.Keys(f[ns])) {
			e.State = append(e.State, ledger.StateEntry{Namespace: ns, Key: k, Value: f[ns][k]})
		}
	}
	canonical, err := json.Marshal(f) // maps marshal sorted
	if err != nil {
		return nil, fmt.Errorf("encode fixture: %w", err)
	}
	sum := sha256.Sum256(canonical)
	e.CurrentBlockHash = ledger.BlockHeaderHash(&common.BlockHeader{Number: 0, DataHash: sum[:]})
	if err := ledger.CheckExport(e); err != nil {
		return nil, fmt.Errorf("%w: fixture: %v", ErrInvalid, err)
	}
	return e, nil
}
