package channel

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// open opens a memory-ledger set keeping its list in dir, recording the
// channels Opened is called for.
func open(t *testing.T, dir string) (*Set, *[]string) {
	t.Helper()
	var opened []string
	s, err := Open(Config{
		ListFile: filepath.Join(dir, "channels.json"),
		MSP:      testMSP(t),
		Default:  "mychannel",
		Ledger:   func(string) ledger.Config { return ledger.MemoryConfig() },
		Orderer:  orderer.DefaultConfig(),
		Opened:   func(name string, _ *ledger.Ledger) { opened = append(opened, name) },
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, &opened
}

// testMSP is the MSP of a fresh organisation.
func testMSP(t *testing.T) *identity.MSP {
	t.Helper()
	org, err := identity.EnsureOrg(t.TempDir(), identity.DefaultConfig())
	if err != nil {
		t.Fatalf("create organisation: %v", err)
	}
	return org.MSP()
}

func TestOpenNeedsAnMSP(t *testing.T) {
	_, err := Open(Config{ListFile: filepath.Join(t.TempDir(), "channels.json"), Default: "mychannel"})
	if err == nil || !strings.Contains(err.Error(), "Config.MSP is nil") {
		t.Fatalf("Open without an MSP error = %v, want one naming Config.MSP", err)
	}
}

func TestCreate(t *testing.T) {
	tests := []struct {
		name    string
		channel string
		wantErr string
		wantIs  error
	}{
		{name: "a new channel is created", channel: "other"},
		{name: "Fabric's characters are allowed", channel: "a.b-c9"},
		{name: "an existing channel is refused", channel: "mychannel", wantErr: "create channel mychannel: channel already exists", wantIs: ErrExists},
		{name: "an upper-case name is refused", channel: "Other", wantErr: `bad channel name "Other": must match ^[a-z][a-z0-9.-]*$`},
		{name: "an empty name is refused", channel: "", wantErr: `bad channel name ""`},
		{name: "a name longer than 249 characters is refused", channel: strings.Repeat("a", 250), wantErr: "at most 249 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := open(t, t.TempDir())
			err := s.Create(tt.channel)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Create(%q): %v", tt.channel, err)
				}
				if _, err := s.Ledger(tt.channel); err != nil {
					t.Fatalf("Ledger(%q) after Create: %v", tt.channel, err)
				}
				if _, err := s.Submitter(tt.channel); err != nil {
					t.Fatalf("Submitter(%q) after Create: %v", tt.channel, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Create(%q) error = %v, want one containing %q", tt.channel, err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Fatalf("Create(%q) error = %v, want errors.Is %v", tt.channel, err, tt.wantIs)
			}
			if got := s.Names(); !slices.Equal(got, []string{"mychannel"}) {
				t.Errorf("Names after a refused Create = %v, want [mychannel]", got)
			}
		})
	}
}

func TestReopenRemembersChannels(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, dir)
	if err := s.Create("zeta"); err != nil {
		t.Fatal(err)
	}
	if err := s.Create("alpha"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, opened := open(t, dir)
	want := []string{"alpha", "mychannel", "zeta"}
	if got := s2.Names(); !slices.Equal(got, want) {
		t.Errorf("Names after reopen = %v, want %v", got, want)
	}
	if !slices.Equal(*opened, want) {
		t.Errorf("Opened called for %v, want %v", *opened, want)
	}
}

func TestCorruptListIsReported(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "channels.json")
	if err := os.WriteFile(file, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Config{ListFile: file, MSP: testMSP(t), Default: "mychannel", Ledger: func(string) ledger.Config { return ledger.MemoryConfig() }, Orderer: orderer.DefaultConfig()})
	if err == nil || !strings.Contains(err.Error(), "channel list "+file+" is corrupt") {
		t.Fatalf("Open error = %v, want one naming the corrupt list %s", err, file)
	}
}

func TestLookups(t *testing.T) {
	s, _ := open(t, t.TempDir())
	if _, err := s.Ledger("nochannel"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Ledger(nochannel) error = %v, want ErrNotFound", err)
	}
	_, err := s.Submitter("nochannel")
	want := "this peer's channels are mychannel; create one with `peersim channel create -c nochannel`"
	if err == nil || err.Error() != want {
		t.Errorf("Submitter(nochannel) error = %v, want %q", err, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ledger("mychannel"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Ledger(mychannel) after Close error = %v, want ErrNotFound", err)
	}
	if _, err := s.Submitter("mychannel"); err == nil {
		t.Error("Submitter(mychannel) after Close succeeded, want an error")
	}
	if err := s.Create("other"); !errors.Is(err, ErrClosed) {
		t.Errorf("Create after Close error = %v, want ErrClosed", err)
	}
}

// openOrgs opens a memory-ledger set in dir for a peer of orgs (the MSP
// knows only Org1MSP; membership does not need the others' CAs).
func openOrgs(t *testing.T, dir string, orgs ...string) (*Set, error) {
	t.Helper()
	s, err := Open(Config{
		ListFile: filepath.Join(dir, "channels.json"),
		MSP:      testMSP(t),
		Orgs:     orgs,
		Default:  "mychannel",
		Ledger:   func(string) ledger.Config { return ledger.MemoryConfig() },
		Orderer:  orderer.DefaultConfig(),
	})
	if err == nil {
		t.Cleanup(func() { _ = s.Close() })
	}
	return s, err
}

func TestChannelsHaveMemberOrganisations(t *testing.T) {
	tests := []struct {
		name     string
		orgs     []string
		want     []string
		wantErr  error
		wantText string
	}{
		{name: "no list: every organisation of the peer", want: []string{"Org1MSP", "Org2MSP", "Org3MSP"}},
		{name: "a list keeps the peer's order", orgs: []string{"Org3MSP", "Org1MSP"}, want: []string{"Org1MSP", "Org3MSP"}},
		{name: "one organisation", orgs: []string{"Org2MSP"}, want: []string{"Org2MSP"}},
		{name: "an organisation the peer lacks is refused", orgs: []string{"Org1MSP", "Org9MSP"}, wantErr: ErrUnknownOrg, wantText: `"Org9MSP"`},
		{name: "an organisation listed twice is refused", orgs: []string{"Org2MSP", "Org2MSP"}, wantText: `organisation "Org2MSP" is listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := openOrgs(t, dir, "Org1MSP", "Org2MSP", "Org3MSP")
			if err != nil {
				t.Fatal(err)
			}
			err = s.Create("other", tt.orgs...)
			if tt.wantText != "" {
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.wantText) {
					t.Fatalf("Create error = %v, want one containing %q (wrapping %v)", err, tt.wantText, tt.wantErr)
				}
				if _, err := s.Members("other"); !errors.Is(err, ErrNotFound) {
					t.Fatalf("Members of a refused channel: %v, want ErrNotFound", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Members("other")
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("Members = %v, %v; want %v", got, err, tt.want)
			}
			// The list file keeps them across a restart.
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2, err := openOrgs(t, dir, "Org1MSP", "Org2MSP", "Org3MSP")
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s2.Members("other"); err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("Members after reopen = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestAListOfNamesOnlyGivesEveryOrganisation(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "channels.json"), []byte(`["mychannel","old"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := openOrgs(t, dir, "Org1MSP", "Org2MSP")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Members("old"); err != nil || !slices.Equal(got, []string{"Org1MSP", "Org2MSP"}) {
		t.Fatalf("Members of a channel from an old list = %v, %v; want both organisations", got, err)
	}
}

func TestAPeerWithoutAMemberOrganisationRefusesToOpen(t *testing.T) {
	dir := t.TempDir()
	s, err := openOrgs(t, dir, "Org1MSP", "Org2MSP")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create("pair", "Org2MSP"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = openOrgs(t, dir, "Org1MSP")
	if !errors.Is(err, ErrUnknownOrg) || !strings.Contains(err.Error(), `"Org2MSP"`) {
		t.Fatalf("Open by a peer without Org2MSP: %v, want ErrUnknownOrg naming Org2MSP", err)
	}
}

func TestResolvePolicy(t *testing.T) {
	two := []string{"Org1MSP", "Org2MSP"}
	ref := func(r string) *peer.ApplicationPolicy {
		return &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_ChannelConfigPolicyReference{ChannelConfigPolicyReference: r}}
	}
	sig := &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{SignaturePolicy: identity.MustParsePolicy("OR('Org1MSP.admin', 'Org2MSP.member')")}}
	tests := []struct {
		name      string
		namespace string
		policy    *peer.ApplicationPolicy
		members   []string
		want      string
		wantErr   string
	}{
		{name: "a signature policy is itself", namespace: "cc", policy: sig, members: two, want: "OR('Org1MSP.admin', 'Org2MSP.member')"},
		{name: "Endorsement is the majority", namespace: "cc", policy: ref(identity.EndorsementRef), members: two, want: "AND('Org1MSP.peer', 'Org2MSP.peer')"},
		{name: "Endorsement of three is two of them", namespace: "cc", policy: ref(identity.EndorsementRef), members: []string{"A", "B", "C"}, want: "OutOf(2, 'A.peer', 'B.peer', 'C.peer')"},
		{name: "LifecycleEndorsement is the majority", namespace: "cc", policy: ref(identity.LifecycleEndorsementRef), members: two, want: "AND('Org1MSP.peer', 'Org2MSP.peer')"},
		{name: "an organisation's Endorsement is its peer", namespace: "cc", policy: ref("/Channel/Application/Org2MSP/Endorsement"), members: two, want: "AND('Org2MSP.peer')"},
		{name: "_lifecycle without a policy needs the majority", namespace: ledger.LifecycleNamespace, members: two, want: "AND('Org1MSP.peer', 'Org2MSP.peer')"},
		{name: "lscc without a policy needs any member", namespace: "lscc", members: two, want: "OR('Org1MSP.member', 'Org2MSP.member')"},
		{name: "a non-member's Endorsement is unknown", namespace: "cc", policy: ref("/Channel/Application/Org3MSP/Endorsement"), members: two, wantErr: `channel policy "/Channel/Application/Org3MSP/Endorsement" is not defined`},
		{name: "Readers is any member's admin, peer or client", namespace: "cc", policy: ref("/Channel/Application/Readers"), members: two, want: "OR('Org1MSP.admin', 'Org1MSP.peer', 'Org1MSP.client', 'Org2MSP.admin', 'Org2MSP.peer', 'Org2MSP.client')"},
		{name: "Writers is any member's admin or client", namespace: "cc", policy: ref("/Channel/Application/Writers"), members: two, want: "OR('Org1MSP.admin', 'Org1MSP.client', 'Org2MSP.admin', 'Org2MSP.client')"},
		{name: "Admins is the majority of admins", namespace: "cc", policy: ref("/Channel/Application/Admins"), members: two, want: "AND('Org1MSP.admin', 'Org2MSP.admin')"},
		{name: "Admins of three is two admins", namespace: "cc", policy: ref("/Channel/Application/Admins"), members: []string{"A", "B", "C"}, want: "OutOf(2, 'A.admin', 'B.admin', 'C.admin')"},
		{name: "Writers of one organisation", namespace: "cc", policy: ref("/Channel/Application/Writers"), members: []string{"Org1MSP"}, want: "OR('Org1MSP.admin', 'Org1MSP.client')"},
		{name: "an organisation's Readers", namespace: "cc", policy: ref("/Channel/Application/Org1MSP/Readers"), members: two, want: "OR('Org1MSP.admin', 'Org1MSP.peer', 'Org1MSP.client')"},
		{name: "an organisation's Admins", namespace: "cc", policy: ref("/Channel/Application/Org2MSP/Admins"), members: two, want: "AND('Org2MSP.admin')"},
		{name: "an organisation's unknown policy", namespace: "cc", policy: ref("/Channel/Application/Org2MSP/Owners"), members: two, wantErr: `channel policy "/Channel/Application/Org2MSP/Owners" is not defined`},
		{name: "a reference outside the application group", namespace: "cc", policy: ref("/Channel/Orderer/Writers"), members: two, wantErr: `channel policy "/Channel/Orderer/Writers" is not defined`},
		{name: "an unknown application policy", namespace: "cc", policy: ref("/Channel/Application/Owners"), members: two, wantErr: `channel policy "/Channel/Application/Owners" is not defined`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := ResolvePolicy(tt.namespace, tt.policy, tt.members)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ResolvePolicy error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := identity.FormatPolicy(env); got != tt.want {
				t.Errorf("ResolvePolicy = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestAnOrganisationSeesTheChannelsItIsAMemberOf(t *testing.T) {
	s, err := openOrgs(t, t.TempDir(), "Org1MSP", "Org2MSP")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create("solo", "Org1MSP"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		org        string
		names      []string
		soloJoined bool
	}{
		{"Org1MSP", []string{"mychannel", "solo"}, true},
		{"Org2MSP", []string{"mychannel"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.org, func(t *testing.T) {
			v := s.View(tt.org)
			if got := v.Names(); !slices.Equal(got, tt.names) {
				t.Errorf("Names = %v, want %v", got, tt.names)
			}
			_, err := v.Ledger("solo")
			if tt.soloJoined != (err == nil) {
				t.Fatalf("Ledger(solo) error = %v, want joined %t", err, tt.soloJoined)
			}
			if err != nil && !errors.Is(err, ErrNotFound) {
				t.Errorf("Ledger(solo) error = %v, want ErrNotFound", err)
			}
			if !tt.soloJoined {
				if hint := v.NotJoined("solo"); !strings.Contains(hint, "the peer of Org2MSP has not joined it: its members are Org1MSP") {
					t.Errorf("NotJoined = %q", hint)
				}
			}
			if _, err := v.Ledger("mychannel"); err != nil {
				t.Errorf("Ledger(mychannel): %v", err)
			}
		})
	}
}
