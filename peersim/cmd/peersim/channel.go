package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newChannelCommand(a *app) *cobra.Command {
	f := &clientFlags{}
	cmd := &cobra.Command{
		Use:   "channel",
		Short: "Create and list channels, follow their transactions and events",
	}
	addClientFlags(cmd, f, true)
	cmd.AddCommand(newChannelCreateCommand(a, f), newChannelListCommand(a, f), newChannelEventsCommand(a, f))
	return cmd
}

func newChannelCreateCommand(a *app, f *clientFlags) *cobra.Command {
	var name string
	var orgs []string
	cmd := &cobra.Command{
		Use:   "create -c NAME [--orgs MSPID,...]",
		Short: "Create a channel and join the peer to it (needs an admin identity)",
		Long: `Creates a channel on the peer's embedded orderer and joins the peer to it, with cscc's
CreateChannel. --orgs names the channel's member organisations, some of the peer's --orgs
(default: all of them); the channel's policies (MAJORITY endorsement, the lifecycle's
majority) count its members only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return fmt.Errorf("-c (channel name) is required")
			}
			if cmd.Flags().Changed("orgs") && len(orgs) == 0 {
				return fmt.Errorf("--orgs is empty: name the channel's member organisations, or leave the flag out for all of the peer's")
			}
			return a.withPeer(cmd, f, func(ctx context.Context, s *session) error {
				if err := s.CreateChannel(ctx, name, orgs...); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "channel %s created\n", name)
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&name, "channelID", "c", "", "the channel name")
	cmd.Flags().StringSliceVar(&orgs, "orgs", nil, "the channel's member organisations, MSP IDs comma-separated (default: every organisation of the peer)")
	return cmd
}

func newChannelListCommand(a *app, f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the channels the peer has joined, one per line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withPeer(cmd, f, func(ctx context.Context, s *session) error {
				names, err := s.Channels(ctx)
				if err != nil {
					return err
				}
				for _, n := range names {
					fmt.Fprintln(a.stdout, n)
				}
				return nil
			})
		},
	}
}
