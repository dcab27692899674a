package channel

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/orderer"
)

// namePattern is Fabric's rule for channel names.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9.-]*$`)

const maxNameLength = 249

// Config says where a Set keeps its list and how it opens each channel.
type Config struct {
	// ListFile is the file that keeps the channel names across restarts.
	ListFile string
	// Default is the channel the set always has.
	Default string
	// Ledger returns the configuration of channel name's ledger.
	Ledger func(name string) ledger.Config
	// MSP knows the peer's organisations: it verifies the creators and
	// endorsements of the transactions a ledger validates.
	MSP *identity.MSP
	// Orgs are the MSP IDs of the peer's organisations, in order: the
	// members of a channel created without a list, and the only ones a
	// channel may have. Empty: the MSP's organisations.
	Orgs []string
	// LedgerOptions are given to every ledger the set opens, after the
	// policy checker.
	LedgerOptions []ledger.Option
	// Orderer configures every channel's block cutter.
	Orderer orderer.Config
	// Opened, if set, is called once a channel's ledger and orderer are
	// open, before the channel is used.
	Opened func(name string, l *ledger.Ledger)
	// Log is the logger of the cutters; nil discards.
	Log *slog.Logger
	// Restore, if set, holds the contents Open imports into these
	// channels' ledgers (ledger.Import), which must be empty; the channels
	// are added to the set. Open fails, having saved nothing, if one
	// import fails.
	Restore map[string]*ledger.Export
}

// Set is the channels a peer has, one ledger and one orderer each. It is
// safe for concurrent use.
type Set struct {
	cfg     Config
	mu      sync.RWMutex
	ledgers map[string]*ledger.Ledger
	cutters map[string]*orderer.Cutter
	members map[string][]string
	closed  bool
}

// savedChannel is one entry of the list file. A list written before
// channels had members is an array of names; its channels have all of
// Config.Orgs.
type savedChannel struct {
	Name string   `json:"name"`
	Orgs []string `json:"orgs"`
}

// Open opens the default channel and every channel in cfg.ListFile, and
// rewrites the list. cfg.MSP is required.
func Open(cfg Config) (*Set, error) {
	if cfg.MSP == nil {
		return nil, errors.New("open channels: Config.MSP is nil: the ledgers need it to validate transactions")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if len(cfg.Orgs) == 0 {
		cfg.Orgs = cfg.MSP.IDs()
	}
	s := &Set{cfg: cfg, ledgers: map[string]*ledger.Ledger{}, cutters: map[string]*orderer.Cutter{}, members: map[string][]string{}}
	names := []string{cfg.Default}
	orgs := map[string][]string{}
	raw, err := os.ReadFile(cfg.ListFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read channel list: %w", err)
	default:
		saved, err := readList(raw)
		if err != nil {
			return nil, fmt.Errorf("channel list %s is corrupt: %w", cfg.ListFile, err)
		}
		for _, c := range saved {
			names = append(names, c.Name)
			orgs[c.Name] = c.Orgs
		}
	}
	for name := range cfg.Restore {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		members, err := s.checkMembers(orgs[name])
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("channel list %s: channel %s: %w", cfg.ListFile, name, err)
		}
		if err := s.open(name, members); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	if err := s.save(); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// ValidateName checks name against Fabric's rule for channel names.
func ValidateName(name string) error {
	if len(name) > maxNameLength || !namePattern.MatchString(name) {
		return fmt.Errorf("bad channel name %q: must match %s and be at most %d characters", name, namePattern, maxNameLength)
	}
	return nil
}

// readList decodes the list file: entries with members, or the names
// alone of a list written before channels had members.
func readList(raw []byte) ([]savedChannel, error) {
	var saved []savedChannel
	if err := json.Unmarshal(raw, &saved); err == nil {
		return saved, nil
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		return nil, err
	}
	saved = nil // what the first attempt decoded before it failed
	for _, n := range names {
		saved = append(saved, savedChannel{Name: n})
	}
	return saved, nil
}

// checkMembers returns the members of a channel: orgs in the order of
// Config.Orgs, or all of Config.Orgs when orgs is empty. An organisation
// the peer does not have is an error that names it.
func (s *Set) checkMembers(orgs []string) ([]string, error) {
	if len(orgs) == 0 {
		return slices.Clone(s.cfg.Orgs), nil
	}
	for i, o := range orgs {
		if slices.Contains(orgs[:i], o) {
			return nil, fmt.Errorf("organisation %q is listed twice among the members %v: name each once", o, orgs)
		}
		if !slices.Contains(s.cfg.Orgs, o) {
			return nil, fmt.Errorf("organisation %q is not one of the peer's organisations %v: %w (start the peer with --orgs naming it)", o, s.cfg.Orgs, ErrUnknownOrg)
		}
	}
	var members []string
	for _, o := range s.cfg.Orgs {
		if slices.Contains(orgs, o) {
			members = append(members, o)
		}
	}
	return members, nil
}

// open opens the ledger of name and starts its orderer; s.mu must be held
// or s not yet shared.
func (s *Set) open(name string, members []string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	opts := append([]ledger.Option{ledger.WithPolicyChecker(policyChecker{msp: s.cfg.MSP, members: members})}, s.cfg.LedgerOptions...)
	l, err := ledger.Open(name, s.cfg.Ledger(name), opts...)
	if err != nil {
		return fmt.Errorf("open ledger of channel %s: %w", name, err)
	}
	if e := s.cfg.Restore[name]; e != nil && s.ledgers[name] == nil {
		if err := l.Import(e); err != nil {
			_ = l.Close()
			return fmt.Errorf("restore channel %s: %w", name, err)
		}
	}
	cut, err := orderer.NewCutter(name, s.cfg.Orderer, l, s.cfg.Log) // the cutter adds its channel
	if err != nil {
		_ = l.Close()
		return err
	}
	s.ledgers[name], s.cutters[name], s.members[name] = l, cut, members
	if s.cfg.Opened != nil {
		s.cfg.Opened(name, l)
	}
	return nil
}

func (s *Set) save() error {
	var list []savedChannel
	for _, n := range s.Names() {
		s.mu.RLock()
		list = append(list, savedChannel{Name: n, Orgs: s.members[n]})
		s.mu.RUnlock()
	}
	raw, err := json.Marshal(list)
	if err != nil {
		return fmt.Errorf("encode channel list: %w", err)
	}
	tmp := s.cfg.ListFile + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return fmt.Errorf("write channel list: %w", err)
	}
	if err := os.Rename(tmp, s.cfg.ListFile); err != nil {
		return fmt.Errorf("write channel list: %w", err)
	}
	return nil
}

// Names returns the names of the channels, sorted.
func (s *Set) Names() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.ledgers))
	for n := range s.ledgers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// NotJoined completes Fabric's "channel 'x' not found" for a user: which
// channels the peer has and how to add one.
func (s *Set) NotJoined(name string) string {
	return fmt.Sprintf("this peer's channels are %s; create one with `peersim channel create -c %s`",
		strings.Join(s.Names(), ", "), name)
}

// Submitter returns the orderer of channel name, for Broadcast; its error
// is the NotJoined hint.
func (s *Set) Submitter(name string) (orderer.Submitter, error) {
	s.mu.RLock()
	cut, closed := s.cutters[name], s.closed
	s.mu.RUnlock()
	if cut == nil || closed {
		return nil, errors.New(s.NotJoined(name))
	}
	return cut, nil
}

// Ledger returns the ledger of channel name.
func (s *Set) Ledger(name string) (*ledger.Ledger, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := s.ledgers[name]
	if l == nil || s.closed {
		return nil, fmt.Errorf("channel %q: %w", name, ErrNotFound)
	}
	return l, nil
}

// Members returns the MSP IDs of channel name's organisations, in the
// order of Config.Orgs.
func (s *Set) Members(name string) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.members[name]
	if !ok || s.closed {
		return nil, fmt.Errorf("channel %q: %w", name, ErrNotFound)
	}
	return slices.Clone(m), nil
}

// Create adds channel name with the organisations orgs (all of
// Config.Orgs when none are given) and saves the list.
func (s *Set) Create(name string, orgs ...string) error {
	members, err := s.checkMembers(orgs)
	if err != nil {
		return fmt.Errorf("create channel %s: %w", name, err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("create channel %s: %w", name, ErrClosed)
	}
	if s.ledgers[name] != nil {
		s.mu.Unlock()
		return fmt.Errorf("create channel %s: %w", name, ErrExists)
	}
	err = s.open(name, members)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.save()
}

// Close stops every channel's orderer, which commits what it holds, and
// then closes the ledgers. Lookups fail from the moment it begins. A second
// Close does nothing.
func (s *Set) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	for name, l := range s.ledgers {
		s.cutters[name].Stop() // commits what it holds while the ledger is open
		if err := l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close ledger of channel %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// View is the channels one organisation's peer has joined: those whose
// members include the organisation. The virtual peer of an organisation
// serves these only, as a real peer serves the channels it joined.
type View struct {
	s   *Set
	org string
}

// View returns the channels of organisation mspID.
func (s *Set) View(mspID string) *View { return &View{s: s, org: mspID} }

// member reports whether the view's organisation is a member of channel
// name, and whether the channel exists.
func (v *View) member(name string) (member, exists bool) {
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	m, ok := v.s.members[name]
	return slices.Contains(m, v.org), ok
}

// Names returns the names of the organisation's channels, sorted.
func (v *View) Names() []string {
	var out []string
	for _, n := range v.s.Names() {
		if ok, _ := v.member(n); ok {
			out = append(out, n)
		}
	}
	return out
}

// Ledger returns the ledger of channel name, or an error wrapping
// ErrNotFound when the organisation is not one of its members.
func (v *View) Ledger(name string) (*ledger.Ledger, error) {
	if ok, _ := v.member(name); !ok {
		return nil, fmt.Errorf("channel %q: %w", name, ErrNotFound)
	}
	return v.s.Ledger(name)
}

// Members returns the members of channel name (see Set.Members), for a
// channel of the organisation's.
func (v *View) Members(name string) ([]string, error) {
	if ok, _ := v.member(name); !ok {
		return nil, fmt.Errorf("channel %q: %w", name, ErrNotFound)
	}
	return v.s.Members(name)
}

// NotJoined completes Fabric's "channel 'x' not found" for a user of the
// organisation's peer.
func (v *View) NotJoined(name string) string {
	if _, exists := v.member(name); exists {
		members, _ := v.s.Members(name)
		return fmt.Sprintf("the peer of %s has not joined it: its members are %s; use the peer of one of them (peersim --org), or create a channel with `peersim channel create -c NAME --orgs %s`",
			v.org, strings.Join(members, ", "), v.org)
	}
	return fmt.Sprintf("this peer's channels are %s; create one with `peersim channel create -c %s`",
		strings.Join(v.Names(), ", "), name)
}
