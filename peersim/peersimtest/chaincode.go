package peersimtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim"
	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/client"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Chaincode is a chaincode instantiated on one channel of a Peer. Its
// methods build and send transactions to it.
type Chaincode struct {
	peer    *Peer
	name    string
	version string
	channel string
	signer  *identity.SigningIdentity // nil: User1
}

type deployment struct {
	version     string
	channel     string
	args        [][]byte
	policy      string
	collections []byte
	metaInf     string
}

// DeployOption configures Deploy.
type DeployOption func(*deployment)

// Version sets the chaincode version (default "1.0").
func Version(v string) DeployOption { return func(d *deployment) { d.version = v } }

// Channel sets the channel to instantiate on (default mychannel).
func Channel(name string) DeployOption { return func(d *deployment) { d.channel = name } }

// InitArgs are the arguments of Init, function name first as the peer
// CLI's -c gives them (default none).
func InitArgs(args ...string) DeployOption {
	return func(d *deployment) { d.args = toBytes(args) }
}

// Policy sets the endorsement policy in the peer CLI's language, e.g.
// "OR('Org1MSP.peer')"; the default is any member of the channel's
// organisations.
func Policy(policy string) DeployOption { return func(d *deployment) { d.policy = policy } }

// Collections sets the private data collections, in the
// collections_config.json form of Fabric's peer CLI.
func Collections(collectionsJSON []byte) DeployOption {
	return func(d *deployment) { d.collections = collectionsJSON }
}

// MetaInf packages a META-INF directory with the chaincode, e.g.
// "META-INF" next to the test: its statedb/couchdb/indexes become the
// CouchDB indexes rich queries use.
func MetaInf(dir string) DeployOption { return func(d *deployment) { d.metaInf = dir } }

// Deploy installs name (version 1.0 unless Version says otherwise),
// connects cc to the peer in process as that chaincode, and defines it on
// mychannel (or Channel) through the peer's lifecycle (WithLifecycle):
// with _lifecycle, the default, it approves and commits the definition and,
// when InitArgs are given, sends Init as the first invoke; with lscc it
// instantiates, running Init with InitArgs. The test fails if any step
// fails; the chaincode is disconnected when the test ends.
//
// Deploying the same name and version again, e.g. on another channel,
// reuses the installed package and the connected chaincode (a Fabric peer
// runs one chaincode process for all channels); cc is then ignored.
func (p *Peer) Deploy(t TB, name string, cc shim.Chaincode, opts ...DeployOption) *Chaincode {
	t.Helper()
	d := deploymentOf(opts)
	p.Connect(t, name, d.version, cc, d.metaInf)
	c, err := p.Instantiate(t, name, opts...)
	if err != nil {
		t.Fatalf("peersimtest: %v", err)
	}
	return c
}

// Instantiate defines a chaincode that Connect connected (with the same
// Version) on the channel, as Deploy does, and returns the peer's refusal,
// the commit's failure or Init's as an error, e.g. to test a failing Init.
// With _lifecycle the definition commits before Init runs, so a failed
// Init leaves it defined and uninitialised; Instantiating again with the
// same version then only sends Init again. Bad options fail the test.
func (p *Peer) Instantiate(t TB, name string, opts ...DeployOption) (*Chaincode, error) {
	t.Helper()
	return p.deploy(t, "instantiate", name, opts)
}

// Upgrade connects cc as name at the version Version gives, installs it
// and moves the channel's definition to it: with _lifecycle a new
// sequence (the committed one plus one) naming the new package, with Init
// sent first when InitArgs are given; with lscc an upgrade transaction
// running Init with InitArgs, refused for the instantiated version. The
// policy and collections are replaced by the options' (none given: the
// defaults). The peer's refusal or the commit's failure is returned as an
// error.
func (p *Peer) Upgrade(t TB, name string, cc shim.Chaincode, opts ...DeployOption) (*Chaincode, error) {
	t.Helper()
	d := deploymentOf(opts)
	p.Connect(t, name, d.version, cc, d.metaInf)
	return p.deploy(t, "upgrade", name, opts)
}

func (p *Peer) deploy(t TB, op, name string, opts []DeployOption) (*Chaincode, error) {
	t.Helper()
	d := deploymentOf(opts)
	dep := client.Deployment{Channel: d.channel, Name: name, Version: d.version, Args: d.args}
	if d.policy != "" {
		env, err := identity.ParsePolicy(d.policy)
		if err != nil {
			t.Fatalf("peersimtest: deploy %s: endorsement policy: %v", name, err)
		}
		dep.Policy = env
	}
	if d.collections != nil {
		pkg, err := identity.ParseCollectionsJSON(d.collections)
		if err != nil {
			t.Fatalf("peersimtest: deploy %s: collections: %v", name, err)
		}
		dep.Collections = pkg
	}
	admin := p.Client(t, p.Admin(t))
	ctx, cancel := p.context()
	defer cancel()
	var err error
	switch {
	case p.lifecycle == LSCC && op == "upgrade":
		_, err = admin.Upgrade(ctx, dep)
	case p.lifecycle == LSCC:
		_, err = admin.Instantiate(ctx, dep)
	default:
		p.mu.Lock()
		ccid, ok := p.connected[name+":"+d.version]
		p.mu.Unlock()
		if !ok {
			t.Fatalf("peersimtest: %s %s:%s: connect the chaincode first (Connect, or Deploy)", op, name, d.version)
		}
		err = p.define(ctx, admin, op, name, ccid, d, dep)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s:%s on %s through %s: %w", op, name, d.version, d.channel, p.lifecycle, err)
	}
	return &Chaincode{peer: p, name: name, version: d.version, channel: d.channel}, nil
}

func deploymentOf(opts []DeployOption) deployment {
	d := deployment{version: "1.0", channel: peersim.DefaultChannel}
	for _, o := range opts {
		o(&d)
	}
	return d
}

// Connect installs a package of name:version (with the META-INF directory
// metaInf, if not empty) and connects cc to the peer as that chaincode,
// without defining it; Deploy calls it. With _lifecycle the chaincode
// registers as the package's ID (label name_version), which Instantiate
// approves; with lscc as name:version. A name:version already connected is
// left as it is. The chaincode is disconnected when the test (or subtest)
// t ends.
func (p *Peer) Connect(t TB, name, version string, cc shim.Chaincode, metaInf string) {
	t.Helper()
	// One connection at a time, so that two Deploys of one chaincode do
	// not both install and connect it.
	p.connectMu.Lock()
	defer p.connectMu.Unlock()
	key := name + ":" + version
	p.mu.Lock()
	_, done := p.connected[key]
	p.mu.Unlock()
	if done {
		return
	}
	if cc == nil {
		t.Fatalf("peersimtest: connect %s: the chaincode is nil", key)
	}
	pkg, err := packageFor(t.TempDir(), name, version, metaInf)
	if err != nil {
		t.Fatalf("peersimtest: package %s: %v", key, err)
	}
	ctx, cancel := p.context()
	defer cancel()
	ccid, err := p.install(ctx, p.Client(t, p.Admin(t)), name, version, pkg)
	if err != nil {
		t.Fatalf("peersimtest: install %s through %s: %v", key, p.lifecycle, err)
	}

	disconnect, err := p.serveStream(ctx, ccid, cc)
	if err != nil {
		t.Fatalf("peersimtest: connect %s: %v", ccid, err)
	}
	p.mu.Lock()
	p.connected[key] = ccid
	p.streams[key] = disconnect
	p.mu.Unlock()
	t.Cleanup(func() {
		p.mu.Lock()
		disconnect := p.streams[key] // Reconnect may have replaced it
		delete(p.connected, key)
		delete(p.streams, key)
		p.mu.Unlock()
		disconnect()
	})
}

// Reconnect replaces the chaincode connected as name:version with cc, as
// `peersim chaincode run --watch` restarts a rebuilt chaincode: the old
// stream ends, the peer sees the chaincode go, and cc registers under the
// same id. The channels keep their state and definitions; nothing is
// installed or defined again. A transaction running on the old stream
// fails with "chaincode stream terminated". The chaincode must have been
// connected (Connect, Deploy or Attach) in this test.
func (p *Peer) Reconnect(t TB, name, version string, cc shim.Chaincode) {
	t.Helper()
	p.connectMu.Lock()
	defer p.connectMu.Unlock()
	key := name + ":" + version
	p.mu.Lock()
	ccid, ok := p.connected[key]
	disconnect := p.streams[key]
	p.mu.Unlock()
	switch {
	case !ok:
		t.Fatalf("peersimtest: reconnect %s: it is not connected; Deploy or Connect it first", key)
	case cc == nil:
		t.Fatalf("peersimtest: reconnect %s: the chaincode is nil", key)
	}
	disconnect()
	ctx, cancel := p.context()
	defer cancel()
	if err := p.waitGone(ctx, ccid); err != nil {
		t.Fatalf("peersimtest: reconnect %s: %v", ccid, err)
	}
	next, err := p.serveStream(ctx, ccid, cc)
	if err != nil {
		t.Fatalf("peersimtest: reconnect %s: %v", ccid, err)
	}
	p.mu.Lock()
	p.streams[key] = next
	p.mu.Unlock()
}

// serveStream opens a chaincode stream, serves cc on it as ccid and
// returns once the peer lists it as connected. disconnect ends the stream
// and waits for the shim to return; it may be called more than once.
func (p *Peer) serveStream(ctx context.Context, ccid string, cc shim.Chaincode) (disconnect func(), _ error) {
	streamCtx, stop := context.WithCancel(context.Background())
	stream, err := peer.NewChaincodeSupportClient(p.ccConn).Register(streamCtx)
	if err != nil {
		stop()
		return nil, fmt.Errorf("open the chaincode stream: %w", err)
	}
	served := make(chan struct{})
	var serveErr error
	go func() {
		defer close(served)
		serveErr = shim.StartInProc(ccid, stream, cc)
	}()
	disconnect = func() {
		stop()
		<-served
	}
	if err := p.waitRegistered(ctx, ccid, served, &serveErr); err != nil {
		disconnect()
		return nil, err
	}
	return disconnect, nil
}

// waitGone polls the peer until it no longer lists ccid as connected.
func (p *Peer) waitGone(ctx context.Context, ccid string) error {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for slices.Contains(p.peer.Connected(), ccid) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("the peer still lists the old chaincode as connected: %w", ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// waitRegistered polls the peer until it lists ccid as connected, and
// fails early with the shim's error if the peer refused the chaincode.
func (p *Peer) waitRegistered(ctx context.Context, ccid string, served <-chan struct{}, serveErr *error) error {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !slices.Contains(p.peer.Connected(), ccid) {
		select {
		case <-served:
			return fmt.Errorf("the peer ended the chaincode's stream before it registered: %v", *serveErr)
		case <-ctx.Done():
			return fmt.Errorf("the chaincode did not register: %w", ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// packageFor makes a chaincode-as-a-service package: the peer in
// development mode only needs it installed to accept the chaincode's
// registration, and reads the CouchDB indexes from its META-INF.
func packageFor(dir, name, version, metaInf string) ([]byte, error) {
	conn, err := json.Marshal(ccpackage.Connection{Address: "in-process:0"})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "connection.json"), conn, 0o600); err != nil {
		return nil, err
	}
	if metaInf != "" {
		if err := copyDir(metaInf, filepath.Join(dir, "META-INF")); err != nil {
			return nil, fmt.Errorf("META-INF %s: %w", metaInf, err)
		}
	}
	return ccpackage.Pack(ccpackage.PackOptions{Dir: dir, Label: ccpackage.Label(name, version), Type: ccpackage.TypeCCaaS})
}

func copyDir(src, dst string) error {
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return errors.New("not a directory")
	}
	return filepath.WalkDir(src, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if e.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// Name returns the chaincode's name.
func (c *Chaincode) Name() string { return c.name }

// Channel returns the channel the chaincode handle sends to.
func (c *Chaincode) Channel() string { return c.channel }

// As returns a handle whose transactions are signed by id by default.
func (c *Chaincode) As(id *identity.SigningIdentity) *Chaincode {
	cp := *c
	cp.signer = id
	return &cp
}

// Tx starts a transaction calling fn with args, signed by User1 unless
// As says otherwise.
func (c *Chaincode) Tx(fn string, args ...string) Tx {
	return Tx{cc: c, args: toBytes(append([]string{fn}, args...)), signer: c.signer, channel: c.channel}
}

// TxBytes is Tx with arguments as bytes, function name first.
func (c *Chaincode) TxBytes(args ...[]byte) Tx {
	return Tx{cc: c, args: args, signer: c.signer, channel: c.channel}
}

// Submit submits fn(args) and returns once it is committed; see Tx.Submit.
func (c *Chaincode) Submit(t TB, fn string, args ...string) *Result {
	t.Helper()
	return c.Tx(fn, args...).Submit(t)
}

// Evaluate evaluates fn(args) as a query; see Tx.Evaluate.
func (c *Chaincode) Evaluate(t TB, fn string, args ...string) *Result {
	t.Helper()
	return c.Tx(fn, args...).Evaluate(t)
}

func toBytes(args []string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}
