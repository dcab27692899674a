package shim

import (
	"flag"
	"testing"
)

// A chaincode that parses its own flags with the global flag set must still
// accept the -peer.address argument a peer passes to it.
func TestGlobalFlagSetAcceptsPeerAddress(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{name: "single dash and separate value", args: []string{"-peer.address", "127.0.0.1:7052"}},
		{name: "double dash with equals", args: []string{"--peer.address=127.0.0.1:7052"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("chaincode", flag.ContinueOnError)
			// Copy the global declaration, as flag.Parse would see it.
			f := flag.Lookup(peerAddressFlag)
			if f == nil {
				t.Fatalf("flag -%s is not declared on the global flag set", peerAddressFlag)
			}
			fs.Var(f.Value, f.Name, f.Usage)
			own := fs.Bool("verbose", false, "a chaincode's own flag")
			if err := fs.Parse(append(tc.args, "-verbose")); err != nil {
				t.Fatalf("parse %q: %v", tc.args, err)
			}
			if !*own {
				t.Fatal("the chaincode's own flag was not parsed")
			}
			if got := f.Value.String(); got != "127.0.0.1:7052" {
				t.Fatalf("peer.address = %q, want 127.0.0.1:7052", got)
			}
		})
	}
}
