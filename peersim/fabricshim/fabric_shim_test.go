package fabricshim_test

import (
	"context"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim"
	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	fabricshim "github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const waitLimit = 20 * time.Second

// fabricCC is a chaincode written against Fabric's own shim.
type fabricCC struct{}

func (fabricCC) Init(stub fabricshim.ChaincodeStubInterface) *peer.Response {
	_, a := stub.GetFunctionAndParameters()
	if err := stub.PutState("init", []byte(strings.Join(a, " "))); err != nil {
		return fabricshim.Error(err.Error())
	}
	return fabricshim.Success(nil)
}

func (fabricCC) Invoke(stub fabricshim.ChaincodeStubInterface) *peer.Response {
	fn, a := stub.GetFunctionAndParameters()
	switch fn {
	case "put":
		if err := stub.PutState(a[0], []byte(a[1])); err != nil {
			return fabricshim.Error(err.Error())
		}
		if err := stub.SetEvent("put", []byte(a[0])); err != nil {
			return fabricshim.Error(err.Error())
		}
		return fabricshim.Success(nil)
	case "get":
		v, err := stub.GetState(a[0])
		if err != nil {
			return fabricshim.Error(err.Error())
		}
		return fabricshim.Success(v)
	}
	return fabricshim.Error("unknown function " + fn)
}

func TestFabricShimChaincodeInDevMode(t *testing.T) {
	dir := t.TempDir()
	cfg := peersim.DefaultConfig(dir)
	cfg.Dev, cfg.Ledger, cfg.BatchSize, cfg.BatchTimeout = true, peersim.LedgerMemory, 1, 20*time.Millisecond
	p, err := peersim.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	clientLis, ccLis := bufconn.Listen(1<<20), bufconn.Listen(1<<20)
	if err := p.StartOn(context.Background(), peersim.Listeners{Client: clientLis, Chaincode: ccLis}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := p.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	client, cc := dial(t, clientLis), dial(t, ccLis)
	admin, err := p.Org().Identity("Admin")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	endorser := peer.NewEndorserClient(client)
	propose := func(inv identity.Invocation) (*peer.ProposalResponse, *peer.Proposal) {
		t.Helper()
		prop, _, err := admin.NewProposal(inv)
		if err != nil {
			t.Fatal(err)
		}
		sp, err := admin.SignProposal(prop)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := endorser.ProcessProposal(ctx, sp)
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetResponse().GetStatus() != 200 {
			t.Fatalf("proposal %s: %d %s", inv.Args[0], resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
		}
		return resp, prop
	}

	// install
	cds := &peer.ChaincodeDeploymentSpec{
		ChaincodeSpec: &peer.ChaincodeSpec{Type: peer.ChaincodeSpec_GOLANG, ChaincodeId: &peer.ChaincodeID{Name: "fabcc", Version: "1.0"}},
		CodePackage:   pack(t),
	}
	propose(identity.Invocation{Chaincode: "lscc", Args: [][]byte{[]byte("install"), marshal(t, cds)}})

	// Fabric's shim connects as fabcc:1.0.
	stream, err := peer.NewChaincodeSupportClient(cc).Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- fabricshim.StartInProc("fabcc:1.0", stream, fabricCC{}) }()
	t.Cleanup(func() {
		cancel()
		<-ended
	})
	for !slices.Contains(p.Connected(), "fabcc:1.0") {
		if ctx.Err() != nil {
			t.Fatal("Fabric's shim never registered")
		}
		time.Sleep(time.Millisecond) // polling with a deadline
	}

	// instantiate, ordered and committed
	cds.ChaincodeSpec.Input = &peer.ChaincodeInput{Args: [][]byte{[]byte("init"), []byte("from"), []byte("fabric")}}
	resp, prop := propose(identity.Invocation{ChannelID: peersim.DefaultChannel, Chaincode: "lscc",
		Args: [][]byte{[]byte("deploy"), []byte(peersim.DefaultChannel), marshal(t, cds), nil, []byte("escc"), []byte("vscc")}})
	if code := order(ctx, t, client, admin, prop, resp); code != peer.TxValidationCode_VALID {
		t.Fatalf("instantiate: %v", code)
	}
	inv := func(a ...string) identity.Invocation {
		in := identity.Invocation{ChannelID: peersim.DefaultChannel, Chaincode: "fabcc"}
		for _, s := range a {
			in.Args = append(in.Args, []byte(s))
		}
		return in
	}
	if r, _ := propose(inv("get", "init")); string(r.GetResponse().GetPayload()) != "from fabric" {
		t.Errorf("Init state %q", r.GetResponse().GetPayload())
	}
	resp, prop = propose(inv("put", "k", "v"))
	if code := order(ctx, t, client, admin, prop, resp); code != peer.TxValidationCode_VALID {
		t.Fatalf("invoke: %v", code)
	}
	if r, _ := propose(inv("get", "k")); string(r.GetResponse().GetPayload()) != "v" {
		t.Errorf("query %q", r.GetResponse().GetPayload())
	}
}

func dial(t *testing.T, lis *bufconn.Listener) *grpc.ClientConn {
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func marshal(t *testing.T, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pack(t *testing.T) []byte {
	dir := t.TempDir()
	for f, c := range map[string]string{"go.mod": "module example.com/fabcc\n\ngo 1.22\n", "main.go": "package main\n\nfunc main() {}\n"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pkg, err := ccpackage.Pack(ccpackage.PackOptions{Dir: dir, Label: "fabcc_1.0"})
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

// order sends the endorsed transaction to the orderer and waits for its
// validation code on DeliverFiltered, opened first.
func order(ctx context.Context, t *testing.T, conn *grpc.ClientConn, signer *identity.SigningIdentity, prop *peer.Proposal, resp *peer.ProposalResponse) peer.TxValidationCode {
	t.Helper()
	hdr, chdr := &common.Header{}, &common.ChannelHeader{}
	if err := proto.Unmarshal(prop.GetHeader(), hdr); err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(hdr.GetChannelHeader(), chdr); err != nil {
		t.Fatal(err)
	}
	sign := func(m proto.Message) *common.Envelope {
		b := marshal(t, m)
		sig, err := signer.Sign(b)
		if err != nil {
			t.Fatal(err)
		}
		return &common.Envelope{Payload: b, Signature: sig}
	}
	nonce, err := identity.NewNonce()
	if err != nil {
		t.Fatal(err)
	}
	seek := sign(&common.Payload{
		Header: &common.Header{
			ChannelHeader:   marshal(t, &common.ChannelHeader{Type: int32(common.HeaderType_DELIVER_SEEK_INFO), ChannelId: chdr.GetChannelId(), Timestamp: timestamppb.Now()}),
			SignatureHeader: marshal(t, &common.SignatureHeader{Creator: signer.Serialize(), Nonce: nonce}),
		},
		Data: marshal(t, &orderer.SeekInfo{
			Start: &orderer.SeekPosition{Type: &orderer.SeekPosition_Newest{Newest: &orderer.SeekNewest{}}},
			Stop:  &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: math.MaxUint64}}},
		}),
	})
	del, err := peer.NewDeliverClient(conn).DeliverFiltered(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := del.Send(seek); err != nil {
		t.Fatal(err)
	}
	cpp := &peer.ChaincodeProposalPayload{}
	if err := proto.Unmarshal(prop.GetPayload(), cpp); err != nil {
		t.Fatal(err)
	}
	cpp.TransientMap = nil
	action := &peer.ChaincodeActionPayload{ChaincodeProposalPayload: marshal(t, cpp), Action: &peer.ChaincodeEndorsedAction{
		ProposalResponsePayload: resp.GetPayload(), Endorsements: []*peer.Endorsement{resp.GetEndorsement()}}}
	tx := &peer.Transaction{Actions: []*peer.TransactionAction{{Header: hdr.GetSignatureHeader(), Payload: marshal(t, action)}}}
	bc, err := orderer.NewAtomicBroadcastClient(conn).Broadcast(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := bc.Send(sign(&common.Payload{Header: hdr, Data: marshal(t, tx)})); err != nil {
		t.Fatal(err)
	}
	if r, err := bc.Recv(); err != nil || r.GetStatus() != common.Status_SUCCESS {
		t.Fatalf("broadcast: %v %v", r, err)
	}
	for {
		r, err := del.Recv()
		if err != nil {
			t.Fatalf("deliver: %v", err)
		}
		for _, ft := range r.GetFilteredBlock().GetFilteredTransactions() {
			if ft.GetTxid() == chdr.GetTxId() {
				return ft.GetTxValidationCode()
			}
		}
	}
}
