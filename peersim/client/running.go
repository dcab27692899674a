package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/trace"
)

// RunningChaincode is a chaincode process a production-mode peer launched.
type RunningChaincode struct {
	// CCID is the chaincode's ID (its package ID).
	CCID string `json:"ccid"`
	// PID is the process ID.
	PID int `json:"pid"`
	// Channels lists the channels it serves.
	Channels []string `json:"channels"`
	// Started is when it was started.
	Started time.Time `json:"started"`
	// Address is where the peer dials a chaincode-as-a-service; PID is 0
	// then.
	Address string `json:"address,omitempty"`
}

// RunningChaincodes lists the chaincode processes the peer runs (peersim's
// pscc "ListRunning"). A development-mode peer launches none.
func (c *Client) RunningChaincodes(ctx context.Context) ([]RunningChaincode, error) {
	var running []RunningChaincode
	if err := c.psccJSON(ctx, "ListRunning", "list running chaincodes", "{ccid, pid, channels, started}", &running); err != nil {
		return nil, err
	}
	return running, nil
}

// psccJSON calls pscc function fn and decodes its answer, a JSON array of
// shape, into v; an empty answer leaves v alone. Errors start with what.
func (c *Client) psccJSON(ctx context.Context, fn, what, shape string, v any) error {
	payload, err := c.Evaluate(ctx, systemCall("", PSCC, []byte(fn)))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if len(payload) == 0 {
		return nil
	}
	if err := json.Unmarshal(payload, v); err != nil {
		return fmt.Errorf("%s: the peer %s answered with something other than a JSON array of %s: %w", what, c.address, shape, err)
	}
	return nil
}

// ChaincodeBuild is a chaincode build a production-mode peer ran or is
// running (peersim's pscc "ListBuilds").
type ChaincodeBuild struct {
	// PackageID is the package built.
	PackageID string `json:"package_id"`
	// Label is the package's label, e.g. "mycc_1.0".
	Label string `json:"label"`
	// Builder is "golang" (go build), "ccaas" or an external builder's
	// name; empty until a builder claimed the package.
	Builder string `json:"builder"`
	// Chaincodes are the installed chaincode ids (name:version) of the
	// package.
	Chaincodes []string `json:"chaincodes"`
	// Started is when the build began.
	Started time.Time `json:"started"`
	// Done is set once the build finished; Error is set if it failed.
	Done bool `json:"done"`
	// Seconds is how long the finished build took.
	Seconds float64 `json:"seconds"`
	// Error says why a finished build failed.
	Error string `json:"error"`
}

// Builds lists the chaincode builds in progress on the peer and the last
// finished ones (peersim's pscc "ListBuilds"): a client waiting for an
// instantiate, upgrade or invoke that makes the peer build the chaincode
// can show progress with it. A peer that is not peersim answers with an
// error.
func (c *Client) Builds(ctx context.Context) ([]ChaincodeBuild, error) {
	var builds []ChaincodeBuild
	if err := c.psccJSON(ctx, "ListBuilds", "list chaincode builds", "{package_id, label, started, done, ...}", &builds); err != nil {
		return nil, err
	}
	return builds, nil
}

// Trace returns the peer's trace of transaction txID (peersim's pscc
// "GetTrace"; channel "" finds it on any channel): its proposal, the
// chaincode's messages and output, the read-write set, the endorsement and
// the ledger's verdict. The signer must be an admin.
func (c *Client) Trace(ctx context.Context, channel, txID string) (*trace.Trace, error) {
	if txID == "" {
		return nil, errors.New("trace: give the transaction ID")
	}
	payload, err := c.Evaluate(ctx, systemCall("", PSCC, []byte("GetTrace"), []byte(channel), []byte(txID)))
	if err != nil {
		return nil, fmt.Errorf("trace of %s: %w", txID, err)
	}
	t := &trace.Trace{}
	if err := json.Unmarshal(payload, t); err != nil {
		return nil, fmt.Errorf("trace of %s: the peer %s answered with something other than a trace: %w", txID, c.address, err)
	}
	return t, nil
}
