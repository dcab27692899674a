package peersim

import (
	"fmt"
	"strconv"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// qsccName is the name of Fabric's ledger query system chaincode.
const qsccName = "qscc"

// qscc serves Fabric's ledger query system chaincode on the channel named in
// its first argument: GetChainInfo [channel] answers a common.BlockchainInfo,
// GetBlockByNumber [channel, number] a common.Block, and GetTransactionByID
// [channel, txid] a peer.ProcessedTransaction, as a Fabric peer does. Any
// identity the MSP accepted may ask.
func (p *Peer) qscc(up *identity.UnpackedProposal) *peer.ProposalResponse {
	args := up.Input().GetArgs()
	if len(args) < 2 {
		return failure(fmt.Sprintf("Incorrect number of arguments, %d: qscc takes a function and a channel name, e.g. GetChainInfo mychannel", len(args)))
	}
	fn, channel := string(args[0]), string(args[1])
	l, err := p.chans.get(channel)
	if err != nil {
		return failure(fmt.Sprintf("failed to find ledger for channel: %s", channel))
	}
	ccID := &peer.ChaincodeID{Name: qsccName}
	switch fn {
	case "GetChainInfo":
		info, err := l.Info()
		if err != nil {
			return failure(fmt.Sprintf("failed to get block info for channel %s: %v", channel, err))
		}
		return p.answer(up, ccID, info)
	case "GetBlockByNumber":
		if len(args) != 3 {
			return failure(fmt.Sprintf("Incorrect number of arguments, %d: GetBlockByNumber takes the channel and the block number", len(args)))
		}
		n, err := strconv.ParseUint(string(args[2]), 10, 64)
		if err != nil {
			return failure(fmt.Sprintf("failed to parse block number %q: %v", args[2], err))
		}
		b, err := l.GetBlockByNumber(n)
		if err != nil {
			return failure(fmt.Sprintf("failed to get block number %d on channel %s: %v", n, channel, err))
		}
		return p.answer(up, ccID, b)
	case "GetTransactionByID":
		if len(args) != 3 {
			return failure(fmt.Sprintf("Incorrect number of arguments, %d: GetTransactionByID takes the channel and the transaction ID", len(args)))
		}
		env, loc, err := l.GetTransactionByID(string(args[2]))
		if err != nil {
			return failure(fmt.Sprintf("failed to get transaction with id %s on channel %s: %v", args[2], channel, err))
		}
		return p.answer(up, ccID, &peer.ProcessedTransaction{TransactionEnvelope: env, ValidationCode: loc.Code})
	default:
		return failure(fmt.Sprintf("Requested function %s not found: qscc knows GetChainInfo, GetBlockByNumber and GetTransactionByID", fn))
	}
}
