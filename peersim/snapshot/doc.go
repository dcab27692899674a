// Package snapshot is the file format of peersim's replayable ledgers: a
// whole peer's channels saved to one file and restored from it, and the
// JSON fixtures that seed a channel's public state.
//
// # The snapshot file
//
// A snapshot is a gzip stream (no file name, no modification time, so the
// same ledgers always give the same bytes) of one JSON document:
//
//	{
//	  "format": "peersim-snapshot",
//	  "version": 1,
//	  "mspid": "Org1MSP",                 the organisation whose clear private data it holds
//	  "channels": [                       sorted by name; the peer's channel list
//	    {
//	      "name": "mychannel",
//	      "height": 7,                    blocks committed
//	      "currentBlockHash": "base64",   header hash of block height-1
//	      "previousBlockHash": "base64",  that block's previous hash
//	      "lastBlock": "base64",          block height-1, a marshalled common.Block with its validation codes
//	      "firstBlock": 0,                the first block the exporting ledger held (informational)
//	      "state":   [{"ns": "mycc", "key": "a", "value": "base64", "block": 3, "tx": 0, "metadata": {"VALIDATION_PARAMETER": "base64"}}],
//	      "hashed":  [{"ns": "mycc", "collection": "c", "keyHash": "base64", "valueHash": "base64", "block": 4, "tx": 0}],
//	      "private": [{"ns": "mycc", "collection": "c", "key": "k", "value": "base64", "block": 4, "tx": 0}],
//	      "expiry":  [{"at": 9, "ns": "mycc", "collection": "c", "keyHash": "base64", "key": "k", "hasKey": true, "block": 4, "tx": 0}],
//	      "txids":   [{"txid": "…", "block": 4, "tx": 0, "code": 0}]
//	    }
//	  ]
//	}
//
// Byte strings are base64 (encoding/json's []byte). World state includes
// the namespaces "lscc" and "_lifecycle", so the chaincode definitions of
// both lifecycles (and _lifecycle's approvals, which are private data of
// the organisation's implicit collection) travel with it. Blocks and the
// history index are not kept: a channel restored from a snapshot holds its
// last block only (so that a client seeking the newest or the oldest block
// gets it) and continues the chain from there, as a Fabric peer joined by
// snapshot continues from the snapshot's height. Installed chaincode packages are not ledger
// data and are not kept either.
//
// Read refuses a file that is not gzip, not this document, of another
// format version, or whose entries are inconsistent (ledger.CheckExport),
// before anything is restored.
//
// # Fixtures
//
// A fixture is one channel's public state as JSON, chaincode name to key
// to value:
//
//	{"mycc": {"a": "100", "asset1": {"color": "blue", "size": 5}}}
//
// A JSON string is stored as its text (no quotes); any other value as its
// compact JSON. A channel seeded by a fixture begins at height 1: block 0
// holds no transaction and stands for the fixture; every key has version
// {0, 0}.
package snapshot
