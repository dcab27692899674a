package ledger

import (
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

var channelIDPattern = regexp.MustCompile(`^[a-z][a-z0-9.-]*$`)

// Ledger is one channel's ledger: world state, private data, history and
// the block store. It validates and commits the blocks it is given
// (CommitBlock); cutting them is the orderer's work. All methods are safe
// for concurrent use.
//
// Concurrency contract: a Simulator holds a shared lock on commits from
// NewSimulator until Done, as Fabric's does, so every read of a simulation
// sees one committed state. A simulator that is never Done blocks commits;
// use Simulate when the simulation fits in a function.
type Ledger struct {
	channel string
	cfg     Config
	log     *slog.Logger
	st      store
	policy  PolicyChecker
	// spaces are the clear private data of each organisation of
	// cfg.PeerMSPIDs, in that order (one keeping everything without any),
	// then, hidden, those of the organisations the store holds data of
	// that this run does not serve. Found by MSP ID through the store's
	// record (spaces.go), never by position.
	spaces []pvtSpace

	commitMu sync.RWMutex // simulations hold it shared, commits exclusive
	// blockBuf, used by CommitBlock under commitMu, is the storage the
	// last block was marshalled into for the store, for the next block's;
	// one larger than maxKeptBlockBuffer is not kept.
	blockBuf []byte

	mu       sync.Mutex // guards the fields below
	height   uint64
	lastHash []byte
	// first is the first block held: 0, or the last block of an Import.
	first  uint64
	notify chan struct{} // closed and replaced after each commit
	closed bool

	transient *transientStore
	rich      *richIndex
	defs      *definitionCache // decoded chaincode definitions, by stored bytes
	workers   int              // WithValidationWorkers; <= 0: GOMAXPROCS

	faultHook func(op int) error // tests: called before each store write of a commit
	observe   func(CommitStats)  // WithCommitObserver; nil: none
}

// Option configures Open.
type Option func(*Ledger)

// WithLogger sets the logger; the default discards.
func WithLogger(log *slog.Logger) Option {
	return func(l *Ledger) {
		if log != nil {
			l.log = log
		}
	}
}

// WithCommitObserver makes CommitBlock call fn after each block it
// commits, on the committing goroutine (so fn must be quick), with what the
// commit took: what a peer's metrics need without reading the block back.
func WithCommitObserver(fn func(CommitStats)) Option {
	return func(l *Ledger) { l.observe = fn }
}

// CommitStats describes one committed block.
type CommitStats struct {
	// Channel and Block name the block; Height is Block+1.
	Channel string
	Block   uint64
	// Processing is the time from the start of CommitBlock until the
	// block's writes were ready: parsing, validation and MVCC (Fabric's
	// ledger_block_processing_time). Storage is the atomic write of the
	// block, its state and private data (Fabric's
	// ledger_blockstorage_and_pvtdata_commit_time).
	Processing, Storage time.Duration
	// Txs has one entry per transaction, in block order.
	Txs []TxStats
}

// TxStats is what metrics label a committed transaction with.
type TxStats struct {
	// Type is the channel header type (common.HeaderType), -1 when the
	// transaction could not be decoded that far.
	Type common.HeaderType
	// ChaincodeName and ChaincodeVersion are the endorsed chaincode's, as
	// its ChaincodeAction names it; empty when not decoded.
	ChaincodeName, ChaincodeVersion string
	Code                            peer.TxValidationCode
}

// WithPolicyChecker sets the checker of creator signatures and endorsement
// policies used by validation. Without one every signature and endorsement
// is accepted (AcceptAllPolicies).
func WithPolicyChecker(pc PolicyChecker) Option {
	return func(l *Ledger) {
		if pc != nil {
			l.policy = pc
		}
	}
}

// Open opens (creating if needed) the ledger of channelID. A bbolt ledger
// recovers to its last whole block.
//
// The store records whose clear private data it holds where, so it can be
// reopened with Config.PeerMSPIDs in another order, with fewer (the data of
// an organisation left out is kept, not served, and still deleted and
// purged) or with more. A store of a ledger without PeerMSPIDs (one space
// keeping every collection, as every store was before ledgers served
// several organisations) opened with PeerMSPIDs has its clear data moved
// once, in one atomic write, to the organisations that are members of each
// collection under the committed definitions; data of a collection none of
// them is a member of leaves the clear spaces (its hashes stay). A store
// that keeps organisations apart is refused without PeerMSPIDs, wrapping
// ErrInvalidArgument.
func Open(channelID string, cfg Config, opts ...Option) (*Ledger, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !channelIDPattern.MatchString(channelID) || len(channelID) > 249 {
		return nil, fmt.Errorf("open ledger: channel ID %q: must match %s and be at most 249 characters: %w",
			channelID, channelIDPattern, ErrInvalidArgument)
	}
	l := &Ledger{
		channel:   channelID,
		cfg:       cfg,
		log:       slog.New(slog.DiscardHandler),
		policy:    AcceptAllPolicies{},
		notify:    make(chan struct{}),
		transient: newTransientStore(),
		defs:      newDefinitionCache(),
	}
	for _, o := range opts {
		o(l)
	}
	l.log = l.log.With("channel", channelID)
	switch cfg.Backend {
	case BackendMemory:
		l.st = newMemStore()
	case BackendBolt:
		if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
			return nil, fmt.Errorf("open ledger %s: create directory: %w", channelID, err)
		}
		st, err := openBoltStore(filepath.Join(cfg.Dir, channelID+".db"))
		if err != nil {
			return nil, fmt.Errorf("open ledger %s: %w", channelID, err)
		}
		l.st = st
	}
	if err := l.recover(); err != nil {
		_ = l.st.close()
		return nil, fmt.Errorf("open ledger %s: %w", channelID, err)
	}
	if err := l.openSpaces(); err != nil {
		_ = l.st.close()
		return nil, fmt.Errorf("open ledger %s: %w", channelID, err)
	}
	l.rich = newRichIndex()
	l.log.Info("ledger opened", "backend", cfg.Backend, "height", l.height)
	return l, nil
}

// recover loads height and last block hash from the store.
func (l *Ledger) recover() error {
	snap, err := l.st.snapshot()
	if err != nil {
		return err
	}
	defer snap.release()
	h, err := snap.get(bucketMeta, []byte(metaHeight))
	if err != nil || h == nil {
		return err
	}
	if len(h) != 8 {
		return fmt.Errorf("height record of %d bytes: %w", len(h), ErrCorrupt)
	}
	l.height = beUint64(h)
	if l.height == 0 {
		return nil
	}
	f, err := snap.get(bucketMeta, []byte(metaFirst))
	if err != nil {
		return err
	}
	if len(f) == 8 {
		l.first = beUint64(f)
	}
	raw, err := snap.get(bucketBlocks, be64(l.height-1))
	if err != nil {
		return err
	}
	if raw == nil {
		return fmt.Errorf("last block %d missing: %w", l.height-1, ErrCorrupt)
	}
	blk := &common.Block{}
	if err := proto.Unmarshal(raw, blk); err != nil {
		return fmt.Errorf("decode block %d: %v: %w", l.height-1, err, ErrCorrupt)
	}
	l.lastHash = BlockHeaderHash(blk.GetHeader())
	return nil
}

// ChannelID returns the channel this ledger belongs to.
func (l *Ledger) ChannelID() string { return l.channel }

// Height returns the number of committed blocks.
func (l *Ledger) Height() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.height
}

// Close waits for running commits and closes the store. Simulators must be
// Done first, and whatever feeds CommitBlock (the channel's orderer)
// stopped first if what it holds is to be committed. Close is idempotent.
func (l *Ledger) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.mu.Unlock()
	l.commitMu.Lock()
	defer l.commitMu.Unlock()
	l.mu.Lock()
	l.closed = true
	close(l.notify)
	l.mu.Unlock()
	return l.st.close()
}

func (l *Ledger) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// NewSimulator starts the simulation of transaction txID proposed by a
// client of MSP creatorMSPID (used for collection membership), reading
// clear private data as the peer of the first organisation of
// Config.PeerMSPIDs. The caller must call Done.
func (l *Ledger) NewSimulator(txID, creatorMSPID string) (*Simulator, error) {
	return l.newSimulator(l.spaces[0], txID, creatorMSPID)
}

// NewSimulatorAt is NewSimulator on the peer of organisation peerMSPID: the
// simulation reads that organisation's clear private data, so a collection
// it is not a member of behaves as on a Fabric peer without the data. With
// Config.PeerMSPIDs empty any peerMSPID reads the one store; otherwise ""
// is the first organisation and one that is not in the list is an error
// wrapping ErrInvalidArgument.
func (l *Ledger) NewSimulatorAt(peerMSPID, txID, creatorMSPID string) (*Simulator, error) {
	sp, err := l.space(peerMSPID)
	if err != nil {
		return nil, fmt.Errorf("new simulator for %s on %s: %w", txID, l.channel, err)
	}
	return l.newSimulator(sp, txID, creatorMSPID)
}

// space returns the private data space of organisation mspID, one this
// run serves; "" is the first organisation's.
func (l *Ledger) space(mspID string) (pvtSpace, error) {
	if len(l.cfg.PeerMSPIDs) == 0 || mspID == "" {
		return l.spaces[0], nil
	}
	for _, sp := range l.spaces {
		if sp.mspID == mspID && !sp.hidden {
			return sp, nil
		}
	}
	return pvtSpace{}, fmt.Errorf("peer organisation %q is not served by this ledger (PeerMSPIDs %q): %w", mspID, l.cfg.PeerMSPIDs, ErrInvalidArgument)
}

func (l *Ledger) newSimulator(sp pvtSpace, txID, creatorMSPID string) (*Simulator, error) {
	l.commitMu.RLock()
	if l.isClosed() {
		l.commitMu.RUnlock()
		return nil, fmt.Errorf("new simulator for %s on %s: %w", txID, l.channel, ErrClosed)
	}
	snap, err := l.st.snapshot()
	if err != nil {
		l.commitMu.RUnlock()
		return nil, fmt.Errorf("new simulator for %s on %s: %w", txID, l.channel, err)
	}
	s := newSimulator(l, snap, txID, creatorMSPID)
	s.space = sp
	return s, nil
}

// Simulate runs fn with a new simulator and returns its results, in the
// shape of bbolt's DB.Update: the simulator is Done when Simulate returns.
// An error from fn is returned as is, with no results.
func (l *Ledger) Simulate(txID, creatorMSPID string, fn func(*Simulator) error) (*SimulationResults, error) {
	s, err := l.NewSimulator(txID, creatorMSPID)
	if err != nil {
		return nil, err
	}
	return simulate(s, fn)
}

// SimulateAt is Simulate on the peer of organisation peerMSPID (see
// NewSimulatorAt).
func (l *Ledger) SimulateAt(peerMSPID, txID, creatorMSPID string, fn func(*Simulator) error) (*SimulationResults, error) {
	s, err := l.NewSimulatorAt(peerMSPID, txID, creatorMSPID)
	if err != nil {
		return nil, err
	}
	return simulate(s, fn)
}

func simulate(s *Simulator, fn func(*Simulator) error) (*SimulationResults, error) {
	defer s.Done()
	if err := fn(s); err != nil {
		return nil, err
	}
	return s.Results()
}

// PutTransient stores the clear private writes of an endorsed transaction
// until its block commits (Fabric's transient store). The peer calls it at
// endorsement with SimulationResults.Private. Entries are dropped when the
// transaction commits, or after 1000 blocks if it never does.
//
// The transient store lives in memory only, on every backend: a transaction
// endorsed before a restart and committed after it commits without its clear
// private values (the hashes are still applied), as on a Fabric peer whose
// transient store lost them; GetPrivateData then reports
// ErrPrivateDataUnavailable for those keys.
func (l *Ledger) PutTransient(txID string, pvt *rwset.TxPvtReadWriteSet) {
	if pvt == nil {
		return
	}
	l.transient.put(txID, pvt, l.Height())
}

// waitChan returns a channel closed at the next commit or Close.
func (l *Ledger) waitChan() (<-chan struct{}, uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.notify, l.height, l.closed
}

func hashBytes(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}
