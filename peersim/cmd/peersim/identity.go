package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/chaincodekit/chaincodekit/peersim"
)

func newIdentityCommand(a *app) *cobra.Command {
	f := &clientFlags{}
	cmd := &cobra.Command{
		Use:   "identity",
		Short: "Add and list the client identities of the peer's organisation (works on the data directory)",
	}
	addClientFlags(cmd, f, false)
	cmd.AddCommand(newIdentityAddCommand(a, f), newIdentityListCommand(a, f))
	return cmd
}

func newIdentityAddCommand(a *app, f *clientFlags) *cobra.Command {
	var attrs []string
	var admin bool
	cmd := &cobra.Command{
		Use:   "add NAME [--attr key=value]... [--admin] [--org MSPID]",
		Short: "Issue a new identity, as Fabric CA enrols one (attributes readable with the cid package)",
		Long: `Issues a certificate for NAME from the organisation's CA and stores it in the data directory,
as Fabric CA enrols an identity: OU client (or admin with --admin) and the attributes given
with --attr plus hf.EnrollmentID, hf.Type and hf.Affiliation, which chaincode reads with
cid.GetAttributeValue. Sign with it with --identity NAME. --org issues it from that
organisation's CA instead (one of the peer's --orgs; default the running peer's first
organisation), creating the organisation if the data directory has none yet; sign with it
with --org MSPID --identity NAME.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := parseAttrs(attrs)
			if err != nil {
				return err
			}
			if err := a.resolve(cmd, f); err != nil {
				return err
			}
			if err := a.checkOrg(f); err != nil {
				return err
			}
			id, dir, err := peersim.IssueOrgIdentity(f.dataDir, f.org, args[0], m, admin)
			if errors.Is(err, peersim.ErrIdentityExists) {
				if f.orgGiven {
					return fmt.Errorf("identity %q of %s already exists in %s: pick another name, or use it with --org %s --identity %s", args[0], f.org, f.dataDir, f.org, args[0])
				}
				return fmt.Errorf("identity %q already exists in %s: pick another name, or use it with --identity %s", args[0], f.dataDir, args[0])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "identity %s (%s) added in %s\n", args[0], id.Name(), dir)
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&attrs, "attr", nil, "an attribute key=value (repeatable)")
	cmd.Flags().BoolVar(&admin, "admin", false, "make the identity an admin of the organisation")
	return cmd
}

func newIdentityListCommand(a *app, f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list [--org MSPID]",
		Short: "List the identities of the organisation (--org) in the data directory, one per line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.resolve(cmd, f); err != nil {
				return err
			}
			if err := a.checkOrg(f); err != nil {
				return err
			}
			names, err := peersim.OrgIdentities(f.dataDir, f.org)
			if err != nil {
				return err
			}
			for _, n := range names {
				fmt.Fprintln(a.stdout, n)
			}
			return nil
		},
	}
}

// checkOrg refuses an --org the peer running on the data directory does
// not play, rather than create an organisation no peer serves.
func (a *app) checkOrg(f *clientFlags) error {
	if !f.orgGiven {
		return nil
	}
	af, err := peersim.ReadAddressFile(f.dataDir)
	if err != nil || !af.Running() {
		return nil // no running peer: the organisation may be for its next start
	}
	if _, ok := af.OrgAddress(f.org); !ok {
		return unknownOrg("--org", f.org, &af, f.dataDir)
	}
	return nil
}
