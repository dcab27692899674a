package chaincode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	ckshim "github.com/chaincodekit/chaincodekit/shim"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	fabricshim "github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ccStub is the part of the stub API whose signatures are the same in
// Fabric's shim and ours, so one test chaincode runs on both.
type ccStub interface {
	GetFunctionAndParameters() (string, []string)
	GetState(key string) ([]byte, error)
	PutState(key string, value []byte) error
	DelState(key string) error
	GetMultipleStates(keys ...string) ([][]byte, error)
	StartWriteBatch()
	FinishWriteBatch() error
	GetTransient() (map[string][]byte, error)
	PutPrivateData(collection, key string, value []byte) error
	GetPrivateData(collection, key string) ([]byte, error)
	GetPrivateDataHash(collection, key string) ([]byte, error)
	SetStateValidationParameter(key string, ep []byte) error
	GetStateValidationParameter(key string) ([]byte, error)
	SetEvent(name string, payload []byte) error
	InvokeChaincode(chaincodeName string, args [][]byte, channel string) *peer.Response
}

type kvIter interface {
	HasNext() bool
	Next() (*queryresult.KV, error)
	Close() error
}

type kmIter interface {
	HasNext() bool
	Next() (*queryresult.KeyModification, error)
	Close() error
}

// ccQueries are the query calls, whose iterator types differ per shim.
type ccQueries struct {
	byRange func(start, end string) (kvIter, error)
	paged   func(start, end string, pageSize int32, bookmark string) (kvIter, *peer.QueryResponseMetadata, error)
	history func(key string) (kmIter, error)
}

func initTestCC(stub ccStub) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	switch fn {
	case "init":
		if err := stub.PutState("initialized", []byte(args[0])); err != nil {
			return &peer.Response{Status: 500, Message: err.Error()}
		}
		return &peer.Response{Status: 200}
	case "private":
		if _, err := stub.GetPrivateData("coll", "k"); err != nil {
			return &peer.Response{Status: 500, Message: err.Error()}
		}
		return &peer.Response{Status: 200}
	}
	return &peer.Response{Status: 500, Message: "unknown init " + fn}
}

func invokeTestCCResponse(stub ccStub, q ccQueries) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	out, err := invokeTestCC(stub, q, fn, args)
	if err != nil {
		return &peer.Response{Status: 500, Message: err.Error()}
	}
	return &peer.Response{Status: 200, Payload: []byte(out)}
}

// fabricCC runs the test chaincode on Fabric's shim.
type fabricCC struct{}

func (fabricCC) Init(stub fabricshim.ChaincodeStubInterface) *peer.Response { return initTestCC(stub) }

func (fabricCC) Invoke(stub fabricshim.ChaincodeStubInterface) *peer.Response {
	return invokeTestCCResponse(stub, ccQueries{
		byRange: func(s, e string) (kvIter, error) { return stub.GetStateByRange(s, e) },
		paged: func(s, e string, n int32, b string) (kvIter, *peer.QueryResponseMetadata, error) {
			return stub.GetStateByRangeWithPagination(s, e, n, b)
		},
		history: func(k string) (kmIter, error) { return stub.GetHistoryForKey(k) },
	})
}

// ourCC runs the test chaincode on chaincodekit's shim.
type ourCC struct{}

func (ourCC) Init(stub ckshim.ChaincodeStubInterface) *peer.Response { return initTestCC(stub) }

func (ourCC) Invoke(stub ckshim.ChaincodeStubInterface) *peer.Response {
	return invokeTestCCResponse(stub, ccQueries{
		byRange: func(s, e string) (kvIter, error) { return stub.GetStateByRange(s, e) },
		paged: func(s, e string, n int32, b string) (kvIter, *peer.QueryResponseMetadata, error) {
			return stub.GetStateByRangeWithPagination(s, e, n, b)
		},
		history: func(k string) (kmIter, error) { return stub.GetHistoryForKey(k) },
	})
}

func invokeTestCC(stub ccStub, q ccQueries, fn string, args []string) (string, error) {
	switch fn {
	case "get":
		v, err := stub.GetState(args[0])
		return string(v), err
	case "put":
		if err := stub.PutState(args[0], []byte(args[1])); err != nil {
			return "", err
		}
		// No read-your-writes: the read sees committed state.
		v, err := stub.GetState(args[0])
		return string(v), err
	case "del":
		return "", stub.DelState(args[0])
	case "range":
		it, err := q.byRange(args[0], args[1])
		if err != nil {
			return "", err
		}
		defer it.Close()
		n, last := 0, ""
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return "", err
			}
			n, last = n+1, kv.Key
		}
		return fmt.Sprintf("%d %s", n, last), nil
	case "firstOfRange":
		it, err := q.byRange("", "")
		if err != nil {
			return "", err
		}
		defer it.Close() // closed early, with batches left on the peer
		kv, err := it.Next()
		if err != nil {
			return "", err
		}
		return kv.Key, nil
	case "paged":
		it, md, err := q.paged("", "", 10, args[0])
		if err != nil {
			return "", err
		}
		defer it.Close()
		var keys []string
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return "", err
			}
			keys = append(keys, kv.Key)
		}
		return fmt.Sprintf("%d %s..%s next=%s", md.FetchedRecordsCount, keys[0], keys[len(keys)-1], md.Bookmark), nil
	case "history":
		it, err := q.history(args[0])
		if err != nil {
			return "", err
		}
		defer it.Close()
		var txs []string
		for it.HasNext() {
			km, err := it.Next()
			if err != nil {
				return "", err
			}
			txs = append(txs, fmt.Sprintf("%s:%s:%v", km.TxId, km.Value, km.IsDelete))
		}
		return strings.Join(txs, ","), nil
	case "multi":
		vs, err := stub.GetMultipleStates(args...)
		if err != nil {
			return "", err
		}
		var parts []string
		for _, v := range vs {
			parts = append(parts, string(v))
		}
		return strings.Join(parts, ","), nil
	case "batch":
		stub.StartWriteBatch()
		for i, k := range args {
			if err := stub.PutState(k, []byte(fmt.Sprint(i))); err != nil {
				return "", err
			}
		}
		return "", stub.FinishWriteBatch()
	case "putMany": // putMany <n> [batch]: n PutState calls on distinct keys
		n, err := strconv.Atoi(args[0])
		if err != nil {
			return "", fmt.Errorf("putMany count %q: %w", args[0], err)
		}
		batched := len(args) > 1 && args[1] == "batch"
		if batched {
			stub.StartWriteBatch()
		}
		for i := range n {
			if err := stub.PutState(manyKey(i), []byte("value")); err != nil {
				return "", err
			}
		}
		if batched {
			return "", stub.FinishWriteBatch()
		}
		return "", nil
	case "private":
		transient, err := stub.GetTransient()
		if err != nil {
			return "", err
		}
		if err := stub.PutPrivateData("coll", "k", transient["secret"]); err != nil {
			return "", err
		}
		v, err := stub.GetPrivateData("coll", "k")
		if err != nil {
			return "", err
		}
		h, err := stub.GetPrivateDataHash("coll", "k")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s %s", v, h), nil
	case "sbe":
		if err := stub.SetStateValidationParameter("k", []byte("policy")); err != nil {
			return "", err
		}
		vp, err := stub.GetStateValidationParameter("k")
		return string(vp), err
	case "event":
		return "", stub.SetEvent("ev", []byte("payload"))
	case "call":
		resp := stub.InvokeChaincode(args[0], [][]byte{[]byte("get"), []byte(args[1])}, "")
		return fmt.Sprintf("%d %s %s", resp.Status, resp.Message, resp.Payload), nil
	case "fail":
		return "", errors.New("asked to fail")
	}
	return "", fmt.Errorf("unknown function %s", fn)
}

// shimUnderTest starts the test chaincode as ccid on one shim over a
// stream the test opened.
type shimUnderTest struct {
	name  string
	start func(ccid string, stream peer.ChaincodeSupport_RegisterClient) error
}

var shimsUnderTest = []shimUnderTest{
	{"Fabric's shim", func(ccid string, s peer.ChaincodeSupport_RegisterClient) error {
		return fabricshim.StartInProc(ccid, s, fabricCC{})
	}},
	{"chaincodekit's shim", func(ccid string, s peer.ChaincodeSupport_RegisterClient) error {
		return ckshim.StartInProc(ccid, s, ourCC{})
	}},
}

// manyKey is the i-th key putMany writes.
func manyKey(i int) string { return fmt.Sprintf("key%07d", i) }

// startShim runs the test chaincode as ccid on sh, connected to e's server.
func startShim(t testing.TB, e *env, sh shimUnderTest, ccid string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := peer.NewChaincodeSupportClient(e.conn).Register(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- sh.start(ccid, stream) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-ended:
		case <-time.After(waitLimit):
			t.Errorf("%s did not stop", sh.name)
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, waitLimit)
	defer wcancel()
	if _, err := e.srv.WaitReady(wctx, ccid); err != nil {
		t.Fatalf("%s never became ready: %v", sh.name, err)
	}
}

// signedProposal builds what a client would send, with a transient map.
func signedProposal(t *testing.T, channelID, txID string, transient map[string][]byte) *peer.SignedProposal {
	t.Helper()
	ch := mustMarshal(t, &common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: channelID, TxId: txID,
		Timestamp: timestamppb.New(time.Unix(1700000000, 0))})
	sh := mustMarshal(t, &common.SignatureHeader{Creator: []byte("creator"), Nonce: []byte("nonce")})
	prop := &peer.Proposal{
		Header:  mustMarshal(t, &common.Header{ChannelHeader: ch, SignatureHeader: sh}),
		Payload: mustMarshal(t, &peer.ChaincodeProposalPayload{TransientMap: transient}),
	}
	return &peer.SignedProposal{ProposalBytes: mustMarshal(t, prop), Signature: []byte("sig")}
}

func TestShimsEndToEnd(t *testing.T) {
	for _, sh := range shimsUnderTest {
		t.Run(sh.name, func(t *testing.T) { testShimEndToEnd(t, sh) })
	}
}

func testShimEndToEnd(t *testing.T, sh shimUnderTest) {
	resolver := ResolverFunc(func(_ context.Context, _, name string, _ *peer.SignedProposal, _ TxSimulator) (string, error) {
		return name + ":1.0", nil
	})
	e := newEnv(t, DefaultConfig(), WithResolver(resolver))
	startShim(t, e, sh, "mycc:1.0")
	startShim(t, e, sh, "other:1.0")

	tests := []struct {
		name       string
		typ        peer.ChaincodeMessage_Type
		args       []string
		setup      func(*fakeSim)
		wantType   peer.ChaincodeMessage_Type
		wantStatus int32
		wantOut    string // payload on success, message or ERROR text on failure
		wantWrites []string
	}{
		{name: "Init writes through PutState", typ: peer.ChaincodeMessage_INIT, args: []string{"init", "yes"},
			wantType: peer.ChaincodeMessage_COMPLETED, wantStatus: 200, wantWrites: []string{"put mycc/initialized=yes"}},
		{name: "Init cannot use private data", typ: peer.ChaincodeMessage_INIT, args: []string{"private"},
			wantType: peer.ChaincodeMessage_ERROR,
			wantOut:  "GET_STATE failed: transaction ID: TXID: private data APIs are not allowed in chaincode Init()"},
		{name: "GetState reads committed state", args: []string{"get", "a"}, setup: func(f *fakeSim) { f.commit("mycc", "a", "1") },
			wantType: peer.ChaincodeMessage_COMPLETED, wantStatus: 200, wantOut: "1"},
		{name: "PutState writes and GetState still reads the committed value", args: []string{"put", "a", "2"},
			setup: func(f *fakeSim) { f.commit("mycc", "a", "1") }, wantType: peer.ChaincodeMessage_COMPLETED, wantStatus: 200, wantOut: "1",
			wantWrites: []string{"put mycc/a=2"}},
		{name: "DelState deletes", args: []string{"del", "a"}, wantType: peer.ChaincodeMessage_COMPLETED, wantStatus: 200,
			wantWrites: []string{"del mycc/a"}},
		{name: "a range of 250 keys arrives whole through the batches", args: []string{"range", "", ""},
			setup: func(f *fakeSim) { f.commitN("mycc", 250) }, wantType: peer.ChaincodeMessage_COMPLETED, wantStatus: 200, wantOut: "250 k249"},
		{name: "a range closed early is released", args: []string{"firstOfRange"},
			setup: func(f *fakeSim) { f.commitN("mycc", 250) }, wantType: peer.ChaincodeMessage_COMPLETED, wantStatus: 200, wantOut: "k000"},
		{name: "a paginated range returns a page and a bookmark", args: []string{"paged", "k010"},
			setup: func(f *fakeSim) { f.commitN("mycc", 25) }, wantType: peer.ChaincodeMessage_COMPLETED, wantStatus: 200, wantOut: "10 k010..k019 next=k020"},
		{name: "history lists modifications", args: []string{"history", "h"},
			setup: func(f *fakeSim) {
				f.history["mycc/h"] = []*queryresult.KeyModification{mod("t2", "", true), mod("t1", "x", false)}
			}, wantType: peer.ChaincodeMessage_COMPLETED, wantStatus: 200, wantOut: "t2::true,t1:x:false"},
		{name: "GetMultipleStates uses GET_STATE_MULTIPLE", args: []string{"multi", "a", "absent", "b"},
			setup: func(f *fakeSim) { f.commit("mycc", "a", "1", "b", "2") }, wantType: peer.ChaincodeMessage_COMPLETED, wantStatus: 200, wantOut: "1,,2"},
		{name: "a write batch lands every write", args: []string{"batch", "x", "y", "z"},
			wantType: peer.ChaincodeMessage_COMPLETED, wantStatus: 200, wantWrites: []string{"put mycc/x=0", "put mycc/y=1", "put mycc/z=2"}},
		{name: "private data and the transient map work in a transaction", args: []string{"private"},
			setup: func(f *fakeSim) { f.committed["mycc/coll/k"] = []byte("old") }, wantType: peer.ChaincodeMessage_COMPLETED, wantStatus: 200,
			wantOut: "old hash(old)", wantWrites: []string{"pput mycc/coll/k=s3cret"}},
		{name: "key-level endorsement metadata goes through the metadata requests", args: []string{"sbe"},
			setup: func(f *fakeSim) {
				f.metadata["mycc/k"] = map[string][]byte{"VALIDATION_PARAMETER": []byte("committed")}
			},
			wantType: peer.ChaincodeMessage_COMPLETED, wantStatus: 200, wantOut: "committed",
			wantWrites: []string{"meta mycc/k VALIDATION_PARAMETER=policy"}},
		{name: "a chaincode-to-chaincode call reads the callee's namespace", args: []string{"call", "other", "a"},
			setup: func(f *fakeSim) { f.commit("other", "a", "theirs") }, wantType: peer.ChaincodeMessage_COMPLETED, wantStatus: 200, wantOut: "200  theirs"},
		{name: "a chaincode calling itself gets the re-entrancy error in the payload", args: []string{"call", "mycc", "a"},
			wantType: peer.ChaincodeMessage_COMPLETED, wantStatus: 200,
			wantOut: "500  INVOKE_CHAINCODE failed: transaction ID: TXID: execute failed: error sending: txid: TXID(ch1) exists"},
		{name: "an error status from Invoke is still COMPLETED", args: []string{"fail"},
			wantType: peer.ChaincodeMessage_COMPLETED, wantStatus: 500, wantOut: "asked to fail"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			txID := fmt.Sprintf("fabric-tx%d", i)
			sim := newFakeSim()
			if tt.setup != nil {
				tt.setup(sim)
			}
			typ := tt.typ
			if typ == 0 {
				typ = peer.ChaincodeMessage_TRANSACTION
			}
			input := &peer.ChaincodeInput{}
			for _, a := range tt.args {
				input.Args = append(input.Args, []byte(a))
			}
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			msg, err := e.srv.Execute(ctx, "mycc:1.0", ExecuteRequest{
				Type: typ, ChannelID: "ch1", TxID: txID, Namespace: "mycc", Input: input, Simulator: sim,
				SignedProposal: signedProposal(t, "ch1", txID, map[string][]byte{"secret": []byte("s3cret")}),
			})
			if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			wantOut := strings.ReplaceAll(tt.wantOut, "TXID", txID)
			if msg.Type != tt.wantType {
				t.Fatalf("got %s %q, want %s", msg.Type, msg.Payload, tt.wantType)
			}
			if msg.Type == peer.ChaincodeMessage_ERROR {
				if string(msg.Payload) != wantOut {
					t.Errorf("ERROR %q, want %q", msg.Payload, wantOut)
				}
			} else {
				resp := &peer.Response{}
				mustUnmarshal(t, msg.Payload, resp)
				out := string(resp.Payload)
				if resp.Status >= 400 {
					out = resp.Message
				}
				if resp.Status != tt.wantStatus || out != wantOut {
					t.Errorf("response %d %q, want %d %q", resp.Status, out, tt.wantStatus, wantOut)
				}
			}
			// Fabric's shim sends a write batch in map order.
			if diff := cmp.Diff(tt.wantWrites, sim.recorded(), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			sim.checkClosed(t)
		})
	}

	t.Run("the chaincode event is stamped with the chaincode name and txid", func(t *testing.T) {
		msg, err := e.srv.Execute(context.Background(), "mycc:1.0", ExecuteRequest{
			Type: peer.ChaincodeMessage_TRANSACTION, ChannelID: "ch1", TxID: "evtx", Namespace: "mycc",
			Input: &peer.ChaincodeInput{Args: [][]byte{[]byte("event")}}, Simulator: newFakeSim(),
			SignedProposal: signedProposal(t, "ch1", "evtx", nil),
		})
		if err != nil {
			t.Fatal(err)
		}
		want := &peer.ChaincodeEvent{ChaincodeId: "mycc", TxId: "evtx", EventName: "ev", Payload: []byte("payload")}
		if !proto.Equal(want, msg.ChaincodeEvent) {
			t.Errorf("event %v, want %v", msg.ChaincodeEvent, want)
		}
	})
}

func TestServeDialedChaincodeAsAService(t *testing.T) {
	servers := []struct {
		name   string
		server peer.ChaincodeServer
	}{
		{"Fabric's ChaincodeServer", &fabricshim.ChaincodeServer{CCID: "ccaas:1", CC: fabricCC{}}},
		{"chaincodekit's ChaincodeServer", &ckshim.ChaincodeServer{CCID: "ccaas:1", CC: ourCC{}}},
	}
	for _, tt := range servers {
		t.Run(tt.name, func(t *testing.T) {
			var admitted ConnInfo
			e := newEnv(t, DefaultConfig(), WithAdmission(AdmitFunc(func(_ string, info ConnInfo) error { admitted = info; return nil })))

			// The chaincode's own gRPC server, which the peer dials.
			lis := bufconn.Listen(1 << 20)
			gs := grpc.NewServer()
			peer.RegisterChaincodeServer(gs, tt.server)
			served := make(chan struct{})
			go func() {
				defer close(served)
				_ = gs.Serve(lis)
			}()
			conn, err := grpc.NewClient("passthrough:///ccaas", append(DialOptions(),
				grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
				grpc.WithTransportCredentials(insecure.NewCredentials()))...)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			stream, err := peer.NewChaincodeClient(conn).Connect(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ended := make(chan error, 1)
			go func() {
				_, err := e.srv.ServeDialed(stream, DialedAs{CCID: "ccaas:1", PackageID: "ccaas_1:0000", Address: "bufconn"})
				ended <- err
			}()
			t.Cleanup(func() {
				cancel()
				<-ended
				conn.Close()
				gs.Stop()
				<-served
			})

			wctx, wcancel := context.WithTimeout(ctx, waitLimit)
			defer wcancel()
			if _, err := e.srv.WaitReady(wctx, "ccaas:1"); err != nil {
				t.Fatalf("the dialed chaincode never became ready: %v", err)
			}
			if !admitted.Dialed {
				t.Errorf("admission saw Dialed false for a dialed chaincode")
			}
			msg, err := e.srv.Execute(wctx, "ccaas:1", ExecuteRequest{
				Type: peer.ChaincodeMessage_TRANSACTION, ChannelID: "ch1", TxID: "tx1", Namespace: "ccaas",
				Input:     &peer.ChaincodeInput{Args: [][]byte{[]byte("get"), []byte("a")}},
				Simulator: newFakeSim().commit("ccaas", "a", "served"), SignedProposal: signedProposal(t, "ch1", "tx1", nil),
			})
			if err != nil {
				t.Fatal(err)
			}
			resp := &peer.Response{}
			mustUnmarshal(t, msg.Payload, resp)
			if resp.Status != 200 || string(resp.Payload) != "served" {
				t.Errorf("response %d %q, want 200 %q", resp.Status, resp.Payload, "served")
			}
		})
	}
}
