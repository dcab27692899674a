package chaincode

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

func TestRequests(t *testing.T) {
	vp := &peer.StateMetadata{Metakey: "VALIDATION_PARAMETER", Value: []byte("policy")}
	tests := []struct {
		name       string
		typ        peer.ChaincodeMessage_Type
		req        proto.Message
		rawPayload []byte // sent instead of req when set
		setup      func(*fakeSim)
		init       bool
		want       []byte // RESPONSE payload
		wantErr    string // ERROR payload; the test expects RESPONSE when empty
		wantWrites []string
	}{
		{name: "GET_STATE returns the committed value", typ: peer.ChaincodeMessage_GET_STATE,
			req: &peer.GetState{Key: "k"}, want: []byte("v")},
		{name: "GET_STATE of an absent key returns an empty payload", typ: peer.ChaincodeMessage_GET_STATE,
			req: &peer.GetState{Key: "absent"}},
		{name: "GET_STATE with a collection reads private data", typ: peer.ChaincodeMessage_GET_STATE,
			req: &peer.GetState{Key: "k", Collection: "coll"}, want: []byte("secret")},
		{name: "PUT_STATE writes under the chaincode's namespace", typ: peer.ChaincodeMessage_PUT_STATE,
			req: &peer.PutState{Key: "k", Value: []byte("new")}, wantWrites: []string{"put mycc/k=new"}},
		{name: "PUT_STATE with an empty value reaches the simulator, which deletes", typ: peer.ChaincodeMessage_PUT_STATE,
			req: &peer.PutState{Key: "k"}, wantWrites: []string{"put mycc/k="}},
		{name: "PUT_STATE with a collection writes private data", typ: peer.ChaincodeMessage_PUT_STATE,
			req: &peer.PutState{Key: "k", Value: []byte("s"), Collection: "coll"}, wantWrites: []string{"pput mycc/coll/k=s"}},
		{name: "DEL_STATE deletes", typ: peer.ChaincodeMessage_DEL_STATE,
			req: &peer.DelState{Key: "k"}, wantWrites: []string{"del mycc/k"}},
		{name: "DEL_STATE with a collection deletes private data", typ: peer.ChaincodeMessage_DEL_STATE,
			req: &peer.DelState{Key: "k", Collection: "coll"}, wantWrites: []string{"pdel mycc/coll/k"}},
		{name: "GET_STATE_MULTIPLE returns values in key order with empty for absent", typ: peer.ChaincodeMessage_GET_STATE_MULTIPLE,
			req:  &peer.GetStateMultiple{Keys: []string{"k2", "absent", "k"}},
			want: marshalT(t, &peer.GetStateMultipleResult{Values: [][]byte{[]byte("v2"), nil, []byte("v")}})},
		{name: "GET_STATE_MULTIPLE with a collection reads private data", typ: peer.ChaincodeMessage_GET_STATE_MULTIPLE,
			req:  &peer.GetStateMultiple{Keys: []string{"k"}, Collection: "coll"},
			want: marshalT(t, &peer.GetStateMultipleResult{Values: [][]byte{[]byte("secret")}})},
		{name: "WRITE_BATCH_STATE applies every kind of record in order", typ: peer.ChaincodeMessage_WRITE_BATCH_STATE,
			req: &peer.WriteBatchState{Rec: []*peer.WriteRecord{
				{Type: peer.WriteRecord_PUT_STATE, Key: "a", Value: []byte("1")},
				{Type: peer.WriteRecord_DEL_STATE, Key: "b"},
				{Type: peer.WriteRecord_PUT_STATE_METADATA, Key: "c", Metadata: vp},
				{Type: peer.WriteRecord_PUT_STATE, Key: "d", Value: []byte("2"), Collection: "coll"},
				{Type: peer.WriteRecord_DEL_STATE, Key: "e", Collection: "coll"},
				{Type: peer.WriteRecord_PUT_STATE_METADATA, Key: "f", Collection: "coll", Metadata: vp},
				{Type: peer.WriteRecord_PURGE_PRIVATE_DATA, Key: "g", Collection: "coll"},
			}},
			wantWrites: []string{"put mycc/a=1", "del mycc/b", "meta mycc/c VALIDATION_PARAMETER=policy",
				"pput mycc/coll/d=2", "pdel mycc/coll/e", "pmeta mycc/coll/f VALIDATION_PARAMETER=policy", "purge mycc/coll/g"}},
		{name: "WRITE_BATCH_STATE stops at the first failure and keeps the records before it", typ: peer.ChaincodeMessage_WRITE_BATCH_STATE,
			req: &peer.WriteBatchState{Rec: []*peer.WriteRecord{
				{Type: peer.WriteRecord_PUT_STATE, Key: "a", Value: []byte("1")},
				{Type: peer.WriteRecord_PUT_STATE, Key: "bad", Value: []byte("2")},
				{Type: peer.WriteRecord_PUT_STATE, Key: "c", Value: []byte("3")},
			}},
			setup:      failOn("SetState", "bad"),
			wantErr:    "WRITE_BATCH_STATE failed: transaction ID: TXID: boom",
			wantWrites: []string{"put mycc/a=1"}},
		{name: "WRITE_BATCH_STATE refuses a record of unknown type", typ: peer.ChaincodeMessage_WRITE_BATCH_STATE,
			req: &peer.WriteBatchState{Rec: []*peer.WriteRecord{
				{Type: peer.WriteRecord_PUT_STATE, Key: "a", Value: []byte("1")},
				{Type: peer.WriteRecord_UNDEFINED, Key: "b"},
			}},
			wantErr: "WRITE_BATCH_STATE failed: transaction ID: TXID: unknown operation type", wantWrites: []string{"put mycc/a=1"}},
		{name: "GET_STATE_METADATA returns the entries sorted by metakey", typ: peer.ChaincodeMessage_GET_STATE_METADATA,
			req: &peer.GetStateMetadata{Key: "k"},
			want: marshalT(t, &peer.StateMetadataResult{Entries: []*peer.StateMetadata{
				{Metakey: "A", Value: []byte("1")}, {Metakey: "VALIDATION_PARAMETER", Value: []byte("p")}}})},
		{name: "GET_STATE_METADATA of a key without metadata returns no entries", typ: peer.ChaincodeMessage_GET_STATE_METADATA,
			req: &peer.GetStateMetadata{Key: "absent"}, want: nil},
		{name: "GET_STATE_METADATA with a collection reads private metadata", typ: peer.ChaincodeMessage_GET_STATE_METADATA,
			req:  &peer.GetStateMetadata{Key: "k", Collection: "coll"},
			want: marshalT(t, &peer.StateMetadataResult{Entries: []*peer.StateMetadata{{Metakey: "P", Value: []byte("q")}}})},
		{name: "PUT_STATE_METADATA writes one entry", typ: peer.ChaincodeMessage_PUT_STATE_METADATA,
			req: &peer.PutStateMetadata{Key: "k", Metadata: vp}, wantWrites: []string{"meta mycc/k VALIDATION_PARAMETER=policy"}},
		{name: "PUT_STATE_METADATA with a collection writes private metadata", typ: peer.ChaincodeMessage_PUT_STATE_METADATA,
			req: &peer.PutStateMetadata{Key: "k", Collection: "coll", Metadata: vp}, wantWrites: []string{"pmeta mycc/coll/k VALIDATION_PARAMETER=policy"}},
		{name: "PUT_STATE_METADATA without metadata is refused", typ: peer.ChaincodeMessage_PUT_STATE_METADATA,
			req:     &peer.PutStateMetadata{Key: "k"},
			wantErr: `PUT_STATE_METADATA failed: transaction ID: TXID: no metadata given for key "k": PutStateMetadata.metadata must hold a metakey and value`},
		{name: "GET_PRIVATE_DATA_HASH returns the simulator's hash", typ: peer.ChaincodeMessage_GET_PRIVATE_DATA_HASH,
			req: &peer.GetState{Key: "k", Collection: "coll"}, want: []byte("hash(secret)")},
		{name: "PURGE_PRIVATE_DATA takes a DelState", typ: peer.ChaincodeMessage_PURGE_PRIVATE_DATA,
			req: &peer.DelState{Key: "k", Collection: "coll"}, wantWrites: []string{"purge mycc/coll/k"}},
		{name: "PURGE_PRIVATE_DATA without a collection is refused", typ: peer.ChaincodeMessage_PURGE_PRIVATE_DATA,
			req: &peer.DelState{Key: "k"}, wantErr: "PURGE_PRIVATE_DATA failed: transaction ID: TXID: only applicable for private data"},
		{name: "public requests work during INIT", typ: peer.ChaincodeMessage_PUT_STATE, init: true,
			req: &peer.PutState{Key: "k", Value: []byte("v")}, wantWrites: []string{"put mycc/k=v"}},
		{name: "a simulator error reaches the chaincode wrapped", typ: peer.ChaincodeMessage_GET_STATE,
			req: &peer.GetState{Key: "k"}, setup: failOn("GetState", "k"), wantErr: "GET_STATE failed: transaction ID: TXID: boom"},
		{name: "a panic while serving a request becomes an ERROR", typ: peer.ChaincodeMessage_GET_STATE,
			req: &peer.GetState{Key: "k"}, setup: func(f *fakeSim) { f.hook = func(string, string) error { panic("ledger bug") } },
			wantErr: "GET_STATE failed: transaction ID: TXID: panic during execution"},
		{name: "an undecodable payload is refused", typ: peer.ChaincodeMessage_PUT_STATE,
			rawPayload: []byte{0xff, 0xff, 0xff}, wantErr: "PUT_STATE failed: transaction ID: TXID: unmarshal failed: "},
		{name: "a key that is not UTF-8 is refused", typ: peer.ChaincodeMessage_PUT_STATE,
			rawPayload: protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "a\xffb"),
			wantErr:    "PUT_STATE failed: transaction ID: TXID: unmarshal failed: string field contains invalid UTF-8"},
	}
	for _, typ := range []peer.ChaincodeMessage_Type{
		peer.ChaincodeMessage_GET_STATE, peer.ChaincodeMessage_PUT_STATE, peer.ChaincodeMessage_DEL_STATE,
		peer.ChaincodeMessage_GET_STATE_MULTIPLE, peer.ChaincodeMessage_GET_STATE_METADATA, peer.ChaincodeMessage_PUT_STATE_METADATA,
		peer.ChaincodeMessage_GET_PRIVATE_DATA_HASH, peer.ChaincodeMessage_PURGE_PRIVATE_DATA, peer.ChaincodeMessage_WRITE_BATCH_STATE,
		peer.ChaincodeMessage_GET_STATE_BY_RANGE, peer.ChaincodeMessage_GET_QUERY_RESULT,
	} {
		req := map[peer.ChaincodeMessage_Type]proto.Message{
			peer.ChaincodeMessage_GET_STATE:             &peer.GetState{Key: "k", Collection: "coll"},
			peer.ChaincodeMessage_PUT_STATE:             &peer.PutState{Key: "k", Value: []byte("v"), Collection: "coll"},
			peer.ChaincodeMessage_DEL_STATE:             &peer.DelState{Key: "k", Collection: "coll"},
			peer.ChaincodeMessage_GET_STATE_MULTIPLE:    &peer.GetStateMultiple{Keys: []string{"k"}, Collection: "coll"},
			peer.ChaincodeMessage_GET_STATE_METADATA:    &peer.GetStateMetadata{Key: "k", Collection: "coll"},
			peer.ChaincodeMessage_PUT_STATE_METADATA:    &peer.PutStateMetadata{Key: "k", Collection: "coll", Metadata: vp},
			peer.ChaincodeMessage_GET_PRIVATE_DATA_HASH: &peer.GetState{Key: "k", Collection: "coll"},
			peer.ChaincodeMessage_PURGE_PRIVATE_DATA:    &peer.DelState{Key: "k", Collection: "coll"},
			peer.ChaincodeMessage_WRITE_BATCH_STATE: &peer.WriteBatchState{Rec: []*peer.WriteRecord{
				{Type: peer.WriteRecord_PUT_STATE, Key: "pub", Value: []byte("1")},
				{Type: peer.WriteRecord_PUT_STATE, Key: "k", Value: []byte("v"), Collection: "coll"}}},
			peer.ChaincodeMessage_GET_STATE_BY_RANGE: &peer.GetStateByRange{Collection: "coll"},
			peer.ChaincodeMessage_GET_QUERY_RESULT:   &peer.GetQueryResult{Query: "k", Collection: "coll"},
		}[typ]
		var writes []string
		if typ == peer.ChaincodeMessage_WRITE_BATCH_STATE {
			writes = []string{"put mycc/pub=1"}
		}
		tests = append(tests, struct {
			name       string
			typ        peer.ChaincodeMessage_Type
			req        proto.Message
			rawPayload []byte
			setup      func(*fakeSim)
			init       bool
			want       []byte
			wantErr    string
			wantWrites []string
		}{
			name: fmt.Sprintf("private %s during INIT is refused", typ), typ: typ, req: req, init: true,
			wantErr: fmt.Sprintf("%s failed: transaction ID: TXID: private data APIs are not allowed in chaincode Init()", typ), wantWrites: writes,
		})
	}

	e := newEnv(t, DefaultConfig())
	c := e.register("mycc:1.0")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newFakeSim().commit("mycc", "k", "v", "k2", "v2")
			sim.committed["mycc/coll/k"] = []byte("secret")
			sim.metadata["mycc/k"] = map[string][]byte{"VALIDATION_PARAMETER": []byte("p"), "A": []byte("1")}
			sim.metadata["mycc/coll/k"] = map[string][]byte{"P": []byte("q")}
			if tt.setup != nil {
				tt.setup(sim)
			}
			txID := fmt.Sprintf("tx%d", i)
			typ := peer.ChaincodeMessage_TRANSACTION
			if tt.init {
				typ = peer.ChaincodeMessage_INIT
			}
			x := e.beginType(c, "mycc:1.0", typ, "ch1", txID, sim)

			payload := tt.rawPayload
			if payload == nil {
				payload = mustMarshal(t, tt.req)
			}
			c.send(&peer.ChaincodeMessage{Type: tt.typ, Txid: txID, ChannelId: "ch1", Payload: payload})
			m := c.next()
			if m.Txid != txID || m.ChannelId != "ch1" {
				t.Fatalf("reply for %q/%q, want ch1/%s", m.ChannelId, m.Txid, txID)
			}
			if tt.wantErr != "" {
				wantErr := strings.ReplaceAll(tt.wantErr, "TXID", txID)
				if m.Type != peer.ChaincodeMessage_ERROR || !strings.HasPrefix(string(m.Payload), wantErr) {
					t.Errorf("got %s %q, want ERROR starting with %q", m.Type, m.Payload, wantErr)
				}
			} else {
				if m.Type != peer.ChaincodeMessage_RESPONSE {
					t.Fatalf("got %s %q, want RESPONSE", m.Type, m.Payload)
				}
				if diff := cmp.Diff(tt.want, m.Payload, cmp.Comparer(func(a, b []byte) bool { return string(a) == string(b) })); diff != "" {
					t.Errorf("RESPONSE payload (-want +got):\n%s", diff)
				}
			}
			e.finish(c, x, "ch1", txID)
			if diff := cmp.Diff(tt.wantWrites, sim.recorded()); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			sim.checkClosed(t)
		})
	}
}

func TestReadsSeeCommittedStateNotTheTransactionsWrites(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	c := e.register("mycc:1.0")
	sim := newFakeSim().commit("mycc", "k", "old")
	x := e.begin(c, "mycc:1.0", "ch1", "tx1", sim)
	c.ok(peer.ChaincodeMessage_PUT_STATE, "ch1", "tx1", &peer.PutState{Key: "k", Value: []byte("new")})
	if got := c.ok(peer.ChaincodeMessage_GET_STATE, "ch1", "tx1", &peer.GetState{Key: "k"}); string(got) != "old" {
		t.Errorf("GET_STATE after PUT_STATE = %q, want the committed %q", got, "old")
	}
	e.finish(c, x, "ch1", "tx1")
}

func TestRequestsForUnknownTransactions(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	c := e.register("mycc:1.0")
	tests := []struct {
		name string
		typ  peer.ChaincodeMessage_Type
		req  proto.Message
		want string
	}{
		{"a state request gets no ledger context", peer.ChaincodeMessage_GET_STATE, &peer.GetState{Key: "k"},
			"GET_STATE failed: transaction ID: nope: no ledger context"},
		{"a query continuation gets no ledger context", peer.ChaincodeMessage_QUERY_STATE_NEXT, &peer.QueryStateNext{Id: "x"},
			"QUERY_STATE_NEXT failed: transaction ID: nope: no ledger context"},
		{"a chaincode call gets Fabric's invoke text", peer.ChaincodeMessage_INVOKE_CHAINCODE,
			&peer.ChaincodeSpec{ChaincodeId: &peer.ChaincodeID{Name: "other"}},
			"INVOKE_CHAINCODE failed: transaction ID: nope: could not get valid transaction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.fails(tt.typ, "ch1", "nope", tt.req); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestASecondConcurrentRequestForATransactionIsDropped(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	c := e.register("mycc:1.0")
	entered, release := make(chan struct{}), make(chan struct{})
	sim := newFakeSim().commit("mycc", "slow", "1", "k", "2")
	sim.hook = func(op, key string) error {
		if key == "slow" {
			close(entered)
			<-release
		}
		return nil
	}
	x := e.begin(c, "mycc:1.0", "ch1", "tx1", sim)

	c.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_GET_STATE, Txid: "tx1", ChannelId: "ch1", Payload: mustMarshal(t, &peer.GetState{Key: "slow"})})
	<-entered
	c.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_GET_STATE, Txid: "tx1", ChannelId: "ch1", Payload: mustMarshal(t, &peer.GetState{Key: "k"})})
	e.logs.waitFor(t, "dropping request")
	close(release)

	if m := c.expect(peer.ChaincodeMessage_RESPONSE); string(m.Payload) != "1" {
		t.Errorf("first request answered %q, want %q", m.Payload, "1")
	}
	// The dropped request got nothing: the next reply answers the next request.
	if got := c.ok(peer.ChaincodeMessage_GET_STATE, "ch1", "tx1", &peer.GetState{Key: "k"}); string(got) != "2" {
		t.Errorf("next request answered %q, want %q", got, "2")
	}
	e.finish(c, x, "ch1", "tx1")
}

func TestBadMessagesAreAnsweredAndTheStreamKeepsServing(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	c := e.register("mycc:1.0")
	sim := newFakeSim().commit("mycc", "k", "v")
	// A transaction stays open across all bad messages and must keep working.
	x := e.begin(c, "mycc:1.0", "ch1", "live", sim)

	envelope := func(typ peer.ChaincodeMessage_Type, txID, channelID string, payload []byte) []byte {
		b := protowire.AppendTag(nil, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(typ))
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendBytes(b, payload)
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, txID)
		b = protowire.AppendTag(b, 7, protowire.BytesType)
		return protowire.AppendString(b, channelID)
	}
	tests := []struct {
		name string
		send func()
		want string
	}{
		{"an unknown message type", func() {
			c.send(&peer.ChaincodeMessage{Type: 99, Txid: "live", ChannelId: "ch1"})
		}, "99 failed: transaction ID: live: the peer does not accept 99 messages from a registered chaincode"},
		{"a RESPONSE nobody asked for", func() {
			c.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_RESPONSE, Txid: "live", ChannelId: "ch1"})
		}, "RESPONSE failed: transaction ID: live: the peer does not accept RESPONSE messages"},
		{"an INIT from the chaincode", func() {
			c.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_INIT, Txid: "live", ChannelId: "ch1"})
		}, "INIT failed: transaction ID: live: the peer does not accept INIT messages"},
		{"a second REGISTER", func() {
			c.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTER, Payload: mustMarshal(t, &peer.ChaincodeID{Name: "other:1"})})
		}, "REGISTER failed: transaction ID: : this stream is already registered as mycc:1.0"},
		{"a txid that is not UTF-8", func() {
			c.sendRaw(envelope(peer.ChaincodeMessage_GET_STATE, "bad\xfftx", "ch1", mustMarshal(t, &peer.GetState{Key: "k"})))
		}, "GET_STATE failed: transaction ID: bad\uFFFDtx: unmarshal failed: string field contains invalid UTF-8"},
		{"an envelope protobuf cannot parse", func() {
			c.sendRaw([]byte{0x08, 0x08, 0xff})
		}, "GET_STATE failed: transaction ID: : unmarshal failed: "},
		{"a request for a transaction that does not exist", func() {
			c.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_PUT_STATE, Txid: "ghost", ChannelId: "ch1", Payload: mustMarshal(t, &peer.PutState{Key: "k"})})
		}, "PUT_STATE failed: transaction ID: ghost: no ledger context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.send()
			m := c.expect(peer.ChaincodeMessage_ERROR)
			if !strings.HasPrefix(string(m.Payload), tt.want) {
				t.Errorf("ERROR payload %q, want it to start with %q", m.Payload, tt.want)
			}
			if got := c.ok(peer.ChaincodeMessage_GET_STATE, "ch1", "live", &peer.GetState{Key: "k"}); string(got) != "v" {
				t.Errorf("the open transaction read %q afterwards, want %q", got, "v")
			}
		})
	}

	t.Run("an undecodable COMPLETED fails its transaction instead of hanging it", func(t *testing.T) {
		y := e.begin(c, "mycc:1.0", "ch1", "tx2", sim)
		ev := protowire.AppendTag(nil, 3, protowire.BytesType) // ChaincodeEvent.event_name
		ev = protowire.AppendString(ev, "ev\xff")
		raw := envelope(peer.ChaincodeMessage_COMPLETED, "tx2", "ch1", nil)
		raw = protowire.AppendTag(raw, 6, protowire.BytesType)
		raw = protowire.AppendBytes(raw, ev)
		c.sendRaw(raw)
		resp, err := y.wait(t)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Type != peer.ChaincodeMessage_ERROR || !contains(resp.Payload, "the peer cannot decode the chaincode's COMPLETED message: unmarshal failed") {
			t.Errorf("Execute returned %s %q, want an ERROR explaining the bad COMPLETED", resp.Type, resp.Payload)
		}
	})

	e.finish(c, x, "ch1", "live")
}

func failOn(op, key string) func(*fakeSim) {
	return func(f *fakeSim) {
		f.hook = func(gotOp, gotKey string) error {
			if gotOp == op && gotKey == key {
				return errBoom
			}
			return nil
		}
	}
}

func marshalT(t *testing.T, m proto.Message) []byte {
	return mustMarshal(t, m)
}
