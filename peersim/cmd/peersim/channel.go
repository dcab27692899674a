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
	cmd := &cobra.Command{
		Use:   "create -c NAME",
		Short: "Create a channel and join the peer to it (needs an admin identity)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return fmt.Errorf("-c (channel name) is required")
			}
			return a.withPeer(cmd, f, func(ctx context.Context, s *session) error {
				if err := s.CreateChannel(ctx, name); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "channel %s created\n", name)
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&name, "channelID", "c", "", "the channel name")
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
