// Package ledger is the reference peer's embedded ledger for one channel: it
// makes a chaincode behave as on a Hyperledger Fabric peer. It holds world
// state (namespace = chaincode name; each key with a value, a version
// {block, tx} and metadata such as VALIDATION_PARAMETER), private data
// (hashed state for every collection, clear values for the collections this
// peer's organisation belongs to, and per block the clear private read-write
// sets of its transactions, as Fabric's private data store keeps them for
// delivery: BlockPrivateData), a history index, and a block store of real
// common.Block messages chained as Fabric chains them.
//
// # Several organisations
//
// One ledger can serve the peers of several organisations of the channel
// (Config.PeerMSPIDs), one peer each: they share the public state, the
// hashed private data, the blocks and the history, as all peers of a
// channel agree on them, and each organisation keeps its own clear private
// data, of the collections it is a member of, as Fabric's dissemination
// leaves it. NewSimulatorAt simulates on one organisation's peer; on a
// collection that organisation is not a member of, GetPrivateData behaves
// as on a Fabric peer without the data. CheckDissemination tells whether
// Fabric's endorser could disseminate a private write set to enough peers.
// BlockPrivateData holds the collections any of the organisations keeps,
// BlockPrivateDataAt those one organisation's peer holds.
//
// The store records which organisation's clear data is where, so a data
// directory may be reopened with its organisations in another order, with
// fewer (the data of one left out is kept, unserved, and still deleted,
// purged and exported) or more; the clear data of a store written without
// PeerMSPIDs moves once to the organisations that are members of each
// collection (see Open).
//
// # Shape
//
//	l, err := ledger.Open("mychannel", ledger.DefaultConfig(dir),
//		ledger.WithLogger(log), ledger.WithPolicyChecker(msp))
//	res, err := l.Simulate(txID, creatorMSPID, func(s *ledger.Simulator) error {
//		... s.GetState / s.SetState, as the chaincode asks ...
//	})
//	l.PutTransient(txID, res.Private)   // clear private writes, until commit
//	cb, err := l.CommitBlock(envelopes) // a block of signed transactions, as the orderer cut it
//	sub := l.Subscribe(from)            // committed blocks with verdicts
//	cb, err = sub.Next(ctx)
//
// # Simulation
//
// A Simulator records what Fabric's transaction simulator records: reads
// with the committed version (nil = absent), last write per key, metadata
// writes, range query infos for phantom detection (raw reads up to 50
// results, Fabric's Merkle summary beyond), and
// hashed reads/writes of private data with the clear writes kept apart.
// Reads see committed state only, from one snapshot: a simulator holds the
// commit lock shared until Done. Fabric's simulator error texts are kept
// verbatim and wrap the sentinels of errors.go.
//
// # Chaincode definitions
//
// Definitions (name, version, endorsement policy, collections) live in the
// reserved namespace LSCCNamespace of world state, as Fabric 1.4's lscc kept
// them: the instantiate/upgrade transaction writes its definition with
// Simulator.PutChaincodeDefinition, so it commits atomically with Init's
// writes and is validated like any other write (a concurrent upgrade is an
// MVCC conflict). Validation reads each namespace's endorsement policy from
// there; writes to LSCCNamespace are checked with Policy{Namespace:
// LSCCNamespace} and a nil Application, leaving the lifecycle rule to the
// peer's PolicyChecker.
//
// Fabric 2.x definitions (with a Sequence and InitRequired) are committed by
// the _lifecycle system chaincode under LifecycleDefinitionKey(name) in
// LifecycleNamespace, with Simulator.PutLifecycleDefinition; the approvals
// are private data of each organisation's implicit collection of that
// namespace. Every definition lookup (Ledger.ChaincodeDefinition,
// ChaincodeDefinitions, Simulator.GetChaincodeDefinition, validation) reads
// the _lifecycle definition first and the lscc one when there is none.
// Writes to LifecycleNamespace are checked with Policy{Namespace:
// LifecycleNamespace} and a nil Application.
//
// # Validation
//
// The ledger does not order: it is given each block's envelopes, by the
// peer's embedded orderer (package peersim/orderer) or by a test.
// CommitBlock validates each transaction in block order — structure,
// duplicate txID, creator signature, txID derivation, endorsement policies
// (chaincode, collection and key-level), MVCC of reads and hashed reads
// against committed state and earlier valid transactions of the block,
// phantom reads of range queries — and commits the block, its codes (block
// metadata TRANSACTIONS_FILTER) and the valid writes in one atomic store
// batch. Each
// invalid transaction carries a *ValidationError whose reason is typed where
// a caller needs data (MVCCConflictError, PhantomReadError, ...).
//
// What does not depend on the transactions before it is done first, for
// all the block's transactions in parallel (WithValidationWorkers, default
// GOMAXPROCS): decoding, the creator's signature, and the endorsement
// policies each transaction's writes need as of the state before the block.
// The pass in block order then uses those verdicts where it needs the very
// same policy and evaluates any other itself (a validation parameter or a
// definition changed earlier in the block), so the verdicts, their order of
// precedence and their reasons are those of a sequential validation. A
// PolicyChecker must therefore be safe for concurrent use.
//
// # What is not persisted
//
// Two things live in memory only, whatever the backend: the rich-query index
// definitions (DefineIndexes; the peer defines them again at start, from the
// chaincode packages) and the transient store of clear private writes
// awaiting commit (PutTransient). Everything else — state, private data,
// history, blocks and their validation codes — is in the store.
//
// # Export and Import
//
// Export reads a channel's state, hashed and clear private data, the
// blockToLive schedule, the txids and the last block from one view; Import
// writes them into an empty ledger in one batch, checked first
// (CheckExport). The restored ledger holds that last block only
// (FirstBlock) and chains its next block to it, as a Fabric peer joined by
// snapshot continues from the snapshot height. Package peersim/snapshot
// is the file format.
//
// # Deviations
//
// Rich queries run on the in-memory Mango engine of package mango, as on a
// CouchDB peer. The ledger does not create a genesis (config) block: block
// 0 holds the first transactions.
package ledger
