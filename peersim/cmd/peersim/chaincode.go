package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// chaincodeFlags are the flags of `peer chaincode` that several
// subcommands share.
type chaincodeFlags struct {
	client    clientFlags
	channel   string
	name      string
	version   string
	path      string
	ctor      string
	transient string
	isInit    bool
	// checkDeterminism asks the peer to simulate the call twice and refuse
	// it if the results differ (invoke and query).
	checkDeterminism bool
	// verdict is the peer's verdict on the check of the call made
	// (the peer's peersim-determinism header), "" when it sent none.
	verdict string
}

func newChaincodeCommand(a *app) *cobra.Command {
	f := &chaincodeFlags{}
	cmd := &cobra.Command{
		Use:   "chaincode",
		Short: "Package, install, instantiate, upgrade, invoke, query and list chaincode (Fabric's legacy lifecycle); run it against a development-mode peer",
	}
	addClientFlags(cmd, &f.client, true)
	cmd.AddCommand(
		newChaincodePackageCommand(a, f),
		newChaincodeInstallCommand(a, f),
		newChaincodeDeployCommand(a, f, "instantiate"),
		newChaincodeDeployCommand(a, f, "upgrade"),
		newChaincodeInvokeCommand(a, f),
		newChaincodeQueryCommand(a, f),
		newChaincodeListCommand(a, f),
		newChaincodeRunCommand(a, f),
	)
	return cmd
}

// Flag helpers: the short and long names of Fabric's peer CLI.
func channelFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "channelID", "C", "", "the channel")
}

func nameFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "name", "n", "", "the chaincode name")
}

func versionFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "version", "v", "", "the chaincode version")
}

func ctorFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "ctor", "c", "", `the function and arguments as JSON: {"Args":["fn","a"]} or {"function":"fn","Args":["a"]}`)
}

func transientFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "transient", "", `transient data as a JSON object of base64 values, e.g. {"price":"MTAw"}; passed to the chaincode, never recorded`)
}

// require names the first missing required value.
func require(values ...[2]string) error {
	for _, v := range values {
		if v[1] == "" {
			return fmt.Errorf("%s is required", v[0])
		}
	}
	return nil
}

// withTimeout bounds a command's calls to the peer.
func withTimeout(cmd *cobra.Command, f *clientFlags) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cmd.Context(), f.timeout)
}
