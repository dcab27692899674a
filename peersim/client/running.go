package client

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
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
	payload, err := c.Evaluate(ctx, systemCall("", PSCC, []byte("ListRunning")))
	if err != nil {
		return nil, fmt.Errorf("list running chaincodes: %w", err)
	}
	var running []RunningChaincode
	if len(payload) == 0 {
		return running, nil
	}
	if err := json.Unmarshal(payload, &running); err != nil {
		return nil, fmt.Errorf("list running chaincodes: the peer %s answered with something other than a JSON array of {ccid, pid, channels, started}: %w", c.address, err)
	}
	return running, nil
}
