package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/chaincodekit/chaincodekit/peersim"
)

func newLedgerCommand(a *app) *cobra.Command {
	f := &clientFlags{}
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Save a running peer's ledgers to a snapshot file",
	}
	addClientFlags(cmd, f, true)
	cmd.AddCommand(newLedgerSnapshotCommand(a, f))
	return cmd
}

func newLedgerSnapshotCommand(a *app, f *clientFlags) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "snapshot --out FILE",
		Short: "Write the running peer's channels (state, private data, chaincode definitions) to FILE",
		Long: `Asks the running peer (pscc GetSnapshot, as an admin) for every channel's world state, with the
chaincode definitions of lscc and _lifecycle, its private data and their hashes, and writes them to
FILE as a snapshot: gzip'd JSON, format version 1 (see the README). Start a peer from it with
peersim node start --from-snapshot FILE. The peer must be running: this command does not read a
stopped peer's data directory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out FILE is required: where to write the snapshot")
			}
			if err := a.requireRunningPeer(cmd, f); err != nil {
				return err
			}
			return a.withPeer(cmd, f, func(ctx context.Context, s *session) error {
				raw, err := s.Snapshot(ctx)
				if err != nil {
					return err
				}
				file, err := peersim.SaveSnapshot(out, raw)
				if err != nil {
					return fmt.Errorf("the peer at %s answered: %w", f.peerAddress, err)
				}
				for _, c := range file.Channels {
					fmt.Fprintf(a.stderr, "channel %s: height %d, %d keys, %d private keys\n", c.Name, c.Height, len(c.State), len(c.Private))
				}
				fmt.Fprintf(a.stderr, "snapshot of %d channels written to %s\n", len(file.Channels), out)
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "the snapshot file to write (replaced whole)")
	return cmd
}

// requireRunningPeer refuses, before dialling, when no address is given
// and no peer runs on the data directory: the snapshot comes from a
// running peer, never from a stopped peer's files.
func (a *app) requireRunningPeer(cmd *cobra.Command, f *clientFlags) error {
	if cmd.Flags().Changed("peer-address") {
		return nil
	}
	if v, ok := a.lookupEnv(envPeerAddress); ok && v != "" {
		return nil
	}
	if err := a.resolveDataDir(cmd, f); err != nil {
		return err
	}
	running, why, err := a.runningPeer(f.dataDir)
	if err != nil || running != nil {
		return err
	}
	return fmt.Errorf("no peer is running on %s (%s): peersim ledger snapshot asks a running peer and does not read a stopped peer's ledgers; start it with `peersim node start --data-dir %s` (its bolt ledger is kept across restarts) and run this again, or point --peer-address at a running peer",
		f.dataDir, why, f.dataDir)
}
