package main

import (
	"context"
	"encoding/json"

	"github.com/spf13/cobra"
)

func newTxCommand(a *app) *cobra.Command {
	f := &clientFlags{}
	cmd := &cobra.Command{
		Use:   "tx",
		Short: "Look into the peer's recent transactions",
	}
	addClientFlags(cmd, f, true)
	cmd.AddCommand(newTxTraceCommand(a, f))
	return cmd
}

func newTxTraceCommand(a *app, f *clientFlags) *cobra.Command {
	var channel string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "trace TXID [-C CHANNEL] [--json]",
		Short: "Show what the peer saw of a transaction: proposal, chaincode messages and output, read-write set, endorsement, commit",
		Long: `Prints the peer's trace of transaction TXID, in order: the proposal (creator, function,
arguments, transient keys), every message the chaincode exchanged with the peer while it ran,
with its time and duration, the lines the chaincode process wrote meanwhile (production mode),
the response and endorsement, the read-write set and event, and the block and validation code
with its reason once committed. The peer keeps the traces of its last transactions
(node start --trace-capacity). Needs an admin identity (the default).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withPeer(cmd, f, func(ctx context.Context, s *session) error {
				t, err := s.Trace(ctx, channel, args[0])
				if err != nil {
					return err
				}
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(t)
				}
				return t.Render(a.stdout)
			})
		},
	}
	cmd.Flags().StringVarP(&channel, "channelID", "C", "", "the transaction's channel (default: any)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the trace as JSON, as the operations address's /traces/TXID serves it")
	return cmd
}
