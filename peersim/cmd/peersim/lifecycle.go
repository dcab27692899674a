package main

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/chaincodekit/chaincodekit/peersim/client"
)

// lifecycleFlags are the flags of `peer lifecycle chaincode` that the
// definition commands share, with Fabric's names.
type lifecycleFlags struct {
	client                 clientFlags
	channel, name, version string
	sequence               int64
	packageID              string
	signaturePolicy        string
	channelConfigPolicy    string
	collectionsFile        string
	initRequired           bool
	endorsementPlugin      string
	validationPlugin       string
}

func newLifecycleCommand(a *app) *cobra.Command {
	f := &lifecycleFlags{}
	cc := &cobra.Command{
		Use:   "chaincode",
		Short: "Package, install, approve, check, commit and query chaincode definitions (Fabric 2.x's lifecycle)",
	}
	addClientFlags(cc, &f.client, true)
	cc.AddCommand(
		newLifecyclePackageCommand(),
		newLifecycleInstallCommand(a, f),
		newLifecycleQueryInstalledCommand(a, f),
		newLifecycleDefinitionCommand(a, f, "approveformyorg"),
		newLifecycleDefinitionCommand(a, f, "checkcommitreadiness"),
		newLifecycleDefinitionCommand(a, f, "commit"),
		newLifecycleQueryCommittedCommand(a, f),
	)
	cmd := &cobra.Command{Use: "lifecycle", Short: "Fabric 2.x's chaincode lifecycle (_lifecycle), with the flags of 'peer lifecycle'"}
	cmd.AddCommand(cc)
	return cmd
}

func newLifecyclePackageCommand() *cobra.Command {
	var path, label, lang string
	cmd := &cobra.Command{
		Use:   "package OUTPUT --path DIR --label LABEL",
		Short: "Package Go chaincode as 'peer lifecycle chaincode package' does",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := require([2]string{"--path (chaincode directory)", path}, [2]string{"--label", label}); err != nil {
				return err
			}
			if lang != "golang" {
				return fmt.Errorf("--lang %q: peersim packages Go chaincode only (golang)", lang)
			}
			pkg, err := client.PackageLabelled(path, label)
			if err != nil {
				return err
			}
			if err := os.WriteFile(args[0], pkg, 0o644); err != nil {
				return fmt.Errorf("write the package: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&path, "path", "p", "", "the chaincode directory")
	cmd.Flags().StringVarP(&label, "label", "", "", "the package label, e.g. basic_1.0")
	cmd.Flags().StringVarP(&lang, "lang", "l", "golang", "the chaincode language (golang only)")
	return cmd
}

func newLifecycleInstallCommand(a *app, f *lifecycleFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "install PACKAGE_FILE",
		Short: "Install a 2.x chaincode package; prints its package identifier. Admin only",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pkg, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("read the package: %w", err)
			}
			return a.withPeer(cmd, &f.client, func(ctx context.Context, s *session) error {
				id, _, err := s.InstallPackage(ctx, pkg)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Chaincode code package identifier: %s\n", id)
				return nil
			})
		},
	}
}

func newLifecycleQueryInstalledCommand(a *app, f *lifecycleFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "queryinstalled",
		Short: "List the packages installed on the peer (either lifecycle). Admin only",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withPeer(cmd, &f.client, func(ctx context.Context, s *session) error {
				installed, err := s.QueryInstalled(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, "Installed chaincodes on peer:")
				for _, c := range installed {
					fmt.Fprintf(a.stdout, "Package ID: %s, Label: %s\n", c.GetPackageId(), c.GetLabel())
				}
				return nil
			})
		},
	}
}

// newLifecycleDefinitionCommand makes approveformyorg,
// checkcommitreadiness or commit.
func newLifecycleDefinitionCommand(a *app, f *lifecycleFlags, op string) *cobra.Command {
	short := map[string]string{
		"approveformyorg":      "Approve a chaincode definition for this organisation (ordered; waits for the commit). Admin only",
		"checkcommitreadiness": "Say which organisations have approved a chaincode definition",
		"commit":               "Commit an approved chaincode definition on the channel (ordered; waits for the commit)",
	}[op]
	cmd := &cobra.Command{
		Use:   op + " -C CHANNEL -n NAME -v VERSION --sequence N",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := f.definition()
			if err != nil {
				return err
			}
			return a.withPeer(cmd, &f.client, func(ctx context.Context, s *session) error {
				switch op {
				case "checkcommitreadiness":
					approvals, err := s.CheckCommitReadiness(ctx, d)
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "Chaincode definition for chaincode '%s', version '%s', sequence '%d' on channel '%s' approval status by org:\n", d.Name, d.Version, d.Sequence, d.Channel)
					orgs := make([]string, 0, len(approvals))
					for o := range approvals {
						orgs = append(orgs, o)
					}
					slices.Sort(orgs)
					for _, o := range orgs {
						fmt.Fprintf(a.stdout, "%s: %t\n", o, approvals[o])
					}
					return nil
				}
				submit := s.CommitDefinition
				if op == "approveformyorg" {
					submit = s.ApproveForMyOrg
				}
				res, err := submit(ctx, d)
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
	fs := cmd.Flags()
	fs.Int64Var(&f.sequence, "sequence", 0, "the definition's sequence: the committed one plus one")
	if op == "approveformyorg" {
		fs.StringVar(&f.packageID, "package-id", "", "the installed package this organisation runs (label:sha256)")
	}
	fs.StringVar(&f.signaturePolicy, "signature-policy", "", `the endorsement policy, e.g. "OR('Org1MSP.member')"`)
	fs.StringVar(&f.channelConfigPolicy, "channel-config-policy", "", "a channel policy as the endorsement policy, e.g. /Channel/Application/Endorsement (the default)")
	fs.StringVar(&f.collectionsFile, "collections-config", "", "a collections_config.json file for private data collections")
	fs.BoolVar(&f.initRequired, "init-required", false, "the first invoke must be an --isInit one")
	fs.StringVarP(&f.endorsementPlugin, "endorsement-plugin", "E", "", "the endorsement plugin (default escc)")
	fs.StringVarP(&f.validationPlugin, "validation-plugin", "V", "", "the validation plugin (default vscc)")
	if op == "commit" {
		// The commit needs the endorsements of a majority of the
		// channel's organisations (LifecycleEndorsement).
		endorsingOrgsFlag(cmd, &f.client)
	}
	return cmd
}

// definition turns the flags into a client.Definition, naming a missing
// or bad flag.
func (f *lifecycleFlags) definition() (client.Definition, error) {
	if err := require([2]string{"-C (channel)", f.channel}, [2]string{"-n (chaincode name)", f.name}, [2]string{"-v (version)", f.version}); err != nil {
		return client.Definition{}, err
	}
	d := client.Definition{
		Channel: f.channel, Name: f.name, Version: f.version, Sequence: f.sequence, PackageID: f.packageID,
		ChannelConfigPolicy: f.channelConfigPolicy, InitRequired: f.initRequired,
		EndorsementPlugin: f.endorsementPlugin, ValidationPlugin: f.validationPlugin,
	}
	var err error
	if f.signaturePolicy != "" {
		if d.SignaturePolicy, err = client.ParsePolicy(f.signaturePolicy); err != nil {
			return d, fmt.Errorf("--signature-policy %q: %w; e.g. --signature-policy \"OR('Org1MSP.member')\"", f.signaturePolicy, err)
		}
	}
	if f.collectionsFile != "" {
		if d.Collections, err = readCollections(f.collectionsFile); err != nil {
			return d, err
		}
	}
	return d, d.Validate()
}

func newLifecycleQueryCommittedCommand(a *app, f *lifecycleFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "querycommitted -C CHANNEL [-n NAME]",
		Short: "Show the committed chaincode definitions of a channel, or one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := require([2]string{"-C (channel)", f.channel}); err != nil {
				return err
			}
			return a.withPeer(cmd, &f.client, func(ctx context.Context, s *session) error {
				if f.name != "" {
					d, err := s.QueryCommitted(ctx, f.channel, f.name)
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "Committed chaincode definition for chaincode '%s' on channel '%s':\n", f.name, f.channel)
					orgs := make([]string, 0, len(d.GetApprovals()))
					for o := range d.GetApprovals() {
						orgs = append(orgs, o)
					}
					slices.Sort(orgs)
					approvals := ""
					for i, o := range orgs {
						if i > 0 {
							approvals += ", "
						}
						approvals += fmt.Sprintf("%s: %t", o, d.GetApprovals()[o])
					}
					fmt.Fprintf(a.stdout, "Version: %s, Sequence: %d, Endorsement Plugin: %s, Validation Plugin: %s, Approvals: [%s]\n",
						d.GetVersion(), d.GetSequence(), d.GetEndorsementPlugin(), d.GetValidationPlugin(), approvals)
					return nil
				}
				defs, err := s.QueryAllCommitted(ctx, f.channel)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Committed chaincode definitions on channel '%s':\n", f.channel)
				for _, d := range defs {
					fmt.Fprintf(a.stdout, "Name: %s, Version: %s, Sequence: %d, Endorsement Plugin: %s, Validation Plugin: %s\n",
						d.GetName(), d.GetVersion(), d.GetSequence(), d.GetEndorsementPlugin(), d.GetValidationPlugin())
				}
				return nil
			})
		},
	}
	channelFlag(cmd, &f.channel)
	nameFlag(cmd, &f.name)
	return cmd
}
