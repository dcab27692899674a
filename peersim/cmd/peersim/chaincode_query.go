package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newChaincodeQueryCommand(a *app, f *chaincodeFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   `query -C CHANNEL -n NAME -c '{"Args":["fn","a"]}' [--transient JSON] [--check-determinism]`,
		Short: "Query chaincode (endorse only, nothing is committed); the response payload goes to stdout",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			inv, err := f.invocation()
			if err != nil {
				return err
			}
			return a.withPeer(cmd, &f.client, func(ctx context.Context, s *session) error {
				payload, err := s.Evaluate(f.checked(ctx), inv)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s\n", payload)
				f.reportChecked(a)
				return nil
			})
		},
	}
	f.callFlags(cmd)
	return cmd
}
