package trace

import (
	"fmt"
	"io"
	"strings"
)

// Render writes the trace for a person to read, in the order things
// happened: the proposal, the chaincode's messages and log lines, the
// answer, the read-write set and event, and the ledger's verdict.
func (t Trace) Render(w io.Writer) error {
	var b strings.Builder
	p := t.Proposal
	fmt.Fprintf(&b, "transaction %s on channel %s\n", t.TxID, t.Channel)
	fmt.Fprintf(&b, "  started %s, endorsement took %s\n", t.Started.UTC().Format("2006-01-02T15:04:05.000Z"), t.Took)
	fmt.Fprintf(&b, "proposal\n  creator   %s\n  chaincode %s", p.Creator, p.Chaincode)
	if p.IsInit {
		b.WriteString(" (isInit)")
	}
	args := make([]string, len(p.Args))
	for i, a := range p.Args {
		args[i] = fmt.Sprintf("%q", a.String())
	}
	fmt.Fprintf(&b, "\n  function  %s(%s)\n", p.Function, strings.Join(args, ", "))
	if len(p.TransientKeys) > 0 {
		fmt.Fprintf(&b, "  transient keys %s\n", strings.Join(p.TransientKeys, ", "))
	}
	if t.CCID != "" || len(t.Messages) > 0 {
		fmt.Fprintf(&b, "chaincode %s\n", t.CCID)
	}
	for _, m := range t.Messages {
		fmt.Fprintf(&b, "  +%-10s %-28s", m.At, m.Type)
		if m.Collection != "" {
			fmt.Fprintf(&b, " %s/", m.Collection)
		} else if m.Key != "" {
			b.WriteString(" ")
		}
		if m.Key != "" {
			fmt.Fprintf(&b, "%q", m.Key)
		}
		fmt.Fprintf(&b, " took %s", m.Took)
		if m.Error != "" {
			fmt.Fprintf(&b, " error: %s", m.Error)
		}
		b.WriteString("\n")
	}
	if t.DroppedMessages > 0 {
		fmt.Fprintf(&b, "  (%d more messages not kept)\n", t.DroppedMessages)
	}
	if len(t.Logs) > 0 {
		b.WriteString("chaincode output\n")
		for _, l := range t.Logs {
			fmt.Fprintf(&b, "  +%-10s %s: %s\n", l.At, l.Stream, l.Line)
		}
		if t.DroppedLogs > 0 {
			fmt.Fprintf(&b, "  (%d more lines not kept)\n", t.DroppedLogs)
		}
	}
	r := t.Response
	fmt.Fprintf(&b, "response\n  status %d", r.Status)
	if r.Message != "" {
		fmt.Fprintf(&b, " message %q", r.Message)
	}
	fmt.Fprintf(&b, " payload %q (%d bytes)\n", r.Payload.String(), r.Payload.Size)
	if t.Endorsed {
		fmt.Fprintf(&b, "  endorsed by %s\n", t.Endorser)
	} else {
		b.WriteString("  not endorsed\n")
	}
	if len(t.RWSet) > 0 {
		b.WriteString("read-write set\n")
	}
	for _, ns := range t.RWSet {
		fmt.Fprintf(&b, "  namespace %s\n", ns.Namespace)
		for _, rd := range ns.Reads {
			v := rd.Version
			if v == "" {
				v = "absent"
			}
			fmt.Fprintf(&b, "    read   %q at %s\n", rd.Key, v)
		}
		for _, wr := range ns.Writes {
			if wr.Delete {
				fmt.Fprintf(&b, "    delete %q\n", wr.Key)
				continue
			}
			fmt.Fprintf(&b, "    write  %q = %q\n", wr.Key, wr.Value.String())
		}
		if ns.RangeQueries > 0 {
			fmt.Fprintf(&b, "    %d range queries\n", ns.RangeQueries)
		}
		for _, c := range ns.Collections {
			fmt.Fprintf(&b, "    collection %s: %d hashed reads, %d hashed writes\n", c.Name, c.Reads, c.Writes)
		}
	}
	if t.Event != nil {
		fmt.Fprintf(&b, "event\n  %s payload %q\n", t.Event.Name, t.Event.Payload.String())
	}
	if c := t.Commit; c != nil {
		fmt.Fprintf(&b, "commit\n  block %d: %s", c.Block, c.Validation)
		if c.Reason != "" {
			fmt.Fprintf(&b, ": %s", c.Reason)
		}
		b.WriteString("\n")
	} else {
		b.WriteString("commit\n  not committed (evaluated only, or not yet ordered)\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
