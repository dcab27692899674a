package peersimtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim"
	"github.com/chaincodekit/chaincodekit/peersim/client"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// TB is the part of testing.TB (and of Ginkgo's GinkgoT()) the kit uses.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
	TempDir() string
}

// bufSize is the buffer of each in-memory listener.
const bufSize = 1 << 20

// Peer is an in-process development-mode peer with its client and
// chaincode connections. It is stopped by the test's cleanup.
type Peer struct {
	peer    *peersim.Peer
	org     *identity.Org
	timeout time.Duration
	log     *slog.Logger

	clientConn *grpc.ClientConn
	ccConn     *grpc.ClientConn
	// orgs are the peer's organisations (WithOrgs; the first is org) and
	// orgConns the connections to their virtual peers.
	orgs     []*identity.Org
	orgConns map[string]*grpc.ClientConn

	connectMu sync.Mutex // serialises Connect
	mu        sync.Mutex
	lifecycle Lifecycle
	connected map[string]string                    // name:version served by an in-process chaincode: the id it registered as
	streams   map[string]func()                    // name:version: ends its chaincode stream (Connect, Reconnect)
	users     map[string]*identity.SigningIdentity // by MSPID/name
}

type settings struct {
	logger       *slog.Logger
	channels     []string
	batchSize    int
	batchTimeout time.Duration
	timeout      time.Duration
	orgs         []string
	lifecycle    Lifecycle
	// checkDeterminism: WithDeterminismCheck (determinism.go).
	checkDeterminism bool
	replay           replay // snapshot.go: WithSnapshot, WithFixture, WithDeterministicClock
}

// Option configures New.
type Option func(*settings)

// WithLogger sends the peer's and the chaincodes' logs to l; the default
// discards them.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.logger = l } }

// WithChannels creates these channels besides peersim.DefaultChannel
// (mychannel).
func WithChannels(names ...string) Option {
	return func(s *settings) { s.channels = append(s.channels, names...) }
}

// WithBatch sets the embedded orderer's block cutting: a block after size
// transactions or after timeout. The default, one transaction per block,
// makes block numbers predictable; a larger size lets a test put several
// submitted transactions into one block.
func WithBatch(size int, timeout time.Duration) Option {
	return func(s *settings) { s.batchSize, s.batchTimeout = size, timeout }
}

// WithOrgs makes the peer play these organisations (MSP IDs, e.g.
// WithOrgs("Org1MSP", "Org2MSP")), one virtual peer each with its own
// peer identity, endorser and private data, as peersim's --orgs does; the
// first is Org. Every channel has them all. Transactions are endorsed by
// every organisation of the channel unless Tx.EndorsedBy names some, and
// Instantiate and Upgrade approve the definition for each of them and
// commit it with all their endorsements.
func WithOrgs(mspIDs ...string) Option { return func(s *settings) { s.orgs = mspIDs } }

// WithTimeout bounds each call the kit makes to the peer (default 30s).
func WithTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// New starts a development-mode peer on an in-memory ledger in
// t.TempDir(), served on in-memory listeners, and stops it when the test
// ends. It has the channel mychannel and those given by WithChannels.
func New(t TB, opts ...Option) *Peer {
	t.Helper()
	s := settings{batchSize: 1, batchTimeout: 50 * time.Millisecond, timeout: 30 * time.Second}
	for _, o := range opts {
		o(&s)
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.timeout <= 0 {
		t.Fatalf("peersimtest: WithTimeout %s: must be positive", s.timeout)
	}
	cfg := peersim.DefaultConfig(t.TempDir())
	cfg.Address, cfg.ChaincodeAddress, cfg.OperationsAddress = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.Ledger = peersim.LedgerMemory
	cfg.Dev = true
	cfg.ChaincodeStartupTimeout = s.timeout
	cfg.ChaincodeExecuteTimeout = s.timeout
	cfg.BatchSize, cfg.BatchTimeout = s.batchSize, s.batchTimeout
	cfg.CheckDeterminism = s.checkDeterminism
	if len(s.orgs) > 0 {
		cfg.Orgs = s.orgs
	}
	if err := s.replay.prepare(&cfg); err != nil {
		t.Fatalf("peersimtest: %v", err)
	}
	ps, err := peersim.New(cfg, s.logger)
	if err != nil {
		t.Fatalf("peersimtest: create peer: %v", err)
	}
	clientLis, ccLis := bufconn.Listen(bufSize), bufconn.Listen(bufSize)
	orgLis := map[string]net.Listener{}
	for _, id := range cfg.Orgs[1:] {
		orgLis[id] = bufconn.Listen(bufSize)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if err := ps.StartOn(ctx, peersim.Listeners{Client: clientLis, Chaincode: ccLis, OrgClients: orgLis}); err != nil {
		_ = ps.Stop(ctx)
		t.Fatalf("peersimtest: start peer: %v", err)
	}
	var orgs []*identity.Org
	for _, id := range cfg.Orgs {
		org, err := s.replay.org(ps, cfg.DataDir, id)
		if err != nil {
			_ = ps.Stop(ctx)
			t.Fatalf("peersimtest: %v", err)
		}
		orgs = append(orgs, org)
	}
	p := &Peer{
		peer: ps, org: orgs[0], orgs: orgs, orgConns: map[string]*grpc.ClientConn{}, timeout: s.timeout, log: s.logger,
		lifecycle: s.lifecycle, connected: map[string]string{}, streams: map[string]func(){}, users: map[string]*identity.SigningIdentity{},
	}
	// Registered first, so it runs last: after the chaincodes are gone.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
		defer cancel()
		if err := ps.Stop(ctx); err != nil {
			t.Fatalf("peersimtest: stop peer: %v", err)
		}
	})
	if p.clientConn, err = dial(clientLis); err != nil {
		t.Fatalf("peersimtest: connect to the peer's client service: %v", err)
	}
	t.Cleanup(func() { p.clientConn.Close() })
	p.orgConns[cfg.Orgs[0]] = p.clientConn
	for id, l := range orgLis {
		conn, err := dial(l.(*bufconn.Listener))
		if err != nil {
			t.Fatalf("peersimtest: connect to the client service of %s: %v", id, err)
		}
		t.Cleanup(func() { conn.Close() })
		p.orgConns[id] = conn
	}
	if p.ccConn, err = dial(ccLis); err != nil {
		t.Fatalf("peersimtest: connect to the peer's chaincode service: %v", err)
	}
	t.Cleanup(func() { p.ccConn.Close() })
	for _, ch := range s.channels {
		if err := ps.CreateChannel(ch); err != nil && !errors.Is(err, peersim.ErrChannelExists) {
			t.Fatalf("peersimtest: create channel %q: %v", ch, err)
		}
	}
	return p
}

func dial(l *bufconn.Listener) (*grpc.ClientConn, error) {
	return grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return l.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
}

// Peer returns the running peersim peer.
func (p *Peer) Peer() *peersim.Peer { return p.peer }

// Org returns the peer's organisation (Org1MSP, or the first of
// WithOrgs), which holds its users.
func (p *Peer) Org() *identity.Org { return p.org }

// Orgs returns the MSP IDs of the peer's organisations, Org's first.
func (p *Peer) Orgs() []string {
	out := make([]string, len(p.orgs))
	for i, o := range p.orgs {
		out[i] = o.MSPID()
	}
	return out
}

// OrgOf returns organisation mspID of the peer (see WithOrgs).
func (p *Peer) OrgOf(t TB, mspID string) *identity.Org {
	t.Helper()
	for _, o := range p.orgs {
		if o.MSPID() == mspID {
			return o
		}
	}
	t.Fatalf("peersimtest: organisation %q: the peer's organisations are %v (WithOrgs)", mspID, p.Orgs())
	return nil
}

// UserOf returns a user of organisation mspID by name: "Admin", "User1",
// or one made with IssueOf.
func (p *Peer) UserOf(t TB, mspID, name string) *identity.SigningIdentity {
	t.Helper()
	org := p.OrgOf(t, mspID)
	p.mu.Lock()
	defer p.mu.Unlock()
	if id := p.users[mspID+"/"+name]; id != nil {
		return id
	}
	id, err := org.Identity(name)
	if err != nil {
		t.Fatalf("peersimtest: identity %q: %v", name, err) // err names the organisation
	}
	p.users[mspID+"/"+name] = id
	return id
}

// OrgConnection returns the in-memory connection to the client port of
// organisation mspID's virtual peer (ClientConnection is Org's).
func (p *Peer) OrgConnection(t TB, mspID string) *grpc.ClientConn {
	t.Helper()
	p.OrgOf(t, mspID)
	return p.orgConns[mspID]
}

// Admin returns the organisation's admin, who installs and instantiates.
func (p *Peer) Admin(t TB) *identity.SigningIdentity {
	t.Helper()
	return p.User(t, "Admin")
}

// User returns a user of the organisation by name: "Admin", "User1", or
// one made with Issue.
func (p *Peer) User(t TB, name string) *identity.SigningIdentity {
	t.Helper()
	return p.UserOf(t, p.org.MSPID(), name)
}

// Issue issues a new client identity of the organisation whose
// certificate carries attrs (the Fabric CA attribute extension that
// cid.GetAttributeValue reads), e.g. Issue(t, "alice",
// map[string]string{"abac.creator": "true"}).
func (p *Peer) Issue(t TB, name string, attrs map[string]string) *identity.SigningIdentity {
	t.Helper()
	return p.IssueOf(t, p.org.MSPID(), name, attrs)
}

// IssueOf is Issue for organisation mspID.
func (p *Peer) IssueOf(t TB, mspID, name string, attrs map[string]string) *identity.SigningIdentity {
	t.Helper()
	id, err := p.OrgOf(t, mspID).IssueIdentity(name, attrs, false)
	if err != nil {
		t.Fatalf("peersimtest: issue identity %q of %s: %v", name, mspID, err)
	}
	p.mu.Lock()
	p.users[mspID+"/"+name] = id
	p.mu.Unlock()
	return id
}

// Client returns a peersim client that signs as id, on the peer's
// in-memory client connection.
func (p *Peer) Client(t TB, id *identity.SigningIdentity) *client.Client {
	t.Helper()
	c, err := client.New(p.clientConn, id, client.WithAddress("peersimtest"))
	if err != nil {
		t.Fatalf("peersimtest: client for %s: %v", id.Name(), err)
	}
	return c
}

// ClientConnection returns the in-memory connection to the peer's client
// port, which serves Fabric's Gateway, Endorser, Broadcast and Deliver
// services. Application code written with fabric-gateway runs on it in go
// test, with no port:
//
//	id := p.User(t, "User1")
//	gid, _ := identity.NewX509Identity(id.MSPID(), id.Certificate())  // fabric-gateway's pkg/identity
//	sign, _ := identity.NewPrivateKeySign(id.PrivateKey())
//	gw, _ := client.Connect(gid, client.WithSign(sign), client.WithClientConnection(p.ClientConnection()))
//
// The kit closes it when the test ends.
func (p *Peer) ClientConnection() *grpc.ClientConn { return p.clientConn }

// context returns a context bounded by the kit's timeout.
func (p *Peer) context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), p.timeout)
}

func (p *Peer) String() string { return fmt.Sprintf("peersimtest peer (%s)", p.org.MSPID()) }
