package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/chaincodekit/chaincodekit/peersim/ledger"
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

// Export returns the fixture as a ledger export (ledger.NewExport): height
// 1, block 0 holding no transaction, every key at version {0, 0}.
func (f Fixture) Export() (*ledger.Export, error) {
	state := []ledger.StateEntry{}
	for _, ns := range slices.Sorted(maps.Keys(f)) {
		for _, k := range slices.Sorted(maps.Keys(f[ns])) {
			state = append(state, ledger.StateEntry{Namespace: ns, Key: k, Value: f[ns][k]})
		}
	}
	e, err := ledger.NewExport(state)
	if err != nil {
		return nil, fmt.Errorf("%w: fixture: %v", ErrInvalid, err)
	}
	return e, nil
}
