package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Channels lists the channels the peer has joined (cscc "GetChannels").
func (c *Client) Channels(ctx context.Context) ([]string, error) {
	payload, err := c.Evaluate(ctx, systemCall("", CSCC, []byte("GetChannels")))
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	resp := &peer.ChannelQueryResponse{}
	if err := proto.Unmarshal(payload, resp); err != nil {
		return nil, fmt.Errorf("list channels: the peer %s answered with something other than a ChannelQueryResponse: %w", c.address, err)
	}
	names := make([]string, 0, len(resp.GetChannels()))
	for _, ch := range resp.GetChannels() {
		names = append(names, ch.GetChannelId())
	}
	return names, nil
}

// CreateChannel creates a channel and joins the peer to it (peersim's cscc
// "CreateChannel"; Fabric creates channels through its ordering service,
// which peersim has built in). orgs are the MSP IDs of the channel's member
// organisations, sent as the call's extra arguments; none makes every
// organisation the peer plays a member. The signer must be an admin.
func (c *Client) CreateChannel(ctx context.Context, name string, orgs ...string) error {
	if name == "" {
		return errors.New("create channel: the name is empty")
	}
	args := [][]byte{[]byte("CreateChannel"), []byte(name)}
	for i, o := range orgs {
		if o == "" {
			return fmt.Errorf("create channel %q: member organisation %d is empty", name, i)
		}
		args = append(args, []byte(o))
	}
	if _, err := c.Evaluate(ctx, systemCall("", CSCC, args...)); err != nil {
		if len(orgs) > 0 {
			return fmt.Errorf("create channel %q of %v: %w", name, orgs, err)
		}
		return fmt.Errorf("create channel %q: %w", name, err)
	}
	return nil
}
