package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/spf13/cobra"

	"github.com/chaincodekit/chaincodekit/peersim/client"
)

// eventsFlags are the flags of `channel events`.
type eventsFlags struct {
	channel   string
	chaincode string
	from      string
	to        uint64
	json      bool
}

func newChannelEventsCommand(a *app, cf *clientFlags) *cobra.Command {
	f := &eventsFlags{}
	cmd := &cobra.Command{
		Use:   "events -C CHANNEL [-n CHAINCODE] [--from N|newest|oldest] [--to N] [--json]",
		Short: "Follow a channel's transactions, or a chaincode's events, one line each",
		Long: `Prints a line per transaction committed on the channel (block, index in the block,
txid, validation code), or with -n a line per event the chaincode set in a valid
transaction (block, index, txid, event name, payload as text when it is printable
UTF-8, else base64: prefixed). --json prints one JSON object per line instead.

By default it starts at the newest block and follows new ones, as tail -f does, until
interrupted (Ctrl-C exits 0); --from 0 (or oldest) replays the channel, and --to N
ends after block N.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := f.seekOptions(cmd)
			if err != nil {
				return err
			}
			s, err := a.connect(cmd, cf)
			if err != nil {
				return err
			}
			defer s.Close()
			err = f.follow(cmd.Context(), s.Client, a.stdout, opts)
			switch {
			case err != nil && cmd.Context().Err() != nil && errors.Is(err, context.Cause(cmd.Context())):
				return nil // interrupted: what the user asked for
			case isDeliverStatus(err, common.Status_NOT_FOUND):
				return unknownChannel(cmd, cf, s, f.channel, err)
			}
			return cf.peerErr(err)
		},
	}
	cmd.Flags().StringVarP(&f.channel, "channelID", "C", "", "the channel")
	// -c as `channel create` and Fabric's `peer channel` commands name it.
	cmd.Flags().StringVarP(&f.channel, "channel", "c", "", "the channel (same as -C)")
	_ = cmd.Flags().MarkHidden("channel")
	cmd.Flags().StringVarP(&f.chaincode, "name", "n", "", "print the events of this chaincode instead of transactions")
	cmd.Flags().StringVar(&f.from, "from", "newest", "the first block: a number, oldest (same as 0) or newest (the last committed)")
	cmd.Flags().Uint64Var(&f.to, "to", 0, "end after this block (default: follow until interrupted)")
	cmd.Flags().BoolVar(&f.json, "json", false, "print one JSON object per line")
	return cmd
}

// seekOptions checks the flags and turns --from and --to into the stream's
// range.
func (f *eventsFlags) seekOptions(cmd *cobra.Command) ([]client.SeekOption, error) {
	if f.channel == "" {
		return nil, errors.New("-C (channel) is required")
	}
	var opts []client.SeekOption
	var from uint64
	fromSet := true
	switch f.from {
	case "newest":
		fromSet = false
	case "oldest":
		opts = append(opts, client.WithStartBlock(0))
	default:
		n, err := strconv.ParseUint(f.from, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--from %q: want a block number, oldest or newest", f.from)
		}
		from = n
		opts = append(opts, client.WithStartBlock(n))
	}
	if cmd.Flags().Changed("to") {
		if fromSet && f.to < from {
			return nil, fmt.Errorf("--to %d is before --from %d", f.to, from)
		}
		opts = append(opts, client.WithStopBlock(f.to))
	}
	return opts, nil
}

// follow prints the lines until the stream ends.
func (f *eventsFlags) follow(ctx context.Context, c *client.Client, w io.Writer, opts []client.SeekOption) error {
	if f.chaincode != "" {
		for ev, err := range c.ChaincodeEvents(ctx, f.channel, f.chaincode, opts...) {
			if err != nil {
				return fmt.Errorf("events of chaincode %s: %w", f.chaincode, err)
			}
			if err := printLine(w, f.json, eventLineOf(ev)); err != nil {
				return err
			}
		}
		return nil
	}
	for fb, err := range c.FilteredBlocks(ctx, f.channel, opts...) {
		if err != nil {
			return err // it names the channel and the peer
		}
		for i, ft := range fb.GetFilteredTransactions() {
			if err := printLine(w, f.json, txLineOf(fb.GetNumber(), i, ft)); err != nil {
				return err
			}
		}
	}
	return nil
}

func isDeliverStatus(err error, st common.Status) bool {
	var de *client.DeliverError
	return errors.As(err, &de) && de.Status == st
}

// unknownChannel explains a channel the peer has not joined, with the
// channels it has when it can list them.
func unknownChannel(cmd *cobra.Command, cf *clientFlags, s *session, channel string, err error) error {
	ctx, cancel := withTimeout(cmd, cf)
	defer cancel()
	names, lerr := s.Channels(ctx)
	if lerr != nil || len(names) == 0 {
		return fmt.Errorf("%w; `peersim channel list` shows the channels it has", err)
	}
	return fmt.Errorf("%w; its channels are %s", err, strings.Join(names, ", "))
}

// line is what `channel events` prints for one transaction or event.
type line interface {
	text() string
}

// printLine writes l as text or as one JSON object, and a newline.
func printLine(w io.Writer, asJSON bool, l line) error {
	out := l.text()
	if asJSON {
		b, err := json.Marshal(l)
		if err != nil {
			return fmt.Errorf("encode %T as JSON: %w", l, err)
		}
		out = string(b)
	}
	if _, err := fmt.Fprintln(w, out); err != nil {
		return fmt.Errorf("print: %w", err)
	}
	return nil
}

// txLine is a committed transaction.
type txLine struct {
	BlockNumber    uint64 `json:"blockNumber"`
	TxIndex        int    `json:"txIndex"`
	TxID           string `json:"transactionId"`
	Type           string `json:"type"`
	ValidationCode string `json:"validationCode"`
}

func txLineOf(block uint64, index int, ft *peer.FilteredTransaction) txLine {
	return txLine{
		BlockNumber:    block,
		TxIndex:        index,
		TxID:           ft.GetTxid(),
		Type:           ft.GetType().String(),
		ValidationCode: ft.GetTxValidationCode().String(),
	}
}

// text is "block 4 tx 0 TXID VALID", with the header type appended for
// transactions other than endorser transactions, and - for an empty txid.
func (l txLine) text() string {
	txID := l.TxID
	if txID == "" {
		txID = "-"
	}
	s := fmt.Sprintf("block %d tx %d %s %s", l.BlockNumber, l.TxIndex, txID, l.ValidationCode)
	if l.Type != common.HeaderType_ENDORSER_TRANSACTION.String() {
		s += " " + l.Type
	}
	return s
}

// eventLine is a chaincode event; in JSON the payload is base64, as
// encoding/json writes bytes.
type eventLine struct {
	BlockNumber   uint64 `json:"blockNumber"`
	TxIndex       int    `json:"txIndex"`
	TxID          string `json:"transactionId"`
	ChaincodeName string `json:"chaincodeName"`
	EventName     string `json:"eventName"`
	Payload       []byte `json:"payload"`
}

func eventLineOf(ev *client.ChaincodeEvent) eventLine {
	return eventLine{
		BlockNumber:   ev.BlockNumber,
		TxIndex:       ev.TxIndex,
		TxID:          ev.TxID,
		ChaincodeName: ev.ChaincodeName,
		EventName:     ev.EventName,
		Payload:       ev.Payload,
	}
}

// text is "block 4 tx 0 TXID NAME PAYLOAD": the name quoted when it is
// empty or has a space or an unprintable character; the payload as it is
// when it is printable UTF-8, else "base64:" and its standard base64.
func (l eventLine) text() string {
	name := l.EventName
	if name == "" || strings.ContainsRune(name, ' ') || !printable([]byte(name)) {
		name = strconv.Quote(name)
	}
	s := fmt.Sprintf("block %d tx %d %s %s", l.BlockNumber, l.TxIndex, l.TxID, name)
	switch {
	case len(l.Payload) == 0:
	case printable(l.Payload):
		s += " " + string(l.Payload)
	default:
		s += " base64:" + base64.StdEncoding.EncodeToString(l.Payload)
	}
	return s
}

// printable reports whether b is UTF-8 text of printable characters and
// spaces: no newlines, tabs or other control characters, so that it keeps
// to one line.
func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
