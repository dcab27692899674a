package syscc

import (
	"context"
	"log/slog"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// CSCCChaincode is the configuration system chaincode: GetChannels, and
// peersim's own CreateChannel (Fabric creates channels through its
// orderer, which peersim has built in).
type CSCCChaincode struct {
	Channels Channels
	// Create adds a channel to the peer.
	Create func(name string) error
	Log    *slog.Logger
}

// Invoke serves one cscc function.
func (c *CSCCChaincode) Invoke(_ context.Context, inv *Invocation) (*Result, error) {
	args := inv.Args()
	if len(args) == 0 {
		return nil, fabricf("Incorrect number of arguments, 0")
	}
	switch fn := string(args[0]); fn {
	case "GetChannels":
		var out peer.ChannelQueryResponse
		for _, n := range c.Channels.Names() {
			out.Channels = append(out.Channels, &peer.ChannelInfo{ChannelId: n})
		}
		return answer(CSCC, &out)
	case "CreateChannel":
		if err := requireAdmin(inv.Proposal, "CreateChannel"); err != nil {
			return nil, err
		}
		if len(args) != 2 {
			return nil, fabricf("Incorrect number of arguments, %d: CreateChannel takes the channel name", len(args))
		}
		if err := c.Create(string(args[1])); err != nil {
			return nil, err
		}
		c.Log.Info("channel created", "channel", string(args[1]))
		return ok(nil), nil
	default:
		return nil, fabricf("Requested function %s not found.", fn)
	}
}
