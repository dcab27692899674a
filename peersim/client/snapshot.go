package client

import (
	"context"
	"fmt"
)

// MaxMessageSize is the largest message a peersim peer sends or accepts
// (100 MiB, as Fabric's peer); dial with grpc.MaxCallRecvMsgSize of it to
// receive a large Snapshot.
const MaxMessageSize = 100 << 20

// Snapshot returns the peer's channels as a snapshot file (peersim's pscc
// "GetSnapshot", for an admin): gzip'd JSON in the format of package
// peersim/snapshot, which `peersim node start --from-snapshot` restores.
// The answer can be large: dial with grpc.MaxCallRecvMsgSize(MaxMessageSize).
func (c *Client) Snapshot(ctx context.Context) ([]byte, error) {
	payload, err := c.Evaluate(ctx, systemCall("", PSCC, []byte("GetSnapshot")))
	if err != nil {
		return nil, fmt.Errorf("snapshot the ledgers: %w", err)
	}
	return payload, nil
}
