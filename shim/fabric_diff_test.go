package shim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	fabshim "github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// The tests in this file run the same chaincode on Fabric's shim (v2.3.0)
// and on this one, against the same scripted peer, and require the same
// messages on the wire and the same results.

// sharedStub is the part of the stub interface whose signatures do not
// mention the shim's own types, so both shims' stubs satisfy it.
type sharedStub interface {
	GetState(key string) ([]byte, error)
	GetMultipleStates(keys ...string) ([][]byte, error)
	PutState(key string, value []byte) error
	DelState(key string) error
	SetStateValidationParameter(key string, ep []byte) error
	GetStateValidationParameter(key string) ([]byte, error)
	GetPrivateData(collection, key string) ([]byte, error)
	GetMultiplePrivateData(collection string, keys ...string) ([][]byte, error)
	GetPrivateDataHash(collection, key string) ([]byte, error)
	PutPrivateData(collection string, key string, value []byte) error
	DelPrivateData(collection, key string) error
	PurgePrivateData(collection, key string) error
	SetPrivateDataValidationParameter(collection, key string, ep []byte) error
	GetPrivateDataValidationParameter(collection, key string) ([]byte, error)
	InvokeChaincode(chaincodeName string, args [][]byte, channel string) *peer.Response
	CreateCompositeKey(objectType string, attributes []string) (string, error)
	SplitCompositeKey(compositeKey string) (string, []string, error)
	GetTxID() string
	GetChannelID() string
	GetStringArgs() []string
	SetEvent(name string, payload []byte) error
	StartWriteBatch()
	FinishWriteBatch() error
}

// kvIterator is the method set both shims' state iterators have.
type kvIterator interface {
	HasNext() bool
	Next() (*queryresult.KV, error)
	Close() error
}

// queries runs the iterator-returning calls of either shim.
type queries struct {
	byRange        func(start, end string) (kvIterator, error)
	byPartial      func(objectType string, keys []string) (kvIterator, error)
	richPaginated  func(query string, size int32, bookmark string) (kvIterator, *peer.QueryResponseMetadata, error)
	privateByRange func(collection, start, end string) (kvIterator, error)
}

func ourQueries(s ChaincodeStubInterface) queries {
	return queries{
		byRange:   func(a, b string) (kvIterator, error) { return s.GetStateByRange(a, b) },
		byPartial: func(o string, k []string) (kvIterator, error) { return s.GetStateByPartialCompositeKey(o, k) },
		richPaginated: func(q string, n int32, bm string) (kvIterator, *peer.QueryResponseMetadata, error) {
			return s.GetQueryResultWithPagination(q, n, bm)
		},
		privateByRange: func(c, a, b string) (kvIterator, error) { return s.GetPrivateDataByRange(c, a, b) },
	}
}

func fabricQueries(s fabshim.ChaincodeStubInterface) queries {
	return queries{
		byRange:   func(a, b string) (kvIterator, error) { return s.GetStateByRange(a, b) },
		byPartial: func(o string, k []string) (kvIterator, error) { return s.GetStateByPartialCompositeKey(o, k) },
		richPaginated: func(q string, n int32, bm string) (kvIterator, *peer.QueryResponseMetadata, error) {
			return s.GetQueryResultWithPagination(q, n, bm)
		},
		privateByRange: func(c, a, b string) (kvIterator, error) { return s.GetPrivateDataByRange(c, a, b) },
	}
}

type fabricCC struct {
	body func(sharedStub, queries) *peer.Response
}

func (c fabricCC) Init(s fabshim.ChaincodeStubInterface) *peer.Response {
	return c.body(s, fabricQueries(s))
}

func (c fabricCC) Invoke(s fabshim.ChaincodeStubInterface) *peer.Response {
	return c.body(s, fabricQueries(s))
}

// answer is the scripted peer's reply to a request: deterministic, derived
// from the request alone.
func answer(t *testing.T, req *peer.ChaincodeMessage) *peer.ChaincodeMessage {
	reply := func(p proto.Message) *peer.ChaincodeMessage {
		var b []byte
		if p != nil {
			b = mustMarshal(t, p)
		}
		return &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_RESPONSE, Payload: b, Txid: req.Txid, ChannelId: req.ChannelId}
	}
	kv := func(k string) *peer.QueryResultBytes { return kvBytes(t, k, "v:"+k) }
	switch req.Type {
	case peer.ChaincodeMessage_GET_STATE:
		gs := &peer.GetState{}
		_ = proto.Unmarshal(req.Payload, gs)
		if strings.HasPrefix(gs.Key, "missing") {
			return reply(nil)
		}
		if gs.Key == "fail" {
			return &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_ERROR, Payload: []byte("GET_STATE failed: transaction ID: " + req.Txid + ": boom"), Txid: req.Txid, ChannelId: req.ChannelId}
		}
		r := reply(nil)
		r.Payload = []byte("v:" + gs.Collection + "/" + gs.Key)
		return r
	case peer.ChaincodeMessage_GET_PRIVATE_DATA_HASH:
		r := reply(nil)
		r.Payload = []byte("hash")
		return r
	case peer.ChaincodeMessage_GET_STATE_MULTIPLE:
		gm := &peer.GetStateMultiple{}
		_ = proto.Unmarshal(req.Payload, gm)
		res := &peer.GetStateMultipleResult{}
		for _, k := range gm.Keys {
			if strings.HasPrefix(k, "missing") {
				res.Values = append(res.Values, nil)
			} else {
				res.Values = append(res.Values, []byte("v:"+gm.Collection+"/"+k))
			}
		}
		return reply(res)
	case peer.ChaincodeMessage_GET_STATE_BY_RANGE, peer.ChaincodeMessage_GET_QUERY_RESULT:
		return reply(&peer.QueryResponse{Results: []*peer.QueryResultBytes{kv("a"), kv("b")}, HasMore: true, Id: "it-" + req.Type.String(),
			Metadata: mustMarshal(t, &peer.QueryResponseMetadata{FetchedRecordsCount: 2, Bookmark: "bm"})})
	case peer.ChaincodeMessage_QUERY_STATE_NEXT:
		n := &peer.QueryStateNext{}
		_ = proto.Unmarshal(req.Payload, n)
		return reply(&peer.QueryResponse{Results: []*peer.QueryResultBytes{kv("c")}, Id: n.Id})
	case peer.ChaincodeMessage_QUERY_STATE_CLOSE:
		c := &peer.QueryStateClose{}
		_ = proto.Unmarshal(req.Payload, c)
		return reply(&peer.QueryResponse{Id: c.Id})
	case peer.ChaincodeMessage_GET_STATE_METADATA:
		return reply(&peer.StateMetadataResult{Entries: []*peer.StateMetadata{{Metakey: "VALIDATION_PARAMETER", Value: []byte("ep")}}})
	case peer.ChaincodeMessage_INVOKE_CHAINCODE:
		spec := &peer.ChaincodeSpec{}
		_ = proto.Unmarshal(req.Payload, spec)
		return reply(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_COMPLETED, Payload: mustMarshal(t, &peer.Response{Status: 201, Payload: []byte(spec.ChaincodeId.Name)})})
	}
	return reply(nil)
}

// record runs one transaction with body on a shim and returns every message
// the shim sent after READY, the final one included.
func record(t *testing.T, fabric bool, ready []byte, body func(sharedStub, queries) *peer.Response) []*peer.ChaincodeMessage {
	t.Helper()
	return recordTx(t, fabric, false, ready, body)
}

// recordTx is record for an INIT when init is true. Each recording runs in
// a subtest of its own, so that its stream, servers and leak check are done
// with before the next recording starts: otherwise the second harness's leak
// check, which runs first, would judge goroutines Fabric's shim starts late
// in the first (a receive goroutine per message) while their stream is
// still open.
func recordTx(t *testing.T, fabric, init bool, ready []byte, body func(sharedStub, queries) *peer.Response) (sent []*peer.ChaincodeMessage) {
	t.Helper()
	name := "our shim"
	if fabric {
		name = "Fabric's shim"
	}
	t.Run(name, func(t *testing.T) { sent = recordIn(t, fabric, init, ready, body) })
	return sent
}

// recordIn runs one recording on t.
func recordIn(t *testing.T, fabric, init bool, ready []byte, body func(sharedStub, queries) *peer.Response) []*peer.ChaincodeMessage {
	t.Helper()
	var h *harness
	if fabric {
		h = newHarnessWith(t, "mycc:1.0", func(stream ClientStream) error {
			return fabshim.StartInProc("mycc:1.0", stream, fabricCC{body: body})
		})
	} else {
		run := func(s ChaincodeStubInterface) *peer.Response { return body(s, ourQueries(s)) }
		h = newHarness(t, "mycc:1.0", &chaincodeFuncs{init: run, invoke: run})
	}
	h.handshake(ready)
	h.transaction(init, "ch", "tx1", "f", "x")
	var sent []*peer.ChaincodeMessage
	for {
		m := h.recv()
		sent = append(sent, m)
		// The shim sends ERROR only to end a transaction.
		if m.Type == peer.ChaincodeMessage_COMPLETED || m.Type == peer.ChaincodeMessage_ERROR {
			return sent
		}
		h.send(answer(t, m))
	}
}

func TestSameWireMessagesAsFabricsShim(t *testing.T) {
	withFeatures := func(t *testing.T) []byte {
		return mustMarshal(t, &peer.ChaincodeAdditionalParams{UseWriteBatch: true, MaxSizeWriteBatch: 1000, UseGetMultipleKeys: true, MaxSizeGetMultipleKeys: 3})
	}
	drain := func(it kvIterator, err error) string {
		if err != nil {
			return "error: " + err.Error()
		}
		var keys []string
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return "error: " + err.Error()
			}
			keys = append(keys, kv.Key+"="+string(kv.Value))
		}
		if err := it.Close(); err != nil {
			return "close error: " + err.Error()
		}
		return strings.Join(keys, ",")
	}
	tests := []struct {
		name  string
		ready func(*testing.T) []byte
		body  func(s sharedStub, q queries) []string
	}{
		{"reads and writes of public state", nil, func(s sharedStub, q queries) []string {
			v, err := s.GetState("k1")
			m, err2 := s.GetState("missing")
			_, err3 := s.GetState("fail")
			return []string{
				fmt.Sprint(string(v), err, m == nil, err2, err3),
				fmt.Sprint(s.PutState("k1", []byte("new"))),
				fmt.Sprint(s.PutState("k2", nil)),
				fmt.Sprint(s.DelState("k3")),
				fmt.Sprint(s.PutState("", []byte("x"))),
				fmt.Sprint(s.GetMultipleStates("a", "missing1", "b")),
			}
		}},
		{"multiple-key reads and write batches offered by the peer", withFeatures, func(s sharedStub, q queries) []string {
			vals, err := s.GetMultipleStates("a", "missing1", "b", "c", "d")
			pvals, perr := s.GetMultiplePrivateData("coll", "p1")
			s.StartWriteBatch()
			_ = s.PutState("k1", []byte("v1"))
			_ = s.PutState("k1", []byte("v2"))
			return []string{fmt.Sprint(vals, err), fmt.Sprint(pvals, perr), fmt.Sprint(s.FinishWriteBatch())}
		}},
		{"a write batch left open is flushed after Invoke", withFeatures, func(s sharedStub, q queries) []string {
			s.StartWriteBatch()
			_ = s.DelState("gone")
			return nil
		}},
		{"key-level endorsement and private data", nil, func(s sharedStub, q queries) []string {
			ep, err := s.GetStateValidationParameter("k")
			pep, perr := s.GetPrivateDataValidationParameter("coll", "k")
			pv, pverr := s.GetPrivateData("coll", "k")
			h, herr := s.GetPrivateDataHash("coll", "k")
			return []string{
				fmt.Sprint(s.SetStateValidationParameter("k", []byte("ep"))),
				fmt.Sprint(string(ep), err, string(pep), perr, string(pv), pverr, string(h), herr),
				fmt.Sprint(s.PutPrivateData("coll", "k", []byte("secret"))),
				fmt.Sprint(s.DelPrivateData("coll", "k")),
				fmt.Sprint(s.PurgePrivateData("coll", "k")),
				fmt.Sprint(s.SetPrivateDataValidationParameter("coll", "k", []byte("ep2"))),
			}
		}},
		{"range, composite-key and paginated rich queries", nil, func(s sharedStub, q queries) []string {
			it, md, err := q.richPaginated(`{"selector":{}}`, 2, "")
			paged := drain(it, err)
			return []string{
				drain(q.byRange("", "")),
				drain(q.byRange("a", "z")),
				drain(q.byPartial("color", []string{"blue"})),
				drain(q.privateByRange("coll", "", "k")),
				paged + " " + fmt.Sprint(md.GetFetchedRecordsCount(), md.GetBookmark()),
			}
		}},
		{"chaincode-to-chaincode calls and events", nil, func(s sharedStub, q queries) []string {
			r1 := s.InvokeChaincode("other", [][]byte{[]byte("f")}, "")
			r2 := s.InvokeChaincode("other", nil, "ch2")
			_ = s.SetEvent("first", []byte("1"))
			_ = s.SetEvent("second", []byte("2"))
			ck, err := s.CreateCompositeKey("t", []string{"a", "b"})
			typ, attrs, err2 := s.SplitCompositeKey(ck)
			return []string{fmt.Sprint(r1.Status, string(r1.Payload), r2.Status, string(r2.Payload)), fmt.Sprintf("%q %v %s %v %v", ck, err, typ, attrs, err2),
				s.GetTxID(), s.GetChannelID(), strings.Join(s.GetStringArgs(), "|")}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ready []byte
			if tt.ready != nil {
				ready = tt.ready(t)
			}
			var ourResults, fabResults []string
			body := func(results *[]string) func(sharedStub, queries) *peer.Response {
				return func(s sharedStub, q queries) *peer.Response {
					*results = tt.body(s, q)
					return Success([]byte("done"))
				}
			}
			fab := record(t, true, ready, body(&fabResults))
			ours := record(t, false, ready, body(&ourResults))
			if diff := cmp.Diff(fab, ours, protocmp.Transform()); diff != "" {
				t.Errorf("messages differ from Fabric's shim (-fabric +ours):\n%s", diff)
			}
			if diff := cmp.Diff(fabResults, ourResults); diff != "" {
				t.Errorf("results differ from Fabric's shim (-fabric +ours):\n%s", diff)
			}
		})
	}
}

func TestCompositeKeysMatchFabricsShim(t *testing.T) {
	inputs := []struct {
		objectType string
		attrs      []string
	}{
		{"asset", []string{"blue", "7"}},
		{"", nil},
		{"t", []string{""}},
		{"héllo", []string{"wörld", "日本"}},
		{"bad\x00", nil},
		{"t", []string{"x\U0010FFFF"}},
		{"t", []string{"\xff"}},
	}
	for _, in := range inputs {
		want, wantErr := fabshim.CreateCompositeKey(in.objectType, in.attrs)
		got, err := CreateCompositeKey(in.objectType, in.attrs)
		if got != want || (err == nil) != (wantErr == nil) {
			t.Errorf("CreateCompositeKey(%q, %q) = %q, %v; Fabric's shim gives %q, %v", in.objectType, in.attrs, got, err, want, wantErr)
		}
	}
}

func TestSameResponseRulesAsFabricsShim(t *testing.T) {
	offered := mustMarshal(t, &peer.ChaincodeAdditionalParams{UseWriteBatch: true})
	for _, init := range []bool{true, false} {
		for _, status := range []int32{0, 200, 399, 400, 499, 500, 503} {
			t.Run(fmt.Sprintf("init %t status %d", init, status), func(t *testing.T) {
				body := func(s sharedStub, _ queries) *peer.Response {
					_ = s.SetEvent("ev", []byte("payload"))
					s.StartWriteBatch()
					_ = s.PutState("k", []byte("v"))
					return &peer.Response{Status: status, Message: "msg", Payload: []byte("p")}
				}
				fab := recordTx(t, true, init, offered, body)
				ours := recordTx(t, false, init, offered, body)
				if diff := cmp.Diff(fab, ours, protocmp.Transform()); diff != "" {
					t.Errorf("messages differ from Fabric's shim (-fabric +ours):\n%s", diff)
				}
			})
		}
	}
}
