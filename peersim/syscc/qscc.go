package syscc

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// QSCCChaincode is Fabric's ledger query system chaincode, on the channel
// named in its first argument: GetChainInfo [channel] answers a
// common.BlockchainInfo, GetBlockByNumber [channel, number] a common.Block,
// and GetTransactionByID [channel, txid] a peer.ProcessedTransaction, as a
// Fabric peer does. Any identity the MSP accepted may ask.
type QSCCChaincode struct {
	Channels Channels
}

// Invoke serves one qscc function.
func (c *QSCCChaincode) Invoke(_ context.Context, inv *Invocation) (*Result, error) {
	args := inv.Args()
	if len(args) < 2 {
		return nil, fabricf("Incorrect number of arguments, %d: qscc takes a function and a channel name, e.g. GetChainInfo mychannel", len(args))
	}
	fn, channel := string(args[0]), string(args[1])
	l, err := c.Channels.Ledger(channel)
	if err != nil {
		return nil, fmt.Errorf("failed to find ledger for channel: %s", channel)
	}
	switch fn {
	case "GetChainInfo":
		info, err := l.Info()
		if err != nil {
			return nil, fmt.Errorf("failed to get block info for channel %s: %w", channel, err)
		}
		return answer(QSCC, info)
	case "GetBlockByNumber":
		if len(args) != 3 {
			return nil, fabricf("Incorrect number of arguments, %d: GetBlockByNumber takes the channel and the block number", len(args))
		}
		n, err := strconv.ParseUint(string(args[2]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("failed to parse block number %q: %w", args[2], err)
		}
		b, err := l.GetBlockByNumber(n)
		if err != nil {
			return nil, fmt.Errorf("failed to get block number %d on channel %s: %w", n, channel, err)
		}
		return answer(QSCC, b)
	case "GetTransactionByID":
		if len(args) != 3 {
			return nil, fabricf("Incorrect number of arguments, %d: GetTransactionByID takes the channel and the transaction ID", len(args))
		}
		env, loc, err := l.GetTransactionByID(string(args[2]))
		if err != nil {
			return nil, fmt.Errorf("failed to get transaction with id %s on channel %s: %w", args[2], channel, err)
		}
		return answer(QSCC, &peer.ProcessedTransaction{TransactionEnvelope: env, ValidationCode: loc.Code})
	default:
		return nil, fabricf("Requested function %s not found: qscc knows GetChainInfo, GetBlockByNumber and GetTransactionByID", fn)
	}
}
