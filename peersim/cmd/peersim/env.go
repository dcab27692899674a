package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/chaincodekit/chaincodekit/peersim"
)

// Environment variables `peersim env` prints. ORDERER_ADDRESS is not read
// by Fabric's CLI (its -o flag has no variable); it is there for -o.
const (
	envFabricCfgPath   = "FABRIC_CFG_PATH"
	envCorePeerAddress = "CORE_PEER_ADDRESS"
	envCorePeerTLS     = "CORE_PEER_TLS_ENABLED"
	envCoreLocalMSPID  = "CORE_PEER_LOCALMSPID"
	envCoreMSPConfig   = "CORE_PEER_MSPCONFIGPATH"
	envOrdererAddress  = "ORDERER_ADDRESS"
)

func newEnvCommand(a *app) *cobra.Command {
	f := &clientFlags{}
	var identity string
	cmd := &cobra.Command{
		Use:   "env [--identity NAME] [--org MSPID]",
		Short: "Print the export lines that point Fabric's own peer CLI at the running peer",
		Long: `Prints, as shell export lines, what Fabric's own peer CLI (v2.x) needs to work against
the peer running on the data directory, signing as --identity (default Admin):
FABRIC_CFG_PATH (the data directory, where "peersim node start" writes core.yaml),
CORE_PEER_ADDRESS, CORE_PEER_TLS_ENABLED, CORE_PEER_LOCALMSPID, CORE_PEER_MSPCONFIGPATH, and
ORDERER_ADDRESS for the commands that take -o (the embedded orderer serves on the peer's
address). Use it as

    eval "$(peersim env)"
    peer chaincode invoke -o "$ORDERER_ADDRESS" -C mychannel -n mycc -c '{"Args":["put","a","1"]}'

The addresses are those the running peer wrote to ` + peersim.AddressFileName + `; they change at
every start with port 0, so run it again after a restart. With --org (one of the peer's --orgs)
they are that organisation's: its virtual peer's address, its MSP ID, and --identity of that
organisation, so that Fabric's CLI acts as that organisation.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.resolve(cmd, f); err != nil {
				return err
			}
			running, why, err := a.runningPeer(f.dataDir)
			if err != nil {
				return err
			}
			if running == nil {
				return fmt.Errorf("no peer runs on %s (%s): start one with `peersim node start --data-dir %s`", f.dataDir, why, f.dataDir)
			}
			org := f.org
			address := running.Address
			if f.orgGiven {
				addr, ok := running.OrgAddress(org)
				if !ok {
					return unknownOrg("--org", org, running, f.dataDir)
				}
				address = addr
			} else if running.MSPID != "" {
				org = running.MSPID
			}
			msp, err := identityMSPDir(f.dataDir, org, f.orgGiven, identity)
			if err != nil {
				return err
			}
			for _, kv := range [][2]string{
				{envFabricCfgPath, peersim.FabricConfigPath(f.dataDir)},
				{envCorePeerAddress, address},
				{envCorePeerTLS, "false"},
				{envCoreLocalMSPID, org},
				{envCoreMSPConfig, msp},
				{envOrdererAddress, address},
			} {
				fmt.Fprintf(a.stdout, "export %s=%s\n", kv[0], shellQuote(kv[1]))
			}
			return nil
		},
	}
	addClientFlags(cmd, f, false)
	cmd.Flags().StringVar(&identity, "identity", "Admin", "the identity Fabric's CLI signs with: Admin, User1 or one added with \"peersim identity add\"")
	return cmd
}

// identityMSPDir is the MSP folder of identity name of organisation org in
// dataDir; an unknown name lists the known.
func identityMSPDir(dataDir, org string, orgGiven bool, name string) (string, error) {
	dir, err := peersim.IdentityMSPDirOf(dataDir, org, name)
	if errors.Is(err, peersim.ErrIdentityNotFound) || errors.Is(err, peersim.ErrNoOrganization) {
		_, err = signingIdentity(dataDir, org, orgGiven, name) // says which identities there are
	}
	return dir, err
}
