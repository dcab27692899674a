package main

import (
	"context"
	"fmt"
	"os"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/spf13/cobra"

	"github.com/chaincodekit/chaincodekit/peersim/client"
)

// newChaincodeDeployCommand makes `chaincode instantiate` or `chaincode
// upgrade`.
func newChaincodeDeployCommand(a *app, f *chaincodeFlags, op string) *cobra.Command {
	var policy, collectionsFile string
	what := "Instantiate installed chaincode on a channel: runs Init with -c and commits the definition"
	if op == "upgrade" {
		what = "Upgrade a channel to another installed version: runs Init again with -c"
	}
	cmd := &cobra.Command{
		Use:   op + ` -C CHANNEL -n NAME -v VERSION -c '{"Args":["init"]}' [-P POLICY] [--collections-config FILE]`,
		Short: what,
		Long: what + `, then orders the transaction and waits for
its commit. -P is an endorsement policy in Fabric's language, e.g. "OR('Org1MSP.member')"
(default: any member of the channel's organisations). --collections-config is a
collections_config.json file for private data. Needs an admin identity.

A production-mode peer builds and launches the chaincode first: while it builds, the command
prints "building <label> ..." and then "built <label> in <duration>" on stderr. A first build
with cold Go caches can take minutes; --timeout defaults to ` + launchTimeout().String() + ` here, which covers
the peer's default build, startup and Init timeouts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := require([2]string{"-C (channel)", f.channel}, [2]string{"-n (chaincode name)", f.name},
				[2]string{"-v (version)", f.version}, [2]string{"-c (Init arguments)", f.ctor}); err != nil {
				return err
			}
			args, err := parseCtor(f.ctor)
			if err != nil {
				return err
			}
			d := client.Deployment{Channel: f.channel, Name: f.name, Version: f.version, Args: args}
			if policy != "" {
				if d.Policy, err = client.ParsePolicy(policy); err != nil {
					return fmt.Errorf("-P %q: %w; e.g. -P \"OR('Org1MSP.member')\"", policy, err)
				}
			}
			if collectionsFile != "" {
				if d.Collections, err = readCollections(collectionsFile); err != nil {
					return err
				}
			}
			return a.withPeerLaunching(cmd, &f.client, matchCCID(f.name, f.version), func(ctx context.Context, s *session, settled func()) error {
				deploy := s.Instantiate
				if op == "upgrade" {
					deploy = s.Upgrade
				}
				res, err := deploy(ctx, d)
				settled()
				if err != nil {
					return commitFailure(a, err)
				}
				reportCommit(a, res)
				return nil
			})
		},
	}
	channelFlag(cmd, &f.channel)
	nameFlag(cmd, &f.name)
	versionFlag(cmd, &f.version)
	ctorFlag(cmd, &f.ctor)
	cmd.Flags().StringVarP(&policy, "policy", "P", "", `the endorsement policy, e.g. "OR('Org1MSP.member')"`)
	cmd.Flags().StringVar(&collectionsFile, "collections-config", "", "a collections_config.json file for private data collections")
	endorsingOrgsFlag(cmd, &f.client)
	return cmd
}

func readCollections(path string) (*peer.CollectionConfigPackage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--collections-config: %w", err)
	}
	pkg, err := client.ParseCollectionsJSON(b)
	if err != nil {
		return nil, fmt.Errorf("--collections-config %s: %w", path, err)
	}
	return pkg, nil
}

// reportCommit prints a committed transaction's id and code on stderr.
func reportCommit(a *app, res *client.Result) {
	fmt.Fprintf(a.stderr, "txid: %s\nvalidation code: %s\n", res.TxID, res.Code)
}

// commitFailure prints the txid and code of a transaction committed
// invalid before its error is reported.
func commitFailure(a *app, err error) error {
	if ce, ok := asCommitError(err); ok {
		fmt.Fprintf(a.stderr, "txid: %s\nvalidation code: %s\n", ce.TxID, ce.Code)
	}
	return err
}
