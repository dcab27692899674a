package peersim

import (
	"context"
	"encoding/json"
	"errors"
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

// pscc is peersim's own system chaincode: ListRunning returns the
// production-mode chaincode processes as JSON; ListBuilds the builds in
// progress and the last finished ones, as JSON, for clients that show
// build progress while they wait; GetTxReason [channel, txid] returns why a
// committed transaction was invalidated.
func (p *Peer) pscc(ctx context.Context, up *identity.UnpackedProposal) *peer.ProposalResponse {
	args := up.Input().GetArgs()
	if len(args) == 0 {
		return failure("pscc needs a function: ListRunning, ListBuilds or GetTxReason")
	}
	ccID := &peer.ChaincodeID{Name: psccName}
	switch fn := string(args[0]); fn {
	case "ListRunning":
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
		return p.endorse(up, nil, ccID, &peer.Response{Status: 200, Payload: b}, nil, nil)
	case "ListBuilds":
		b, err := json.Marshal(p.builds())
		if err != nil {
			return failure(fmt.Sprintf("encode chaincode builds: %v", err))
		}
		return p.endorse(up, nil, ccID, &peer.Response{Status: 200, Payload: b}, nil, nil)
	case "GetTxReason":
		if len(args) != 3 {
			return failure(fmt.Sprintf("Incorrect number of arguments, %d: GetTxReason takes the channel and the transaction ID", len(args)))
		}
		reason, err := p.txReason(ctx, string(args[1]), string(args[2]))
		if err != nil {
			return failure(err.Error())
		}
		return p.endorse(up, nil, ccID, &peer.Response{Status: 200, Payload: []byte(reason)}, nil, nil)
	default:
		return failure(fmt.Sprintf("Requested function %s not found: pscc knows ListRunning, ListBuilds and GetTxReason", fn))
	}
}

// builds lists the launcher's builds, each with the installed chaincode
// ids (name:version) whose package it builds.
func (p *Peer) builds() []launcher.BuildStatus {
	builds := []launcher.BuildStatus{}
	if p.launcher == nil {
		return builds
	}
	builds = append(builds, p.launcher.Builds()...)
	installed := p.store.List()
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
func (p *Peer) txReason(ctx context.Context, channel, txID string) (string, error) {
	l, err := p.chans.get(channel)
	if err != nil {
		return "", fmt.Errorf("reason for transaction %s: %w", txID, err)
	}
	loc, err := l.TxStatus(txID)
	if err != nil {
		return "", fmt.Errorf("explain transaction: %w", err)
	}
	if peer.TxValidationCode(loc.Code) == peer.TxValidationCode_VALID {
		return "", nil
	}
	cb, err := l.Subscribe(loc.BlockNum).Next(ctx)
	if err != nil {
		return "", fmt.Errorf("reason for transaction %s: read block %d of channel %s: %w", txID, loc.BlockNum, channel, err)
	}
	if loc.TxNum >= uint64(len(cb.Txs)) || cb.Txs[loc.TxNum].TxID != txID {
		return "", fmt.Errorf("reason for transaction %s: block %d of channel %s has no verdict for it at index %d", txID, loc.BlockNum, channel, loc.TxNum)
	}
	verdict := cb.Txs[loc.TxNum].Err
	var ve *ledger.ValidationError
	if errors.As(verdict, &ve) && ve.Err != nil {
		return ve.Err.Error(), nil
	}
	if verdict != nil {
		return verdict.Error(), nil
	}
	return "", nil
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
