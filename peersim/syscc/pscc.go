package syscc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// PSCCChaincode is peersim's own system chaincode: ListRunning returns the
// production-mode chaincode processes as JSON; ListBuilds the builds in
// progress and the last finished ones, as JSON, for clients that show
// build progress while they wait; GetTxReason [channel, txid] returns why
// a committed transaction was invalidated; GetTrace [channel, txid] returns
// the peer's trace of a transaction as JSON (admins only: it shows the
// arguments and values of other clients' transactions); GetSnapshot (an
// admin only) the peer's channels as a snapshot file (package
// peersim/snapshot).
type PSCCChaincode struct {
	// Processes is the production-mode launcher; nil in development mode
	// (no processes, no builds).
	Processes func() Processes
	// Installed lists the installed chaincode.
	Installed func() []ccpackage.Installed
	Channels  Channels
	// Trace returns the trace of a transaction ("" channel: any), to be
	// marshalled as JSON; nil when the peer keeps no traces.
	Trace func(channel, txID string) (any, bool)
	// Snapshot returns the peer's snapshot file (GetSnapshot); nil: not
	// served.
	Snapshot func() ([]byte, error)
}

// Processes is what pscc reads of the launcher.
type Processes interface {
	List() []launcher.Running
	Builds() []launcher.BuildStatus
}

// Invoke serves one pscc function.
func (c *PSCCChaincode) Invoke(ctx context.Context, inv *Invocation) (*Result, error) {
	args := inv.Args()
	if len(args) == 0 {
		return nil, errors.New("pscc needs a function: ListRunning, ListBuilds, GetTxReason, GetTrace or GetSnapshot")
	}
	switch fn := string(args[0]); fn {
	case "ListRunning":
		b, err := json.Marshal(c.running())
		if err != nil {
			return nil, fmt.Errorf("encode running chaincode: %w", err)
		}
		return ok(b), nil
	case "ListBuilds":
		b, err := json.Marshal(c.builds())
		if err != nil {
			return nil, fmt.Errorf("encode chaincode builds: %w", err)
		}
		return ok(b), nil
	case "GetSnapshot":
		if err := requireAdmin(inv.Proposal, "pscc/GetSnapshot"); err != nil {
			return nil, err
		}
		if c.Snapshot == nil {
			return nil, errors.New("pscc GetSnapshot: this peer serves no snapshots")
		}
		b, err := c.Snapshot()
		if err != nil {
			return nil, fmt.Errorf("pscc GetSnapshot: %w", err)
		}
		return ok(b), nil
	case "GetTxReason":
		if len(args) != 3 {
			return nil, fabricf("Incorrect number of arguments, %d: GetTxReason takes the channel and the transaction ID", len(args))
		}
		reason, err := c.txReason(ctx, string(args[1]), string(args[2]))
		if err != nil {
			return nil, err
		}
		return ok([]byte(reason)), nil
	case "GetTrace":
		if len(args) != 3 {
			return nil, fabricf("Incorrect number of arguments, %d: GetTrace takes the channel (or \"\") and the transaction ID", len(args))
		}
		return c.trace(inv, string(args[1]), string(args[2]))
	default:
		return nil, fabricf("Requested function %s not found: pscc knows ListRunning, ListBuilds, GetTxReason, GetTrace and GetSnapshot", fn)
	}
}

// trace answers GetTrace: an admin's request for the trace of txID.
func (c *PSCCChaincode) trace(inv *Invocation, channel, txID string) (*Result, error) {
	// Traces show other clients' arguments and values.
	if err := requireAdmin(inv.Proposal, "pscc/GetTrace"); err != nil {
		return nil, err
	}
	if c.Trace == nil {
		return nil, fabricf("no trace of transaction %s: this peer keeps no traces", txID)
	}
	t, found := c.Trace(channel, txID)
	if !found {
		return nil, fabricf("no trace of transaction %s: the peer keeps the traces of its last transactions only (--trace-capacity), or tracing is off", txID)
	}
	b, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("encode the trace of %s: %w", txID, err)
	}
	return ok(b), nil
}

// running lists the launcher's processes, each with the channels on which
// its ccid is the instantiated version.
func (c *PSCCChaincode) running() []launcher.Running {
	running := []launcher.Running{}
	if p := c.Processes(); p != nil {
		running = append(running, p.List()...)
	}
	for i := range running {
		running[i].Channels = c.channelsOf(running[i].CCID)
	}
	return running
}

// builds lists the launcher's builds, each with the installed chaincode
// ids (name:version) whose package it builds.
func (c *PSCCChaincode) builds() []launcher.BuildStatus {
	builds := []launcher.BuildStatus{}
	p := c.Processes()
	if p == nil {
		return builds
	}
	builds = append(builds, p.Builds()...)
	installed := c.Installed()
	for i := range builds {
		builds[i].Chaincodes = []string{}
		for _, in := range installed {
			if in.PackageID == builds[i].PackageID {
				builds[i].Chaincodes = append(builds[i].Chaincodes, in.Name+":"+in.Version)
			}
		}
	}
	return builds
}

// txReason returns the validator's verdict on committed transaction txID
// of channel, e.g. the key and versions of an MVCC conflict: the reason
// kept with the block's results, without the txid and code the client
// already has. A VALID transaction has no reason: "".
func (c *PSCCChaincode) txReason(_ context.Context, channel, txID string) (string, error) {
	l, err := c.Channels.Ledger(channel)
	if err != nil {
		return "", fmt.Errorf("reason for transaction %s: %w", txID, err)
	}
	res, _, err := l.TxResult(txID)
	if err != nil {
		return "", fmt.Errorf("explain transaction: %w", err)
	}
	var ve *ledger.ValidationError
	switch {
	case res.Code == peer.TxValidationCode_VALID:
		return "", nil
	case errors.As(res.Err, &ve) && ve.Err != nil:
		return ve.Err.Error(), nil
	case res.Err != nil:
		return res.Err.Error(), nil
	}
	return "", nil
}

// channelsOf lists the channels on which ccid is the instantiated version;
// an org instance's or a twin's are those of the ccid it is a process of.
func (c *PSCCChaincode) channelsOf(ccid string) []string {
	if primary, twin := launcher.PrimaryOf(ccid); twin {
		ccid = primary
	}
	ccid, _, _ = launcher.InstanceOf(ccid)
	out := []string{}
	for _, ch := range c.Channels.Names() {
		l, err := c.Channels.Ledger(ch)
		if err != nil {
			continue
		}
		defs, err := l.ChaincodeDefinitions()
		if err != nil {
			continue
		}
		if slices.ContainsFunc(defs, func(d *ledger.ChaincodeDefinition) bool { return d.Name+":"+d.Version == ccid }) {
			out = append(out, ch)
		}
	}
	return out
}
