package ledger

import (
	"fmt"
	"maps"
	"strings"
	"sync"
	"unicode/utf8"
)

// Simulator executes one transaction proposal against committed state and
// records its read-write set. Its read and write methods are exactly those
// the peer's chaincode handler calls (see the package documentation for the
// contract); reads see the state committed when the simulator was created,
// never this transaction's own writes.
//
// A Simulator is safe for concurrent use, but a transaction is sequential by
// nature and callers normally use it from one goroutine at a time. Done must
// be called exactly once the simulation is over; it releases the shared
// commit lock.
type Simulator struct {
	l          *Ledger
	txID       string
	creatorMSP string
	space      pvtSpace // whose clear private data it reads

	mu   sync.Mutex // guards everything below and the snapshot
	snap snapshot
	done bool
	nss  map[string]*nsBuilder
	defs map[string]*ChaincodeDefinition // committed definitions, by namespace
	itrs map[iterCloser]struct{}

	writePerformed      bool
	paginatedPerformed  bool
	pvtQueriesPerformed bool
}

type iterCloser interface{ Close() }

func newSimulator(l *Ledger, snap snapshot, txID, creatorMSP string) *Simulator {
	return &Simulator{
		l:          l,
		txID:       txID,
		creatorMSP: creatorMSP,
		snap:       snap,
		nss:        make(map[string]*nsBuilder),
		defs:       make(map[string]*ChaincodeDefinition),
		itrs:       make(map[iterCloser]struct{}),
	}
}

// TxID returns the transaction ID the simulator was created for.
func (s *Simulator) TxID() string { return s.txID }

// PeerMSPID returns the organisation whose peer's clear private data the
// simulator reads: the first of Config.PeerMSPIDs for NewSimulator, the
// one given to NewSimulatorAt, "" on a ledger without PeerMSPIDs.
func (s *Simulator) PeerMSPID() string { return s.space.mspID }

// Done closes the simulator's iterators and releases its snapshot and the
// shared commit lock. Later calls do nothing.
func (s *Simulator) Done() {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return
	}
	itrs := make([]iterCloser, 0, len(s.itrs))
	for it := range s.itrs {
		itrs = append(itrs, it)
	}
	s.mu.Unlock()
	for _, it := range itrs {
		it.Close()
	}
	s.mu.Lock()
	s.done = true
	s.snap.release()
	s.mu.Unlock()
	s.l.commitMu.RUnlock()
}

// Results returns the read-write sets recorded so far. It may be called
// before or after Done.
func (s *Simulator) Results() (*SimulationResults, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return buildResults(s.txID, s.nss)
}

// textError carries one of Fabric's exact error texts and a sentinel to
// match with errors.Is.
type textError struct {
	msg      string
	sentinel error
}

func (e *textError) Error() string { return e.msg }
func (e *textError) Unwrap() error { return e.sentinel }

func fabricErr(sentinel error, format string, args ...any) error {
	return &textError{msg: fmt.Sprintf(format, args...), sentinel: sentinel}
}

// lock takes the simulator's mutex and fails if it is done.
func (s *Simulator) lock(op string) error {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return fmt.Errorf("%s in transaction %s: %w", op, s.txID, ErrSimulationDone)
	}
	return nil
}

// lockKeys checks ns and each key for op and then takes the mutex as lock
// does: on success the caller holds it and must unlock it.
func (s *Simulator) lockKeys(op, ns string, keys ...string) error {
	for _, k := range keys {
		if err := checkNSKey(op, ns, k); err != nil {
			return err
		}
	}
	return s.lock(op)
}

func (s *Simulator) ns(ns string) *nsBuilder {
	b := s.nss[ns]
	if b == nil {
		b = newNSBuilder()
		s.nss[ns] = b
	}
	return b
}

// maxKeyBytes bounds namespace + key (collection names add at most 1000
// bytes more), so that every store key built from them fits bbolt's 32 KiB
// key limit.
const maxKeyBytes = 31000

func checkNSKey(op, ns, key string) error {
	switch {
	case len(ns)+len(key) > maxKeyBytes:
		return fmt.Errorf("%s: key of %d bytes in %s is too long; namespace and key together may have at most %d bytes: %w",
			op, len(key), ns, maxKeyBytes, ErrInvalidArgument)
	case ns == "":
		return fmt.Errorf("%s: empty namespace: %w", op, ErrInvalidArgument)
	case strings.IndexByte(ns, 0) >= 0:
		return fmt.Errorf("%s: namespace %q contains a null byte: %w", op, ns, ErrInvalidArgument)
	case !utf8.ValidString(key):
		return fmt.Errorf("%s: key %q in %s is not valid UTF-8: %w", op, key, ns, ErrInvalidArgument)
	}
	return nil
}

// checkBeforeWrite applies Fabric's write preconditions: no write after a
// query on private data or after a paginated query.
func (s *Simulator) checkBeforeWrite() error {
	if s.pvtQueriesPerformed {
		return fabricErr(ErrTxUnsupported, "txid [%s]: unsuppored transaction. Transaction has already performed queries on pvt data. Writes are not allowed", s.txID)
	}
	if s.paginatedPerformed {
		return fabricErr(ErrTxUnsupported, "txid [%s]: unsuppored transaction. Transaction has already performed a paginated query. Writes are not allowed", s.txID)
	}
	s.writePerformed = true
	return nil
}

func (s *Simulator) checkBeforePaginated() error {
	if s.writePerformed {
		return fabricErr(ErrTxUnsupported, "txid [%s]: unsuppored transaction. Paginated queries are supported only in a read-only transaction", s.txID)
	}
	s.paginatedPerformed = true
	return nil
}

func (s *Simulator) checkBeforePvtQuery() error {
	if s.writePerformed {
		return fabricErr(ErrTxUnsupported, "txid [%s]: unsuppored transaction. Queries on pvt data is supported only in a read-only transaction", s.txID)
	}
	s.pvtQueriesPerformed = true
	return nil
}

// readRecord returns the committed record of a public key.
func (s *Simulator) readRecord(bucket string, k []byte) (*stateRecord, error) {
	raw, err := s.snap.get(bucket, k)
	if err != nil || raw == nil {
		return nil, err
	}
	return decodeStateRecord(raw)
}

// readState returns the committed record of a public key (nil when absent)
// and records the read with its version; op names the call in errors.
func (s *Simulator) readState(op, ns, key string) (*stateRecord, error) {
	rec, err := s.readRecord(bucketState, stateKey(ns, key))
	if err != nil {
		return nil, fmt.Errorf("%s %q in %s: %w", op, key, ns, err)
	}
	s.ns(ns).reads[key] = recVersion(rec)
	return rec, nil
}

func recVersion(r *stateRecord) *Version {
	if r == nil {
		return nil
	}
	v := r.Version
	return &v
}

// GetState returns the committed value of key in ns (nil when absent) and
// records the read with the committed version.
func (s *Simulator) GetState(ns, key string) ([]byte, error) {
	if err := s.lockKeys("get state", ns, key); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return s.getState(ns, key)
}

func (s *Simulator) getState(ns, key string) ([]byte, error) {
	rec, err := s.readState("get state", ns, key)
	if err != nil || rec == nil {
		return nil, err
	}
	return rec.Value, nil
}

// GetStateMultipleKeys returns the committed values of keys in request
// order, nil for absent keys, recording a read of each.
func (s *Simulator) GetStateMultipleKeys(ns string, keys []string) ([][]byte, error) {
	if err := s.lockKeys("get state multiple keys", ns, keys...); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([][]byte, len(keys))
	for i, k := range keys {
		v, err := s.getState(ns, k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// SetState records a write of value to key; an empty value is a delete.
func (s *Simulator) SetState(ns, key string, value []byte) error {
	if err := s.lockKeys("set state", ns, key); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if err := s.checkBeforeWrite(); err != nil {
		return err
	}
	s.ns(ns).writes.set(key, write{value: clone(value), isDelete: len(value) == 0})
	return nil
}

// DeleteState records a delete of key.
func (s *Simulator) DeleteState(ns, key string) error {
	return s.SetState(ns, key, nil)
}

// GetStateMetadata returns the committed metadata of key (nil when the key
// or its metadata is absent) and records a read of the key, as Fabric does.
func (s *Simulator) GetStateMetadata(ns, key string) (map[string][]byte, error) {
	if err := s.lockKeys("get state metadata", ns, key); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	rec, err := s.readState("get state metadata", ns, key)
	if err != nil || rec == nil {
		return nil, err
	}
	return rec.Metadata, nil
}

// SetStateMetadata records a metadata write for key. It replaces the key's
// committed metadata at commit; an empty map removes it. A metadata write to
// a key that does not exist at commit does nothing.
func (s *Simulator) SetStateMetadata(ns, key string, metadata map[string][]byte) error {
	if err := s.lockKeys("set state metadata", ns, key); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if err := s.checkBeforeWrite(); err != nil {
		return err
	}
	s.ns(ns).metaWrites[key] = cloneMeta(metadata)
	return nil
}

// PutChaincodeDefinition records the definition of a chaincode in the
// reserved namespace LSCCNamespace, as the instantiate or upgrade
// transaction's own write.
func (s *Simulator) PutChaincodeDefinition(def *ChaincodeDefinition) error {
	if err := def.validate(); err != nil {
		return fmt.Errorf("put chaincode definition: %w", err)
	}
	b, err := def.encode()
	if err != nil {
		return fmt.Errorf("put chaincode definition: %w", err)
	}
	return s.SetState(LSCCNamespace, def.Name, b)
}

// PutLifecycleDefinition records a _lifecycle definition (Sequence 1 or
// more) of a chaincode in LifecycleNamespace, as CommitChaincodeDefinition
// does.
func (s *Simulator) PutLifecycleDefinition(def *ChaincodeDefinition) error {
	if err := def.validate(); err != nil {
		return fmt.Errorf("put lifecycle definition: %w", err)
	}
	if def.Sequence < 1 {
		return fmt.Errorf("put lifecycle definition of %s: sequence %d, want 1 or more: %w", def.Name, def.Sequence, ErrInvalidArgument)
	}
	b, err := def.encode()
	if err != nil {
		return fmt.Errorf("put lifecycle definition: %w", err)
	}
	return s.SetState(LifecycleNamespace, LifecycleDefinitionKey(def.Name), b)
}

// GetChaincodeDefinition returns the committed definition of chaincode
// name (its _lifecycle definition, else its lscc one), recording a read of it (so two upgrades in one block conflict), or
// ErrChaincodeNotDefined.
func (s *Simulator) GetChaincodeDefinition(name string) (*ChaincodeDefinition, error) {
	d, err := s.GetSharedChaincodeDefinition(name)
	return d.clone(), err
}

// GetSharedChaincodeDefinition is GetChaincodeDefinition without the copy,
// for a caller that only reads the definition: it is the ledger's own,
// shared with every other reader, and must not be modified, nor its policy
// or collections.
func (s *Simulator) GetSharedChaincodeDefinition(name string) (*ChaincodeDefinition, error) {
	b, err := s.GetState(LifecycleNamespace, LifecycleDefinitionKey(name))
	if err == nil && b == nil {
		b, err = s.GetState(LSCCNamespace, name)
	}
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("chaincode %s: %w", name, ErrChaincodeNotDefined)
	}
	return s.l.defs.decode(b)
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

func cloneMeta(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range maps.All(m) {
		out[k] = clone(v)
	}
	return out
}

// trackIterator registers an open iterator so Done can close it.
func (s *Simulator) trackIterator(it iterCloser) { s.itrs[it] = struct{}{} }
