package peersim

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// finishedPID is the pid of a process that has exited and been reaped.
func finishedPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatalf("run a process that exits: %v", err)
	}
	return cmd.ProcessState.Pid()
}

func TestAddressFileWriteReadAndRemove(t *testing.T) {
	ours := AddressFile{Address: "127.0.0.1:40001", ChaincodeAddress: "127.0.0.1:40002", OperationsAddress: "127.0.0.1:40003", PID: os.Getpid(), Dev: true, MSPID: "Org1MSP"}
	newer := ours
	newer.Address, newer.ChaincodeAddress = "127.0.0.1:40011", "127.0.0.1:40012"

	tests := []struct {
		name string
		// do writes and removes in dir; want is the file left, nil for none.
		do   func(t *testing.T, dir string)
		want *AddressFile
	}{
		{"a written file reads back the same", func(t *testing.T, dir string) {
			mustWrite(t, dir, ours)
		}, &ours},
		{"a second write replaces the first", func(t *testing.T, dir string) {
			mustWrite(t, dir, ours)
			mustWrite(t, dir, newer)
		}, &newer},
		{"removing our own file removes it", func(t *testing.T, dir string) {
			mustWrite(t, dir, ours)
			if err := removeAddressFile(dir, ours); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"a file another peer wrote since is left alone", func(t *testing.T, dir string) {
			mustWrite(t, dir, ours)
			mustWrite(t, dir, newer)
			if err := removeAddressFile(dir, ours); err != nil {
				t.Fatal(err)
			}
		}, &newer},
		{"removing a file that is gone is no error", func(t *testing.T, dir string) {
			if err := removeAddressFile(dir, ours); err != nil {
				t.Fatal(err)
			}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.do(t, dir)
			got, err := ReadAddressFile(dir)
			switch {
			case tt.want == nil && !errors.Is(err, fs.ErrNotExist):
				t.Errorf("read = %+v, %v; want no file (fs.ErrNotExist)", got, err)
			case tt.want != nil && err != nil:
				t.Errorf("read: %v", err)
			case tt.want != nil:
				if diff := cmp.Diff(*tt.want, got); diff != "" {
					t.Errorf("file (-want +got):\n%s", diff)
				}
				if st, err := os.Stat(AddressFilePath(dir)); err != nil || st.Mode().Perm() != 0o600 {
					t.Errorf("file mode %v (%v), want 0600", st.Mode().Perm(), err)
				}
			}
			// The temporary file of the atomic replace is never left behind.
			if entries, _ := os.ReadDir(dir); len(entries) > 1 {
				t.Errorf("the data directory holds %v, want at most %s", entries, AddressFileName)
			}
		})
	}
}

func mustWrite(t *testing.T, dir string, f AddressFile) {
	t.Helper()
	if err := writeAddressFile(dir, f); err != nil {
		t.Fatal(err)
	}
}

func TestReadAddressFileRefusesWhatAPeerNeverWrites(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"not JSON", "127.0.0.1:7051", "invalid character"},
		{"no chaincode address", `{"address":"127.0.0.1:7051","pid":12}`, "address, chaincodeAddress and pid are required"},
		{"no pid", `{"address":"127.0.0.1:7051","chaincodeAddress":"127.0.0.1:7052"}`, "address, chaincodeAddress and pid are required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, AddressFileName), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := ReadAddressFile(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), AddressFilePath(dir)) {
				t.Errorf("read error %v, want one naming the file and containing %q", err, tt.want)
			}
		})
	}
}

func TestAddressFileRunningTellsALiveWriterFromAStaleOne(t *testing.T) {
	tests := []struct {
		name string
		pid  int
		want bool
	}{
		{"this process", os.Getpid(), true},
		{"a process that exited", finishedPID(t), false},
		{"no pid", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (AddressFile{PID: tt.pid}).Running(); got != tt.want {
				t.Errorf("Running() with pid %d = %v, want %v", tt.pid, got, tt.want)
			}
		})
	}
}

func TestDialableReplacesAnUnspecifiedHostByLoopback(t *testing.T) {
	tests := []struct {
		name string
		addr net.Addr
		want string
	}{
		{"a loopback address is kept", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7051}, "127.0.0.1:7051"},
		{"0.0.0.0 becomes 127.0.0.1", &net.TCPAddr{IP: net.IPv4zero, Port: 7051}, "127.0.0.1:7051"},
		{":: becomes ::1", &net.TCPAddr{IP: net.IPv6unspecified, Port: 7052}, "[::1]:7052"},
		{"another host is kept", &net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 7051}, "10.0.0.5:7051"},
		{"no listener, no address", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dialable(tt.addr); got != tt.want {
				t.Errorf("dialable(%v) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

func TestStartWritesTheBoundAddressesAndStopRemovesThem(t *testing.T) {
	tests := []struct {
		name string
		dev  bool
		orgs []string
	}{
		{"in development mode", true, nil},
		{"in production mode", false, nil},
		{"with two organisations", true, []string{"Org1MSP", "Org2MSP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev := tt.dev
			dir := t.TempDir()
			cfg := DefaultConfig(dir)
			cfg.Dev, cfg.Ledger = dev, LedgerMemory
			if tt.orgs != nil {
				cfg.Orgs = tt.orgs
			}
			p := startOnLoopback(t, cfg, nil)
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()

			got, err := ReadAddressFile(dir)
			if err != nil {
				t.Fatalf("read the address file of a started peer: %v", err)
			}
			client, cc, ops := p.Addrs()
			want := AddressFile{Address: client, ChaincodeAddress: cc, OperationsAddress: ops, PID: os.Getpid(), Dev: dev, MSPID: "Org1MSP"}
			for _, id := range cfg.Orgs {
				addr, err := p.OrgAddress(id)
				if err != nil || addr == "" {
					t.Fatalf("OrgAddress(%s) = %q, %v", id, addr, err)
				}
				want.Orgs = append(want.Orgs, OrgAddress{MSPID: id, Address: addr})
			}
			if want.Orgs[0].Address != client {
				t.Errorf("the first organisation's address %s is not the client address %s", want.Orgs[0].Address, client)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("address file (-want +got):\n%s", diff)
			}
			if !got.Running() {
				t.Errorf("the file of a running peer is stale: %+v", got)
			}

			if err := p.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadAddressFile(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("after Stop the address file is still there (%v)", err)
			}
		})
	}
}

func TestStartOnWritesNoAddressFile(t *testing.T) {
	n := startNet(t, t.TempDir()) // bufconn listeners
	if _, err := ReadAddressFile(n.dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a peer started on bufconn wrote an address file (%v)", err)
	}
}
