package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/spf13/cobra"
)

func newChaincodeListCommand(a *app, f *chaincodeFlags) *cobra.Command {
	var installed, instantiated, running bool
	cmd := &cobra.Command{
		Use:   "list --installed | --instantiated -C CHANNEL | --running",
		Short: "List installed chaincode, chaincode instantiated on a channel, or running chaincode processes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n := 0
			for _, b := range []bool{installed, instantiated, running} {
				if b {
					n++
				}
			}
			if n != 1 {
				return errors.New("give exactly one of --installed, --instantiated (with -C) or --running")
			}
			if instantiated && f.channel == "" {
				return errors.New("--instantiated needs the channel: -C CHANNEL")
			}
			return a.withPeer(cmd, &f.client, func(ctx context.Context, s *session) error {
				switch {
				case installed:
					ccs, err := s.InstalledChaincodes(ctx)
					if err != nil {
						return err
					}
					fmt.Fprintln(a.stdout, "Get installed chaincodes on peer:")
					printChaincodes(a, ccs)
				case instantiated:
					ccs, err := s.InstantiatedChaincodes(ctx, f.channel)
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "Get instantiated chaincodes on channel %s:\n", f.channel)
					printChaincodes(a, ccs)
				default:
					procs, err := s.RunningChaincodes(ctx)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "CCID\tPID\tCHANNELS\tSTARTED")
					for _, p := range procs {
						pid := strconv.Itoa(p.PID)
						if p.PID == 0 && p.Address != "" {
							pid = p.Address // chaincode-as-a-service: the peer dials it, it runs no process
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", p.CCID, pid, strings.Join(p.Channels, ","), p.Started.Format(time.RFC3339))
					}
					return w.Flush()
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&installed, "installed", false, "list the chaincode installed on the peer")
	cmd.Flags().BoolVar(&instantiated, "instantiated", false, "list the chaincode instantiated on the channel -C")
	cmd.Flags().BoolVar(&running, "running", false, "list the chaincode processes the peer runs (production mode)")
	channelFlag(cmd, &f.channel)
	return cmd
}

// printChaincodes prints one line per chaincode in the format of Fabric's
// `peer chaincode list`.
func printChaincodes(a *app, ccs []*peer.ChaincodeInfo) {
	for _, cc := range ccs {
		line := fmt.Sprintf("Name: %s, Version: %s, Path: %s", cc.GetName(), cc.GetVersion(), cc.GetPath())
		if cc.GetInput() != "" {
			line += ", Input: " + cc.GetInput()
		}
		if cc.GetEscc() != "" {
			line += ", Escc: " + cc.GetEscc()
		}
		if cc.GetVscc() != "" {
			line += ", Vscc: " + cc.GetVscc()
		}
		if len(cc.GetId()) > 0 {
			line += ", Id: " + string(cc.GetId())
		}
		fmt.Fprintln(a.stdout, line)
	}
}
