// Package trace keeps what the peer saw of each of its last transactions:
// the proposal, every message exchanged with the chaincode while it ran
// (with its duration), the lines the chaincode process wrote meanwhile, the
// read-write set, the event and the endorsement. What the ledger decided
// (block and validation code) is not kept here: the peer reads it from the
// ledger when it serves a trace, so a trace is never out of date.
//
// A Recorder holds the traces of the last N transactions, and drops the
// oldest. Values are cut to a few hundred bytes, so a trace costs a bounded
// amount of memory whatever the transaction wrote.
package trace

import (
	"encoding/hex"
	"time"
	"unicode/utf8"
)

// MaxValue is how many bytes of a value (argument, state value, payload) a
// trace keeps; Value.Size has the whole size.
const MaxValue = 256

// MaxMessages and MaxLogLines bound what one trace keeps of a
// transaction's chaincode messages and log lines; the counts of what was
// dropped are kept.
const (
	MaxMessages = 1000
	MaxLogLines = 200
)

// Trace is what the peer saw of one transaction.
type Trace struct {
	TxID    string    `json:"txid"`
	Channel string    `json:"channel"`
	Started time.Time `json:"started"`
	// Took is the endorsement's duration, from the proposal's arrival to
	// the signed answer.
	Took     Duration `json:"took"`
	Proposal Proposal `json:"proposal"`
	// CCID is the chaincode id that ran the transaction, as it registered.
	CCID string `json:"ccid,omitempty"`
	// Messages are the chaincode stream's messages, in order.
	Messages        []Message `json:"messages"`
	DroppedMessages int       `json:"droppedMessages,omitempty"`
	// Logs are the lines the chaincode process wrote while the
	// transaction ran on it (production mode: the peer reads the
	// processes it launched, and lines of transactions running at the
	// same time on the same process are in each of them), and in
	// development mode the lines it logged for this transaction through
	// chaincodekit's shim.Logger (stream "shim").
	Logs        []LogLine `json:"logs,omitempty"`
	DroppedLogs int       `json:"droppedLogs,omitempty"`
	// Response is the chaincode's (or the peer's) answer.
	Response Response `json:"response"`
	// Endorsed reports whether the peer signed the response; Endorser is
	// then the endorsing identity.
	Endorsed bool   `json:"endorsed"`
	Endorser string `json:"endorser,omitempty"`
	// RWSet is the simulation's read-write set, one entry per namespace.
	RWSet []Namespace `json:"rwset,omitempty"`
	Event *Event      `json:"event,omitempty"`
	// Commit is filled when the trace is served, from the ledger; nil
	// while the transaction is not committed (or was only evaluated).
	Commit *Commit `json:"commit,omitempty"`
}

// Proposal is what the client asked.
type Proposal struct {
	// Creator is MSPID/common name of the signer.
	Creator   string  `json:"creator"`
	Chaincode string  `json:"chaincode"`
	Function  string  `json:"function,omitempty"`
	Args      []Value `json:"args,omitempty"`
	// TransientKeys are the keys of the transient map (values are never
	// kept).
	TransientKeys []string `json:"transientKeys,omitempty"`
	IsInit        bool     `json:"isInit,omitempty"`
}

// Message is one request of the chaincode to the peer (GET_STATE,
// PUT_STATE, ...) or the transaction itself (TRANSACTION or INIT, answered
// COMPLETED or ERROR).
type Message struct {
	Type string `json:"type"`
	// Key and Collection name what the request was about, when it names
	// one key.
	Collection string `json:"collection,omitempty"`
	Key        string `json:"key,omitempty"`
	// At is when the peer received it, from the trace's start; Took is how
	// long the peer took to answer it.
	At   Duration `json:"at"`
	Took Duration `json:"took"`
	// Error is the peer's refusal, if it answered ERROR.
	Error string `json:"error,omitempty"`
}

// LogLine is a line a chaincode process wrote.
type LogLine struct {
	At     Duration `json:"at"`
	Stream string   `json:"stream"` // stdout, stderr, or shim (shim.Logger)
	Line   string   `json:"line"`
}

// Response is a chaincode response.
type Response struct {
	Status  int32  `json:"status"`
	Message string `json:"message,omitempty"`
	Payload Value  `json:"payload"`
}

// Namespace is one namespace's reads and writes.
type Namespace struct {
	Namespace string  `json:"namespace"`
	Reads     []Read  `json:"reads,omitempty"`
	Writes    []Write `json:"writes,omitempty"`
	// RangeQueries counts the range queries recorded for phantom checks.
	RangeQueries int `json:"rangeQueries,omitempty"`
	// Collections are the private collections' hashed reads and writes.
	Collections []Collection `json:"collections,omitempty"`
}

// Read is a key read at a committed version ("" when it did not exist).
type Read struct {
	Key     string `json:"key"`
	Version string `json:"version,omitempty"`
}

// Write is a key written, or deleted.
type Write struct {
	Key    string `json:"key"`
	Delete bool   `json:"delete,omitempty"`
	Value  *Value `json:"value,omitempty"`
}

// Collection counts a private collection's hashed reads and writes (their
// keys are hashes, and the peer keeps no clear value in a trace).
type Collection struct {
	Name   string `json:"name"`
	Reads  int    `json:"reads"`
	Writes int    `json:"writes"`
}

// Event is a chaincode event.
type Event struct {
	Name    string `json:"name"`
	Payload Value  `json:"payload"`
}

// Commit is what the ledger decided.
type Commit struct {
	Block      uint64 `json:"block"`
	Validation string `json:"validation"`
	Reason     string `json:"reason,omitempty"`
}

// Value is bytes shown as text when they are UTF-8, else as hex, cut to
// MaxValue bytes.
type Value struct {
	Text      string `json:"text,omitempty"`
	Hex       string `json:"hex,omitempty"`
	Size      int    `json:"size"`
	Truncated bool   `json:"truncated,omitempty"`
}

// ValueOf shows b.
func ValueOf(b []byte) Value {
	v := Value{Size: len(b)}
	if len(b) > MaxValue {
		b, v.Truncated = b[:MaxValue], true
	}
	text := b
	if v.Truncated {
		text = trimPartialRune(b)
	}
	if utf8.Valid(text) {
		v.Text = string(text)
	} else {
		v.Hex = hex.EncodeToString(b)
	}
	return v
}

// trimPartialRune drops a rune cut in two at the end of b.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}

// String shows the value as a command line would.
func (v Value) String() string {
	s := v.Text
	if v.Hex != "" {
		s = "0x" + v.Hex
	}
	if v.Truncated {
		s += "…"
	}
	return s
}

// Duration is a time.Duration that reads as "1.5ms" in JSON.
type Duration time.Duration

// MarshalText writes the duration as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

func (d Duration) String() string { return time.Duration(d).String() }
