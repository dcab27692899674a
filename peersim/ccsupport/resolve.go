package ccsupport

import (
	"context"
	"errors"
	"fmt"

	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// definitionReader is a simulator that reads chaincode definitions,
// recording the read (the ledger's Simulator, inside txSimulator).
type definitionReader interface {
	GetChaincodeDefinition(name string) (*ledger.ChaincodeDefinition, error)
}

// ResolveChaincode finds the ccid of the chaincode another chaincode calls
// and makes sure it is connected (see Connect: a _lifecycle definition
// runs as the package ID this org approved). As Fabric 1.4's handler does, it reads
// the callee's definition through the simulator the callee runs on, so on
// the same channel lscc/<callee> joins the transaction's read set and an
// upgrade of the callee committed first invalidates it.
func (s *Support) ResolveChaincode(ctx context.Context, channelID, name string, _ *peer.SignedProposal, sim chaincode.TxSimulator) (string, error) {
	l, err := s.cfg.Channels.Ledger(channelID)
	if err != nil {
		return "", fmt.Errorf("failed to find ledger for channel: %s", channelID)
	}
	var def *ledger.ChaincodeDefinition
	if dr, ok := sim.(definitionReader); ok {
		def, err = dr.GetChaincodeDefinition(name)
	} else {
		def, err = l.ChaincodeDefinition(name)
	}
	if errors.Is(err, ledger.ErrChaincodeNotDefined) {
		return "", &syscc.NotInstantiatedError{Name: name}
	}
	if err != nil {
		return "", err
	}
	// Fabric applies the init rule to a called chaincode as well: one that
	// requires init and has not run it refuses the call.
	if sim != nil {
		if _, err := syscc.CheckInit(sim, def, false); err != nil {
			return "", err
		}
	}
	return s.Connect(ctx, channelID, def)
}

// NewTxSimulator gives a chaincode-to-chaincode call on another channel a
// simulator of its own, on s's virtual peer: a channel its organisation is
// not a member of is not found. The caller is a transaction on that peer
// (the Peer picks the Support by it).
func (s *Support) NewTxSimulator(_ chaincode.TxSimulator, channelID, txID string) (sim chaincode.TxSimulator, release func(), err error) {
	l, err := s.cfg.Channels.Ledger(channelID)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to find ledger for channel: %s", channelID)
	}
	ls, err := l.NewSimulatorAt(s.cfg.MSPID, txID, "")
	if err != nil {
		return nil, nil, err
	}
	return txSimulator{ls}, ls.Done, nil
}
