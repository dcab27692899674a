package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/chaincodekit/chaincodekit/peersim/client"
)

func newChaincodeInstallCommand(a *app, f *chaincodeFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "install -n NAME -v VERSION -p DIR|FILE",
		Short: "Install chaincode on the peer (a directory is packaged first); prints the package ID",
		Long: `Installs chaincode as NAME:VERSION. -p is either a chaincode directory, packaged on the fly as
'peersim chaincode package' does, or a package file (from 'peersim chaincode package' or
'peer lifecycle chaincode package'), which is checked before it is sent. Needs an admin identity.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := require([2]string{"-n (chaincode name)", f.name}, [2]string{"-v (version)", f.version},
				[2]string{"-p (chaincode directory or package file)", f.path}); err != nil {
				return err
			}
			pkg, err := readOrPack(f.name, f.version, f.path)
			if err != nil {
				return err
			}
			return a.withPeer(cmd, &f.client, func(ctx context.Context, s *session) error {
				id, err := s.Install(ctx, f.name, f.version, pkg)
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, id)
				return nil
			})
		},
	}
	nameFlag(cmd, &f.name)
	versionFlag(cmd, &f.version)
	cmd.Flags().StringVarP(&f.path, "path", "p", "", "a chaincode directory or a package file")
	return cmd
}

// readOrPack packages a directory or reads and checks a package file.
func readOrPack(name, version, path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("-p %s: %w", path, err)
	}
	if info.IsDir() {
		return pack(name, version, path)
	}
	pkg, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-p %s: %w", path, err)
	}
	if _, err := client.PackageID(pkg); err != nil {
		return nil, fmt.Errorf("-p %s is not a valid chaincode package: %w", path, err)
	}
	return pkg, nil
}
