package peersim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIdentitiesAreIssuedListedAndLoadedFromTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadIdentity(dir, "Admin"); !errors.Is(err, ErrNoOrganization) {
		t.Fatalf("LoadIdentity before any organisation: %v, want %v", err, ErrNoOrganization)
	}

	alice, aliceDir, err := IssueIdentity(dir, "alice", map[string]string{"role": "auditor"}, false)
	if err != nil {
		t.Fatalf("IssueIdentity creates the organisation and the identity: %v", err)
	}
	if !strings.HasPrefix(aliceDir, OrgDir(dir)+string(filepath.Separator)) {
		t.Errorf("alice is stored in %s, outside the organisation %s", aliceDir, OrgDir(dir))
	}
	names, err := Identities(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Admin", "User1", "alice"}, names); diff != "" {
		t.Errorf("Identities (-want +got):\n%s", diff)
	}

	loaded, err := LoadIdentity(dir, "alice")
	if err != nil {
		t.Fatalf("LoadIdentity alice: %v", err)
	}
	if !bytes.Equal(loaded.Serialize(), alice.Serialize()) {
		t.Error("LoadIdentity alice gave another identity than IssueIdentity issued")
	}
	if _, err := LoadIdentity(dir, "bob"); !errors.Is(err, ErrIdentityNotFound) {
		t.Errorf("LoadIdentity bob: %v, want %v", err, ErrIdentityNotFound)
	}
	if _, _, err := IssueIdentity(dir, "alice", nil, false); !errors.Is(err, ErrIdentityExists) {
		t.Errorf("IssueIdentity alice again: %v, want %v", err, ErrIdentityExists)
	}
}

func TestNewKeepsItsOrganisationWhereOrgDirSays(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig(dir)
	cfg.Dev, cfg.Ledger = true, LedgerMemory
	p, err := New(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	if got, want := p.Org().Dir(), OrgDir(dir); got != want {
		t.Errorf("the peer's organisation is in %s, OrgDir says %s", got, want)
	}
	if got, want := p.Org().MSPID(), MSPID(); got != want {
		t.Errorf("the peer's MSP ID is %s, MSPID says %s", got, want)
	}
	admin, err := LoadIdentity(dir, "Admin")
	if err != nil {
		t.Fatalf("LoadIdentity Admin from the peer's data directory: %v", err)
	}
	want, err := p.Org().Identity("Admin")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(admin.Serialize(), want.Serialize()) {
		t.Error("LoadIdentity Admin gave another identity than the peer's Admin")
	}
}

func TestOrganisationFoldersBelongToOneMSPID(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := IssueOrgIdentity(dir, "Org1MSP", "alice", nil, false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		do   func() error
		want string
	}{
		{name: "another case of the MSP ID cannot issue in its folder", want: "its folder", do: func() error {
			_, _, err := IssueOrgIdentity(dir, "ORG1MSP", "eve", nil, false)
			return err
		}},
		{name: "the MSP ID without its suffix cannot load from it", want: "belongs to Org1MSP", do: func() error {
			_, err := LoadOrgIdentity(dir, "Org1", "alice")
			return err
		}},
		{name: "nor list it", want: "belongs to Org1MSP", do: func() error {
			_, err := OrgIdentities(dir, "org1msp")
			return err
		}},
		{name: "an MSP ID that is a path is refused before any file is read", want: `organisation "../../x"`, do: func() error {
			_, err := LoadOrgIdentity(dir, "../../x", "alice")
			return err
		}},
		{name: "listing an organisation no peer created is an error", want: "no peer organisation Org2MSP", do: func() error {
			_, err := OrgIdentities(dir, "Org2MSP")
			if !errors.Is(err, ErrNoOrganization) {
				return fmt.Errorf("not ErrNoOrganization: %w", err)
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := os.Stat(OrgDirOf(dir, "Org2MSP")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("listing Org2MSP left a folder: %v", err)
	}
	if _, err := LoadOrgIdentity(dir, "Org1MSP", "alice"); err != nil {
		t.Errorf("Org1MSP's own identity: %v", err)
	}
}
