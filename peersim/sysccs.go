package peersim

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// cscc serves the configuration system chaincode: GetChannels, and
// peersim's own CreateChannel (Fabric creates channels through its
// orderer, which peersim has built in).
func (p *Peer) cscc(up *identity.UnpackedProposal) *peer.ProposalResponse {
	args := up.Input().GetArgs()
	if len(args) == 0 {
		return failure("Incorrect number of arguments, 0")
	}
	ccID := &peer.ChaincodeID{Name: csccName}
	switch fn := string(args[0]); fn {
	case "GetChannels":
		var out peer.ChannelQueryResponse
		for _, n := range p.Channels() {
			out.Channels = append(out.Channels, &peer.ChannelInfo{ChannelId: n})
		}
		return p.answer(up, ccID, &out)
	case "CreateChannel":
		if err := isAdmin(up, "CreateChannel"); err != nil {
			return failure(err.Error())
		}
		if len(args) != 2 {
			return failure(fmt.Sprintf("Incorrect number of arguments, %d: CreateChannel takes the channel name", len(args)))
		}
		if err := p.CreateChannel(string(args[1])); err != nil {
			return failure(err.Error())
		}
		p.log.Info("channel created", "channel", string(args[1]))
		return p.endorse(up, nil, ccID, &peer.Response{Status: 200}, nil, nil)
	default:
		return failure(fmt.Sprintf("Requested function %s not found.", fn))
	}
}

// pscc is peersim's own registry system chaincode: ListRunning returns the
// production-mode chaincode processes as JSON.
func (p *Peer) pscc(up *identity.UnpackedProposal) *peer.ProposalResponse {
	args := up.Input().GetArgs()
	if len(args) == 0 || string(args[0]) != "ListRunning" {
		return failure("pscc knows one function: ListRunning")
	}
	running := []launcher.Running{}
	if p.launcher != nil {
		running = append(running, p.launcher.List()...)
	}
	for i := range running {
		running[i].Channels = p.channelsOf(running[i].CCID)
	}
	b, err := json.Marshal(running)
	if err != nil {
		return failure(fmt.Sprintf("encode running chaincode: %v", err))
	}
	return p.endorse(up, nil, &peer.ChaincodeID{Name: psccName}, &peer.Response{Status: 200, Payload: b}, nil, nil)
}

// channelsOf lists the channels on which ccid is the instantiated version.
func (p *Peer) channelsOf(ccid string) []string {
	out := []string{}
	for _, ch := range p.Channels() {
		l, err := p.chans.get(ch)
		if err != nil {
			continue
		}
		defs, err := definitions(l)
		if err != nil {
			continue
		}
		if slices.ContainsFunc(defs, func(d *ledger.ChaincodeDefinition) bool { return d.Name+":"+d.Version == ccid }) {
			out = append(out, ch)
		}
	}
	return out
}
