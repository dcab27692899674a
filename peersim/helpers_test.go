package peersim

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	ckshim "github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// waitLimit bounds every wait in these tests; reaching it is a failure,
// never a synchronisation.
const waitLimit = 20 * time.Second

// The system chaincodes' names, as the tests spell them.
const (
	lsccName = syscc.LSCC
	csccName = syscc.CSCC
	qsccName = syscc.QSCC
	psccName = syscc.PSCC
)

// testNet is a peer on in-memory listeners with clients for it.
type testNet struct {
	t      testing.TB
	p      *Peer
	dir    string
	client *grpc.ClientConn
	cc     *grpc.ClientConn
	admin  *identity.SigningIdentity
	user   *identity.SigningIdentity
	stop   func()
	// timeout bounds each proposal (waitLimit unless a test needs longer).
	timeout time.Duration
	// orgs are the clients of every organisation's virtual peer, the
	// first one's (client) included.
	orgs map[string]*grpc.ClientConn
}

type netSetup struct {
	cfg  Config
	opts []Option
	// tcpChaincode serves the chaincode listener on 127.0.0.1:0 instead of
	// bufconn, for processes a real launcher starts.
	tcpChaincode bool
}

type netOption func(*netSetup)

func withLedger(kind string) netOption { return func(s *netSetup) { s.cfg.Ledger = kind } }

// withOrgs makes the peer play organisations orgs.
func withOrgs(orgs ...string) netOption { return func(s *netSetup) { s.cfg.Orgs = orgs } }
func withExecuteTimeout(d time.Duration) netOption {
	return func(s *netSetup) { s.cfg.ChaincodeExecuteTimeout = d }
}
func withStartupTimeout(d time.Duration) netOption {
	return func(s *netSetup) { s.cfg.ChaincodeStartupTimeout = d }
}

// withProduction runs the peer in production mode (chaincode TLS off, as
// bufconn carries no TLS) with l as its launcher; l may be nil.
func withProduction(l Launcher) netOption {
	return func(s *netSetup) {
		s.cfg.Dev, s.cfg.ChaincodeTLS = false, false
		if l != nil {
			s.opts = append(s.opts, WithLauncher(l))
		}
	}
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.DiscardHandler)
}

// startNet starts a development-mode peer on dir with the memory ledger
// unless an option says otherwise.
func startNet(t testing.TB, dir string, opts ...netOption) *testNet {
	cfg := DefaultConfig(dir)
	cfg.Dev = true
	cfg.Ledger = LedgerMemory
	cfg.BatchSize = 1
	cfg.BatchTimeout = 20 * time.Millisecond
	cfg.ChaincodeStartupTimeout = waitLimit
	cfg.Address, cfg.ChaincodeAddress, cfg.OperationsAddress = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	setup := &netSetup{cfg: cfg}
	for _, o := range opts {
		o(setup)
	}
	p, err := New(setup.cfg, testLogger(t), setup.opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	clientLis := bufconn.Listen(1 << 20)
	var ccLis net.Listener = bufconn.Listen(1 << 20)
	if setup.tcpChaincode {
		if ccLis, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	opsLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	orgLis := map[string]net.Listener{}
	for _, id := range setup.cfg.Orgs[1:] {
		orgLis[id] = bufconn.Listen(1 << 20)
	}
	if err := p.StartOn(context.Background(), Listeners{Client: clientLis, Chaincode: ccLis, Operations: opsLis, OrgClients: orgLis}); err != nil {
		t.Fatalf("StartOn: %v", err)
	}
	n := &testNet{t: t, p: p, dir: dir, timeout: waitLimit}
	n.client = dialBuf(t, clientLis)
	n.orgs = map[string]*grpc.ClientConn{setup.cfg.Orgs[0]: n.client}
	for id, l := range orgLis {
		n.orgs[id] = dialBuf(t, l.(*bufconn.Listener))
	}
	if bl, ok := ccLis.(*bufconn.Listener); ok {
		n.cc = dialBuf(t, bl)
	}
	if n.admin, err = p.Org().Identity("Admin"); err != nil {
		t.Fatal(err)
	}
	if n.user, err = p.Org().Identity("User1"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			if err := p.Stop(ctx); err != nil {
				t.Errorf("Stop: %v", err)
			}
			for _, c := range n.orgs {
				c.Close()
			}
			if n.cc != nil {
				n.cc.Close()
			}
		})
	}
	t.Cleanup(n.stop)
	return n
}

func dialBuf(t testing.TB, lis *bufconn.Listener) *grpc.ClientConn {
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(100<<20), grpc.MaxCallSendMsgSize(100<<20)))
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// runningCC is a chaincode connected to the test peer.
type runningCC struct {
	cancel context.CancelFunc
	done   chan error
}

// connect starts cc as ccid on our shim over a new stream and returns at
// once; the registration may still fail (see done).
func (n *testNet) connect(t testing.TB, ccid string, start func(ccid string, s peer.ChaincodeSupport_RegisterClient) error) *runningCC {
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := peer.NewChaincodeSupportClient(n.cc).Register(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r := &runningCC{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- start(ccid, stream) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(waitLimit):
			t.Errorf("chaincode %s did not stop", ccid)
		}
	})
	return r
}

func ourShim(cc ckshim.Chaincode) func(string, peer.ChaincodeSupport_RegisterClient) error {
	return func(ccid string, s peer.ChaincodeSupport_RegisterClient) error {
		return ckshim.StartInProc(ccid, s, cc)
	}
}

// startCC connects cc as ccid and waits until the peer has registered it.
func (n *testNet) startCC(t testing.TB, ccid string, cc ckshim.Chaincode) *runningCC {
	t.Helper()
	r := n.connect(t, ccid, ourShim(cc))
	n.waitConnected(t, ccid)
	return r
}

func (n *testNet) waitConnected(t testing.TB, ccid string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if _, err := n.p.cc.WaitReady(ctx, ccid); err != nil {
		t.Fatalf("chaincode %s never registered: %v", ccid, err)
	}
}

func (n *testNet) waitDisconnected(t testing.TB, ccid string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for slices.Contains(n.p.cc.Connected(), ccid) {
		if time.Now().After(deadline) {
			t.Fatalf("chaincode %s still registered", ccid)
		}
		time.Sleep(time.Millisecond) // polling with a deadline
	}
}

// packageBytes packs a tiny Go chaincode with one CouchDB index.
func packageBytes(t testing.TB, name, version string) []byte {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":  "module example.com/" + name + "\n\ngo 1.22\n",
		"main.go": "package main\n\nfunc main() {}\n",
		"META-INF/statedb/couchdb/indexes/byOwner.json": `{"index":{"fields":["owner"]},"ddoc":"byOwnerDoc","name":"byOwner","type":"json"}`,
	}
	for f, content := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pkg, err := ccpackage.Pack(ccpackage.PackOptions{Dir: dir, Label: ccpackage.Label(name, version)})
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

// signedProposal builds and signs the proposal of inv.
func signedProposal(t testing.TB, signer *identity.SigningIdentity, inv identity.Invocation) (*peer.Proposal, *peer.SignedProposal) {
	t.Helper()
	prop, _, err := signer.NewProposal(inv)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := signer.SignProposal(prop)
	if err != nil {
		t.Fatal(err)
	}
	return prop, sp
}

// propose signs and sends a proposal.
func (n *testNet) propose(t testing.TB, signer *identity.SigningIdentity, inv identity.Invocation) (*peer.ProposalResponse, *peer.Proposal, *peer.SignedProposal) {
	t.Helper()
	prop, sp := signedProposal(t, signer, inv)
	ctx, cancel := context.WithTimeout(context.Background(), n.timeout)
	defer cancel()
	resp, err := peer.NewEndorserClient(n.client).ProcessProposal(ctx, sp)
	if err != nil {
		t.Fatalf("ProcessProposal: %v", err)
	}
	return resp, prop, sp
}

func args(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// install installs name:version as signer and returns the response.
func (n *testNet) install(t testing.TB, signer *identity.SigningIdentity, name, version string) *peer.ProposalResponse {
	t.Helper()
	return n.installPackage(t, signer, name, version, packageBytes(t, name, version))
}

// installPackage installs pkg as name:version.
func (n *testNet) installPackage(t testing.TB, signer *identity.SigningIdentity, name, version string, pkg []byte) *peer.ProposalResponse {
	t.Helper()
	cds := &peer.ChaincodeDeploymentSpec{
		ChaincodeSpec: &peer.ChaincodeSpec{Type: peer.ChaincodeSpec_GOLANG, ChaincodeId: &peer.ChaincodeID{Name: name, Version: version, Path: "example.com/" + name}},
		CodePackage:   pkg,
	}
	resp, _, _ := n.propose(t, signer, identity.Invocation{Chaincode: lsccName, Args: [][]byte{[]byte("install"), mustMarshal(t, cds)}})
	return resp
}

// deploy endorses an lscc deploy or upgrade and, if it was endorsed,
// orders it and returns its validation code.
func (n *testNet) deploy(t testing.TB, signer *identity.SigningIdentity, fn, channel, name, version string, initArgs ...string) (*peer.ProposalResponse, peer.TxValidationCode) {
	t.Helper()
	return n.deployWithPolicy(t, signer, "OR('Org1MSP.member')", fn, channel, name, version, initArgs...)
}

// deployWithPolicy is deploy with an endorsement policy in the peer CLI's
// language.
func (n *testNet) deployWithPolicy(t testing.TB, signer *identity.SigningIdentity, policyText, fn, channel, name, version string, initArgs ...string) (*peer.ProposalResponse, peer.TxValidationCode) {
	t.Helper()
	return n.deployFull(t, signer, policyText, nil, fn, channel, name, version, initArgs...)
}

// deployFull is deploy with an endorsement policy and a collection
// configuration (nil for none).
func (n *testNet) deployFull(t testing.TB, signer *identity.SigningIdentity, policyText string, colls *peer.CollectionConfigPackage, fn, channel, name, version string, initArgs ...string) (*peer.ProposalResponse, peer.TxValidationCode) {
	t.Helper()
	var collBytes []byte
	if colls != nil {
		collBytes = mustMarshal(t, colls)
	}
	cds := &peer.ChaincodeDeploymentSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		Type: peer.ChaincodeSpec_GOLANG, ChaincodeId: &peer.ChaincodeID{Name: name, Version: version}, Input: &peer.ChaincodeInput{Args: args(initArgs...)},
	}}
	policy := mustMarshal(t, identity.MustParsePolicy(policyText))
	a := [][]byte{[]byte(fn), []byte(channel), mustMarshal(t, cds), policy, []byte("escc"), []byte("vscc"), collBytes}
	resp, prop, _ := n.propose(t, signer, identity.Invocation{ChannelID: channel, Chaincode: lsccName, Args: a})
	if resp.GetResponse().GetStatus() != 200 {
		return resp, -1
	}
	return resp, n.submit(t, signer, channel, prop, resp)[0]
}

// instantiate deploys and requires success.
func (n *testNet) instantiate(t testing.TB, channel, name, version string, initArgs ...string) {
	t.Helper()
	resp, code := n.deploy(t, n.admin, "deploy", channel, name, version, initArgs...)
	if resp.GetResponse().GetStatus() != 200 || code != peer.TxValidationCode_VALID {
		t.Fatalf("instantiate %s:%s on %s: %d %q, code %v", name, version, channel, resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), code)
	}
}

// invoke endorses a chaincode call and, when endorsed, orders it and waits
// for its validation code.
func (n *testNet) invoke(t testing.TB, signer *identity.SigningIdentity, channel, cc string, a ...string) (*peer.ProposalResponse, peer.TxValidationCode) {
	t.Helper()
	resp, prop, _ := n.propose(t, signer, identity.Invocation{ChannelID: channel, Chaincode: cc, Args: args(a...)})
	if resp.GetResponse().GetStatus() >= 400 || resp.GetEndorsement() == nil {
		return resp, -1
	}
	return resp, n.submit(t, signer, channel, prop, resp)[0]
}

// query endorses a chaincode call without ordering it.
func (n *testNet) query(t testing.TB, channel, cc string, a ...string) *peer.Response {
	t.Helper()
	resp, _, _ := n.propose(t, n.user, identity.Invocation{ChannelID: channel, Chaincode: cc, Args: args(a...)})
	return resp.GetResponse()
}

// envelope builds the signed transaction a client orders from a proposal
// and its endorsed response.
func envelope(t testing.TB, signer *identity.SigningIdentity, prop *peer.Proposal, resps ...*peer.ProposalResponse) *common.Envelope {
	t.Helper()
	hdr := &common.Header{}
	if err := proto.Unmarshal(prop.GetHeader(), hdr); err != nil {
		t.Fatal(err)
	}
	cpp := &peer.ChaincodeProposalPayload{}
	if err := proto.Unmarshal(prop.GetPayload(), cpp); err != nil {
		t.Fatal(err)
	}
	cpp.TransientMap = nil // never recorded in the transaction
	var ends []*peer.Endorsement
	for _, r := range resps {
		ends = append(ends, r.GetEndorsement())
	}
	capl := &peer.ChaincodeActionPayload{
		ChaincodeProposalPayload: mustMarshal(t, cpp),
		Action:                   &peer.ChaincodeEndorsedAction{ProposalResponsePayload: resps[0].GetPayload(), Endorsements: ends},
	}
	tx := &peer.Transaction{Actions: []*peer.TransactionAction{{Header: hdr.GetSignatureHeader(), Payload: mustMarshal(t, capl)}}}
	payload := mustMarshal(t, &common.Payload{Header: hdr, Data: mustMarshal(t, tx)})
	sig, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	return &common.Envelope{Payload: payload, Signature: sig}
}

// seekEnvelope is a signed deliver request from start to forever.
func seekEnvelope(t testing.TB, signer *identity.SigningIdentity, channel string, start *orderer.SeekPosition, stop uint64, behavior orderer.SeekInfo_SeekBehavior) *common.Envelope {
	t.Helper()
	return seekEnvelopeTo(t, signer, channel, start, &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: stop}}}, behavior)
}

// seekEnvelopeTo is a signed deliver request from start to stop.
func seekEnvelopeTo(t testing.TB, signer *identity.SigningIdentity, channel string, start, stop *orderer.SeekPosition, behavior orderer.SeekInfo_SeekBehavior) *common.Envelope {
	t.Helper()
	nonce, err := identity.NewNonce()
	if err != nil {
		t.Fatal(err)
	}
	ch := &common.ChannelHeader{Type: int32(common.HeaderType_DELIVER_SEEK_INFO), ChannelId: channel, Timestamp: timestamppb.Now()}
	sh := &common.SignatureHeader{Creator: signer.Serialize(), Nonce: nonce}
	seek := &orderer.SeekInfo{Start: start, Stop: stop, Behavior: behavior}
	payload := mustMarshal(t, &common.Payload{
		Header: &common.Header{ChannelHeader: mustMarshal(t, ch), SignatureHeader: mustMarshal(t, sh)},
		Data:   mustMarshal(t, seek),
	})
	sig, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	return &common.Envelope{Payload: payload, Signature: sig}
}

var newest = &orderer.SeekPosition{Type: &orderer.SeekPosition_Newest{Newest: &orderer.SeekNewest{}}}

// nextBlock is the seek position of the next block to be cut on channel:
// listening from there before broadcasting cannot miss the commit, however
// late the peer reads the seek (from "newest" it could, if two blocks were
// cut first).
func (n *testNet) nextBlock(t testing.TB, channel string) *orderer.SeekPosition {
	t.Helper()
	l, err := n.p.chans.Ledger(channel)
	if err != nil {
		t.Fatalf("channel %s: %v", channel, err)
	}
	return &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: l.Height()}}}
}

// submit orders endorsed proposals on channel, each with its own response,
// and returns their validation codes once committed. It listens with
// DeliverFiltered before broadcasting, as the client library does.
func (n *testNet) submit(t testing.TB, signer *identity.SigningIdentity, channel string, prop *peer.Proposal, resp *peer.ProposalResponse, more ...any) []peer.TxValidationCode {
	t.Helper()
	props, resps := []*peer.Proposal{prop}, [][]*peer.ProposalResponse{{resp}}
	for i := 0; i+1 < len(more); i += 2 {
		props, resps = append(props, more[i].(*peer.Proposal)), append(resps, []*peer.ProposalResponse{more[i+1].(*peer.ProposalResponse)})
	}
	return n.submitTxs(t, signer, channel, props, resps)
}

// submitEnvelope orders one proposal with the endorsements of several
// responses and returns its validation code.
func (n *testNet) submitEnvelope(t testing.TB, signer *identity.SigningIdentity, channel string, prop *peer.Proposal, resps ...*peer.ProposalResponse) peer.TxValidationCode {
	t.Helper()
	return n.submitTxs(t, signer, channel, []*peer.Proposal{prop}, [][]*peer.ProposalResponse{resps})[0]
}

// submitTxs orders props[i] with the endorsements of resps[i].
func (n *testNet) submitTxs(t testing.TB, signer *identity.SigningIdentity, channel string, props []*peer.Proposal, resps [][]*peer.ProposalResponse) []peer.TxValidationCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	del, err := peer.NewDeliverClient(n.client).DeliverFiltered(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := del.Send(seekEnvelope(t, signer, channel, n.nextBlock(t, channel), math.MaxUint64, orderer.SeekInfo_BLOCK_UNTIL_READY)); err != nil {
		t.Fatal(err)
	}
	bc, err := orderer.NewAtomicBroadcastClient(n.client).Broadcast(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for i, p := range props {
		env := envelope(t, signer, p, resps[i]...)
		if err := bc.Send(env); err != nil {
			t.Fatal(err)
		}
		br, err := bc.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if br.GetStatus() != common.Status_SUCCESS {
			t.Fatalf("broadcast: %v %s", br.GetStatus(), br.GetInfo())
		}
		want[txIDOf(t, p)] = i
	}
	bc.CloseSend()
	codes := make([]peer.TxValidationCode, len(props))
	for len(want) > 0 {
		r, err := del.Recv()
		if err != nil {
			t.Fatalf("deliver: %v", err)
		}
		for _, ft := range r.GetFilteredBlock().GetFilteredTransactions() {
			if i, ok := want[ft.GetTxid()]; ok {
				codes[i] = ft.GetTxValidationCode()
				delete(want, ft.GetTxid())
			}
		}
	}
	return codes
}

func txIDOf(t testing.TB, prop *peer.Proposal) string {
	t.Helper()
	hdr := &common.Header{}
	ch := &common.ChannelHeader{}
	if err := proto.Unmarshal(prop.GetHeader(), hdr); err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(hdr.GetChannelHeader(), ch); err != nil {
		t.Fatal(err)
	}
	return ch.GetTxId()
}

// testCC is the test chaincode on our shim. It counts Init calls per
// channel and can block in Invoke until released.
type testCC struct {
	mu    sync.Mutex
	inits map[string]int
	// entered receives a value each time "block" starts; release unblocks.
	entered chan struct{}
	release chan struct{}
}

func newTestCC() *testCC {
	return &testCC{inits: map[string]int{}, entered: make(chan struct{}, 16), release: make(chan struct{})}
}

func (c *testCC) initCount(channel string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inits[channel]
}

func (c *testCC) Init(stub ckshim.ChaincodeStubInterface) *peer.Response {
	c.mu.Lock()
	c.inits[stub.GetChannelID()]++
	c.mu.Unlock()
	fn, params := stub.GetFunctionAndParameters()
	if fn == "fail" {
		return ckshim.Error("init asked to fail")
	}
	if err := stub.PutState("init", []byte(strings.Join(append([]string{fn}, params...), " "))); err != nil {
		return ckshim.Error(err.Error())
	}
	return ckshim.Success(nil)
}

func (c *testCC) Invoke(stub ckshim.ChaincodeStubInterface) *peer.Response {
	fn, a := stub.GetFunctionAndParameters()
	switch fn {
	case "put":
		if err := stub.PutState(a[0], []byte(a[1])); err != nil {
			return ckshim.Error(err.Error())
		}
		if err := stub.SetEvent("put", []byte(a[0])); err != nil {
			return ckshim.Error(err.Error())
		}
		return ckshim.Success(nil)
	case "get":
		v, err := stub.GetState(a[0])
		if err != nil {
			return ckshim.Error(err.Error())
		}
		return ckshim.Success(v)
	case "incr":
		v, err := stub.GetState(a[0])
		if err != nil {
			return ckshim.Error(err.Error())
		}
		i, _ := strconv.Atoi(string(v))
		if err := stub.PutState(a[0], []byte(strconv.Itoa(i+1))); err != nil {
			return ckshim.Error(err.Error())
		}
		return ckshim.Success(nil)
	case "rich":
		it, err := stub.GetQueryResult(a[0])
		if err != nil {
			return ckshim.Error(err.Error())
		}
		defer it.Close()
		var keys []string
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return ckshim.Error(err.Error())
			}
			keys = append(keys, kv.Key)
		}
		return ckshim.Success([]byte(strings.Join(keys, ",")))
	case "block":
		c.entered <- struct{}{}
		<-c.release
		return ckshim.Success(nil)
	case "pput":
		if err := stub.PutPrivateData(a[0], a[1], []byte(a[2])); err != nil {
			return ckshim.Error(err.Error())
		}
		return ckshim.Success(nil)
	case "pget":
		v, err := stub.GetPrivateData(a[0], a[1])
		if err != nil {
			return ckshim.Error(err.Error())
		}
		return ckshim.Success(v)
	case "phash":
		v, err := stub.GetPrivateDataHash(a[0], a[1])
		if err != nil {
			return ckshim.Error(err.Error())
		}
		return ckshim.Success([]byte(fmt.Sprintf("%x", v)))
	case "notfound":
		return &peer.Response{Status: 404, Message: "no such thing"}
	case "fail":
		return ckshim.Error("asked to fail")
	}
	return ckshim.Error(fmt.Sprintf("unknown function %q", fn))
}

func invocation(channel, cc string, a ...string) identity.Invocation {
	return identity.Invocation{ChannelID: channel, Chaincode: cc, Args: args(a...)}
}

// startOnLoopback starts a peer with cfg on free loopback ports (port 0
// for all three addresses); cleanup stops it and fails the test if Stop
// does.
func startOnLoopback(t *testing.T, cfg Config, logger *slog.Logger) *Peer {
	t.Helper()
	cfg.Address, cfg.ChaincodeAddress, cfg.OperationsAddress = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	p, err := New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := p.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return p
}
