package peersimtest_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"

	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/chaincodekit/chaincodekit/shim/cid"
	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/testing/protocmp"
)

// probe is a chaincode whose functions each exercise one ledger feature.
type probe struct{}

func (probe) Init(shim.ChaincodeStubInterface) *pb.Response { return shim.Success(nil) }

func (probe) Invoke(stub shim.ChaincodeStubInterface) *pb.Response {
	fn, args := stub.GetFunctionAndParameters()
	out, err := probeCall(stub, fn, args)
	if err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(out)
}

func probeCall(stub shim.ChaincodeStubInterface, fn string, args []string) ([]byte, error) {
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch fn {
	case "put":
		return nil, stub.PutState(arg(0), []byte(arg(1)))
	case "get":
		return stub.GetState(arg(0))
	case "del":
		return nil, stub.DelState(arg(0))
	case "putThenGet":
		if err := stub.PutState(arg(0), []byte(arg(1))); err != nil {
			return nil, err
		}
		return stub.GetState(arg(0))
	case "incr":
		raw, err := stub.GetState(arg(0))
		if err != nil {
			return nil, err
		}
		n, _ := strconv.Atoi(string(raw))
		return []byte(strconv.Itoa(n + 1)), stub.PutState(arg(0), []byte(strconv.Itoa(n+1)))
	case "count":
		it, err := stub.GetStateByRange(arg(0), arg(1))
		if err != nil {
			return nil, err
		}
		defer it.Close()
		n := 0
		for it.HasNext() {
			if _, err := it.Next(); err != nil {
				return nil, err
			}
			n++
		}
		return []byte(strconv.Itoa(n)), stub.PutState("count", []byte(strconv.Itoa(n)))
	case "history":
		it, err := stub.GetHistoryForKey(arg(0))
		if err != nil {
			return nil, err
		}
		defer it.Close()
		var values []string
		for it.HasNext() {
			km, err := it.Next()
			if err != nil {
				return nil, err
			}
			if km.GetIsDelete() {
				values = append(values, "<deleted>")
			} else {
				values = append(values, string(km.GetValue()))
			}
		}
		return json.Marshal(values)
	case "query":
		it, err := stub.GetQueryResult(arg(0))
		if err != nil {
			return nil, err
		}
		defer it.Close()
		keys := []string{}
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return nil, err
			}
			keys = append(keys, kv.GetKey())
		}
		return json.Marshal(keys)
	case "fill":
		// fill <n> [objectType]: keys k00..k<n-1>, or composite keys of
		// objectType with one attribute 00..<n-1> when objectType is given.
		n, err := strconv.Atoi(arg(0))
		if err != nil {
			return nil, fmt.Errorf("fill: count %q: %w", arg(0), err)
		}
		for i := range n {
			key := fmt.Sprintf("k%02d", i)
			if arg(1) != "" {
				if key, err = stub.CreateCompositeKey(arg(1), []string{fmt.Sprintf("%02d", i)}); err != nil {
					return nil, err
				}
			}
			if err := stub.PutState(key, []byte("v")); err != nil {
				return nil, err
			}
		}
		return nil, nil
	case "page", "compositePage":
		// page <start> <end> <pageSize> <bookmark>, or
		// compositePage <objectType> <pageSize> <bookmark>.
		var it shim.StateQueryIteratorInterface
		var md *pb.QueryResponseMetadata
		var err error
		if fn == "page" {
			size, _ := strconv.Atoi(arg(2))
			it, md, err = stub.GetStateByRangeWithPagination(arg(0), arg(1), int32(size), arg(3))
		} else {
			size, _ := strconv.Atoi(arg(1))
			it, md, err = stub.GetStateByPartialCompositeKeyWithPagination(arg(0), nil, int32(size), arg(2))
		}
		if err != nil {
			return nil, err
		}
		defer it.Close()
		pg := page{Keys: []string{}, Fetched: md.GetFetchedRecordsCount(), Bookmark: md.GetBookmark()}
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return nil, err
			}
			pg.Keys = append(pg.Keys, kv.GetKey())
		}
		return json.Marshal(pg)
	case "event":
		return nil, stub.SetEvent(arg(0), []byte(arg(1)))
	case "transient":
		tm, err := stub.GetTransient()
		if err != nil {
			return nil, err
		}
		return tm[arg(0)], nil
	case "attr":
		v, found, err := cid.GetAttributeValue(stub, arg(0))
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, fmt.Errorf("attribute %s not found", arg(0))
		}
		return []byte(v), nil
	case "msp":
		id, err := cid.GetMSPID(stub)
		return []byte(id), err
	case "ownOrgPut":
		// As fabric-samples' private data chaincode authorises: the
		// client must belong to the peer's own organisation.
		client, err := cid.GetMSPID(stub)
		if err != nil {
			return nil, fmt.Errorf("failed getting the client's MSPID: %w", err)
		}
		peerOrg, err := shim.GetMSPID()
		if err != nil {
			return nil, fmt.Errorf("failed getting the peer's MSPID: %w", err)
		}
		if client != peerOrg {
			return nil, fmt.Errorf("client from org %v is not authorized to write to the peer of org %v", client, peerOrg)
		}
		return []byte(peerOrg), stub.PutState(arg(0), []byte(arg(1)))
	case "fail":
		return nil, fmt.Errorf("%s", arg(0))
	}
	return nil, fmt.Errorf("unknown function %q", fn)
}

// page is what the probe's "page" and "compositePage" functions answer.
type page struct {
	Keys     []string `json:"keys"`
	Fetched  int32    `json:"fetched"`
	Bookmark string   `json:"bookmark"`
}

func deployProbe(t *testing.T, opts ...peersimtest.Option) (*peersimtest.Peer, *peersimtest.Chaincode) {
	t.Helper()
	p := peersimtest.New(t, opts...)
	return p, p.Deploy(t, "probe", probe{}, peersimtest.MetaInf("testdata/META-INF"))
}

func mustValid(t *testing.T, r *peersimtest.Result) {
	t.Helper()
	if !r.Committed || r.Code != pb.TxValidationCode_VALID {
		t.Fatalf("want a VALID commit, got %v", r)
	}
}

func TestATransactionDoesNotReadItsOwnWrites(t *testing.T) {
	t.Parallel()
	_, cc := deployProbe(t)
	mustValid(t, cc.Submit(t, "put", "k", "old"))

	r := cc.Submit(t, "putThenGet", "k", "new")
	mustValid(t, r)
	if string(r.Payload) != "old" {
		t.Errorf("GetState after PutState in one transaction returned %q, want the committed %q", r.Payload, "old")
	}
	if got := cc.Evaluate(t, "get", "k").Payload; string(got) != "new" {
		t.Errorf("after the commit get returned %q, want %q", got, "new")
	}
	// The read-write set records the read with the version it saw and the
	// write, in the chaincode's namespace.
	kv := r.KVRWSet("probe")
	if kv == nil {
		t.Fatalf("no read-write set for namespace probe in %v (namespaces %q)", r, r.Namespaces())
	}
	want := &kvrwset.KVRWSet{
		Reads:  []*kvrwset.KVRead{{Key: "k", Version: kv.GetReads()[0].GetVersion()}},
		Writes: []*kvrwset.KVWrite{{Key: "k", Value: []byte("new")}},
	}
	if kv.GetReads()[0].GetVersion() == nil {
		t.Errorf("the read of k carries no version, want the version of the committed value")
	}
	if d := cmp.Diff(want, kv, protocmp.Transform()); d != "" {
		t.Errorf("read-write set (-want +got):\n%s", d)
	}
}

func TestEvaluateWritesNothing(t *testing.T) {
	t.Parallel()
	_, cc := deployProbe(t)
	r := cc.Evaluate(t, "put", "k", "v")
	if r.Status != 200 || r.Committed || r.Code != pb.TxValidationCode_NOT_VALIDATED {
		t.Fatalf("evaluate: got %v, want status 200, not committed", r)
	}
	if got := cc.Evaluate(t, "get", "k").Payload; got != nil {
		t.Errorf("an evaluated put became visible: get returned %q", got)
	}
}

func TestConcurrentTransactionsConflict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		second   []string
		wantCode pb.TxValidationCode
	}{
		{name: "a read of a key written since is an MVCC conflict", second: []string{"incr", "n"}, wantCode: pb.TxValidationCode_MVCC_READ_CONFLICT},
		{name: "a range that gained a key since is a phantom read", second: []string{"count", "a", "z"}, wantCode: pb.TxValidationCode_PHANTOM_READ_CONFLICT},
		{name: "a transaction that read nothing the first one wrote is valid", second: []string{"put", "other", "1"}, wantCode: pb.TxValidationCode_VALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, cc := deployProbe(t)
			mustValid(t, cc.Submit(t, "put", "n", "0"))
			first := cc.Tx("incr", "n").Endorse(t)
			if tc.second[0] == "count" {
				first = cc.Tx("put", "m", "1").Endorse(t)
			}
			second := cc.Tx(tc.second[0], tc.second[1:]...).Endorse(t)
			mustValid(t, first.Submit(t))
			if r := second.Submit(t); !r.Committed || r.Code != tc.wantCode {
				t.Errorf("second transaction: got %v, want committed %s", r, tc.wantCode)
			}
		})
	}
	t.Run("the losing increment is not applied", func(t *testing.T) {
		t.Parallel()
		_, cc := deployProbe(t)
		a, b := cc.Tx("incr", "n").Endorse(t), cc.Tx("incr", "n").Endorse(t)
		mustValid(t, a.Submit(t))
		b.Submit(t)
		if got := cc.Evaluate(t, "get", "n").Payload; string(got) != "1" {
			t.Errorf("after two racing increments n = %q, want 1", got)
		}
	})
}

// A full page carries the next key as its bookmark, so a client can page
// through a range; an empty bookmark on a full page would send the client
// back to the first page.
func TestPaginatedQueriesPageThroughAllKeys(t *testing.T) {
	t.Parallel()
	_, cc := deployProbe(t)
	mustValid(t, cc.Submit(t, "fill", "25"))
	mustValid(t, cc.Submit(t, "fill", "25", "item"))
	keys := func(from, to int, key func(i int) string) []string {
		var ks []string
		for i := from; i < to; i++ {
			ks = append(ks, key(i))
		}
		return ks
	}
	simple := func(i int) string { return fmt.Sprintf("k%02d", i) }
	composite := func(i int) string { return fmt.Sprintf("\x00item\x00%02d\x00", i) }
	tests := []struct {
		name  string
		query func(bookmark string) []string // the probe call for one page
		want  []page
	}{
		{"a range query with page size 10 over 25 keys",
			func(b string) []string { return []string{"page", "", "", "10", b} },
			[]page{
				{Keys: keys(0, 10, simple), Fetched: 10, Bookmark: "k10"},
				{Keys: keys(10, 20, simple), Fetched: 10, Bookmark: "k20"},
				{Keys: keys(20, 25, simple), Fetched: 5, Bookmark: ""},
			}},
		{"a partial composite key query with page size 10 over 25 keys",
			func(b string) []string { return []string{"compositePage", "item", "10", b} },
			[]page{
				{Keys: keys(0, 10, composite), Fetched: 10, Bookmark: composite(10)},
				{Keys: keys(10, 20, composite), Fetched: 10, Bookmark: composite(20)},
				{Keys: keys(20, 25, composite), Fetched: 5, Bookmark: ""},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []page
			bookmark := ""
			for range len(tc.want) {
				args := tc.query(bookmark)
				res := cc.Evaluate(t, args[0], args[1:]...)
				if res.Status != shim.OK {
					t.Fatalf("page after bookmark %q: status %d: %s", bookmark, res.Status, res.Message)
				}
				var pg page
				if err := json.Unmarshal(res.Payload, &pg); err != nil {
					t.Fatalf("page after bookmark %q: %v", bookmark, err)
				}
				got = append(got, pg)
				bookmark = pg.Bookmark
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHistoryListsCommittedChanges(t *testing.T) {
	t.Parallel()
	_, cc := deployProbe(t)
	for _, args := range [][]string{{"put", "k", "v1"}, {"put", "k", "v2"}, {"del", "k"}, {"put", "k", "v3"}} {
		mustValid(t, cc.Submit(t, args[0], args[1:]...))
	}
	cc.Evaluate(t, "put", "k", "not committed")
	var got []string
	if err := json.Unmarshal(cc.Evaluate(t, "history", "k").Payload, &got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"v3", "<deleted>", "v2", "v1"}, got); d != "" {
		t.Errorf("history, newest first (-want +got):\n%s", d)
	}
}

func TestRichQueriesSeeCommittedDocuments(t *testing.T) {
	t.Parallel()
	_, cc := deployProbe(t)
	for i, size := range []int{5, 1, 3} {
		mustValid(t, cc.Submit(t, "put", fmt.Sprintf("doc%d", i), fmt.Sprintf(`{"type":"box","size":%d}`, size)))
	}
	mustValid(t, cc.Submit(t, "put", "plain", "not json"))
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{name: "a selector matches JSON documents only", query: `{"selector":{"type":"box"}}`, want: []string{"doc0", "doc1", "doc2"}},
		// With an index on size the query uses it, as CouchDB does, and
		// returns documents in index order.
		{name: "an operator filters", query: `{"selector":{"size":{"$gt":2}}}`, want: []string{"doc2", "doc0"}},
		{name: "a sort uses the packaged index", query: `{"selector":{"size":{"$gt":0}},"sort":[{"size":"asc"}],"use_index":"indexSizeDoc"}`, want: []string{"doc1", "doc2", "doc0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := cc.Evaluate(t, "query", tc.query)
			var got []string
			if err := json.Unmarshal(r.Payload, &got); err != nil {
				t.Fatalf("query %s: %v", tc.query, r)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("query %s (-want +got):\n%s", tc.query, d)
			}
		})
	}
}

func TestResultsCarryWhatThePeerAnswered(t *testing.T) {
	t.Parallel()
	p, cc := deployProbe(t)
	alice := p.Issue(t, "alice", map[string]string{"role": "auditor"})
	tests := []struct {
		name        string
		tx          peersimtest.Tx
		status      int32
		message     string
		payload     string
		event       string
		endorsed    bool
		wantCommits bool
	}{
		{name: "an event is returned with the endorsement", tx: cc.Tx("event", "Created", "x"), status: 200, event: "Created", endorsed: true, wantCommits: true},
		{name: "transient data reaches the chaincode", tx: cc.Tx("transient", "secret").WithTransient("secret", []byte("s3")), status: 200, payload: "s3", endorsed: true, wantCommits: true},
		{name: "an issued identity's attributes reach the chaincode", tx: cc.Tx("attr", "role").As(alice), status: 200, payload: "auditor", endorsed: true, wantCommits: true},
		{name: "User1 has no such attribute", tx: cc.Tx("attr", "role"), status: 500, message: "attribute role not found"},
		{name: "the creator's MSP reaches the chaincode", tx: cc.Tx("msp").As(p.Admin(t)), status: 200, payload: "Org1MSP", endorsed: true, wantCommits: true},
		{name: "a chaincode error is not endorsed nor ordered", tx: cc.Tx("fail", "boom"), status: 500, message: "boom"},
		{name: "a chaincode not instantiated on the channel is refused", tx: cc.Tx("get", "k").OnChannel("nochannel"), status: 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.tx.Submit(t)
			if r.Status != tc.status || (tc.message != "" && r.Message != tc.message) || string(r.Payload) != tc.payload {
				t.Errorf("got %v, want status %d message %q payload %q", r, tc.status, tc.message, tc.payload)
			}
			if r.Endorsed != tc.endorsed || r.Committed != tc.wantCommits {
				t.Errorf("got endorsed %t committed %t, want %t %t", r.Endorsed, r.Committed, tc.endorsed, tc.wantCommits)
			}
			if tc.wantCommits && (r.Code != pb.TxValidationCode_VALID || r.TxID == "") {
				t.Errorf("got code %s txid %q, want VALID with a txid", r.Code, r.TxID)
			}
			if got := r.Event.GetEventName(); got != tc.event {
				t.Errorf("event %q, want %q", got, tc.event)
			}
		})
	}
}

func TestChannelsHaveTheirOwnState(t *testing.T) {
	t.Parallel()
	p := peersimtest.New(t, peersimtest.WithChannels("other"))
	mine := p.Deploy(t, "probe", probe{})
	other := p.Deploy(t, "probe", nil, peersimtest.Channel("other"))
	mustValid(t, mine.Submit(t, "put", "k", "mine"))
	mustValid(t, other.Submit(t, "put", "k", "other"))
	for _, c := range []struct {
		cc   *peersimtest.Chaincode
		want string
	}{{mine, "mine"}, {other, "other"}} {
		if got := c.cc.Evaluate(t, "get", "k").Payload; string(got) != c.want {
			t.Errorf("on %s: get k = %q, want %q", c.cc.Channel(), got, c.want)
		}
	}
}

func TestAConflictWithinOneBlock(t *testing.T) {
	t.Parallel()
	// Two transactions per block; a lone transaction (the deployment) waits
	// for the batch timeout.
	_, cc := deployProbe(t, peersimtest.WithBatch(2, 2*time.Second))
	a, b := cc.Tx("incr", "n").Endorse(t), cc.Tx("incr", "n").Endorse(t)
	rs := peersimtest.SubmitAll(t, a, b)
	if rs[0].BlockNumber != rs[1].BlockNumber {
		t.Fatalf("the two transactions went to blocks %d and %d, want one block", rs[0].BlockNumber, rs[1].BlockNumber)
	}
	if rs[0].Code != pb.TxValidationCode_VALID || rs[1].Code != pb.TxValidationCode_MVCC_READ_CONFLICT {
		t.Errorf("got codes %s and %s, want VALID then MVCC_READ_CONFLICT (block order decides)", rs[0].Code, rs[1].Code)
	}
}

func TestPeerStopsWithoutLeakingGoroutines(t *testing.T) {
	goroutines := leakcheck.Take()
	t.Run("a peer with a chaincode", func(t *testing.T) {
		_, cc := deployProbe(t)
		mustValid(t, cc.Submit(t, "put", "k", "v"))
	})
	goroutines.Verify(t)
}

// TestChaincodeSeesItsPeersMSPID deploys, in parallel tests and without
// CORE_PEER_LOCALMSPID in the process, a chaincode that authorises by
// shim.GetMSPID: each transaction learns its own peer's MSP ID.
func TestChaincodeSeesItsPeersMSPID(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprintf("peer %d", i), func(t *testing.T) {
			t.Parallel()
			p, cc := deployProbe(t)
			r := cc.Submit(t, "ownOrgPut", "k", "v")
			mustValid(t, r)
			if got, want := string(r.Payload), p.Org().MSPID(); got != want {
				t.Errorf("shim.GetMSPID() in the kit = %q, want the peer's %q", got, want)
			}
			if got := cc.Evaluate(t, "get", "k"); string(got.Payload) != "v" {
				t.Errorf("after ownOrgPut, get k = %q, want v", got.Payload)
			}
		})
	}
}
