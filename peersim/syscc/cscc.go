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
	// Create adds a channel to the peer with the organisations orgs (all
	// of the peer's when none are given).
	Create func(name string, orgs ...string) error
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
		if len(args) < 2 {
			return nil, fabricf("Incorrect number of arguments, %d: CreateChannel takes the channel name and, optionally, the MSP IDs of its organisations", len(args))
		}
		var orgs []string
		for _, a := range args[2:] {
			orgs = append(orgs, string(a))
		}
		if err := c.Create(string(args[1]), orgs...); err != nil {
			return nil, err
		}
		c.Log.Info("channel created", "channel", string(args[1]), "orgs", orgs)
		return ok(nil), nil
	default:
		return nil, fabricf("Requested function %s not found.", fn)
	}
}
