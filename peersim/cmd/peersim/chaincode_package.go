package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/chaincodekit/chaincodekit/peersim/client"
)

func newChaincodePackageCommand(a *app, f *chaincodeFlags) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "package -n NAME -v VERSION -p DIR -o FILE",
		Short: "Package Go chaincode (the whole module around DIR) in Fabric 2.x's format",
		Long: `Writes a Fabric 2.x chaincode package (metadata.json and code.tar.gz in a tar.gz) of the Go
chaincode in DIR, with the Go module around DIR, labelled NAME_VERSION. The same source always
gives the same bytes, so the same package ID. Prints the package ID.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := require([2]string{"-n (chaincode name)", f.name}, [2]string{"-v (version)", f.version},
				[2]string{"-p (chaincode directory)", f.path}, [2]string{"-o (output file)", out}); err != nil {
				return err
			}
			pkg, err := pack(f.name, f.version, f.path)
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, pkg, 0o644); err != nil {
				return fmt.Errorf("write the package: %w", err)
			}
			id, err := client.PackageID(pkg)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, id)
			return nil
		},
	}
	nameFlag(cmd, &f.name)
	versionFlag(cmd, &f.version)
	cmd.Flags().StringVarP(&f.path, "path", "p", "", "the chaincode directory (its main package, inside a Go module)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "the package file to write")
	return cmd
}

// pack packages the chaincode in dir with the label name_version.
func pack(name, version, dir string) ([]byte, error) {
	pkg, err := client.PackageChaincode(name, version, dir)
	switch {
	case errors.Is(err, client.ErrInvalidChaincodeName):
		return nil, fmt.Errorf("-n %q: %w", name, err)
	case errors.Is(err, client.ErrInvalidChaincodeVersion):
		return nil, fmt.Errorf("-v %q: %w", version, err)
	case err != nil:
		return nil, fmt.Errorf("package %s: %w", dir, err)
	}
	return pkg, nil
}
