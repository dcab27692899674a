package peersim

import (
	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/endorser"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
)

// newEndorser builds the Endorser service and the system chaincodes it
// routes to, from the peer's parts.
func (p *Peer) newEndorser() *endorser.Endorser {
	runner := chaincodeRunner{cc: p.cc, met: p.met, connect: p.ensureConnected}
	return endorser.New(endorser.Config{
		Verifier:   p.msp,
		Channels:   p.chans,
		System:     p.systemChaincodes(runner),
		Chaincodes: runner,
		Signer:     p.signer,
		Observe:    p.met.proposal,
		Stopping:   p.closing,
	})
}

// systemChaincodes is the table of the system chaincodes the peer serves.
func (p *Peer) systemChaincodes(runner syscc.Runner) syscc.Table {
	return syscc.Table{
		syscc.LSCC: &syscc.LSCCChaincode{Store: p.store, Chaincodes: runner, MSPIDs: p.msp.IDs, Log: p.log},
		syscc.CSCC: &syscc.CSCCChaincode{Channels: p.chans, Create: p.CreateChannel, Log: p.log},
		syscc.QSCC: &syscc.QSCCChaincode{Channels: p.chans},
		syscc.PSCC: &syscc.PSCCChaincode{
			Processes: func() syscc.Processes {
				if p.launcher == nil {
					return nil
				}
				return p.launcher
			},
			Installed: func() []ccpackage.Installed { return p.store.List() },
			Channels:  p.chans,
		},
		syscc.Lifecycle: &syscc.LifecycleChaincode{Store: p.store, OrgMSPID: p.signer.MSPID(), MSPIDs: p.msp.IDs, Channels: p.chans, Log: p.log},
	}
}
