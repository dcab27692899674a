package ledger

import (
	"errors"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func drain(t *testing.T, it StateIterator) []string {
	t.Helper()
	defer it.Close()
	var keys []string
	for {
		kv, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if kv == nil {
			return keys
		}
		keys = append(keys, kv.Key)
	}
}

func TestRangeQueries(t *testing.T) {
	l := newLedger(t)
	put(t, l, "cc", "b", "1", "a", "1", "c", "1", "\x00comp\x00x\x00", "1", "d", "")
	define(t, l, &ChaincodeDefinition{Name: "other", Version: "1"})
	put(t, l, "other", "a", "1")
	tests := []struct {
		name       string
		start, end string
		pageSize   int32 // 0: unpaginated
		want       string
		bookmark   string
	}{
		{"keys come in byte order within the namespace", "a", "z", 0, "a,b,c", ""},
		{"the end key is exclusive", "a", "c", 0, "a,b", ""},
		{"an empty end key means no upper bound", "b", "", 0, "b,c", ""},
		{"an empty start key includes composite keys", "", "", 0, "\x00comp\x00x\x00,a,b,c", ""},
		{"the start key U+0001 that the shim sends for an empty one excludes composite keys", "\x01", "", 0, "a,b,c", ""},
		{"a partial composite key range returns only composite keys", "\x00comp\x00", "\x00comp\x00\U0010FFFF", 0, "\x00comp\x00x\x00", ""},
		{"a page stops at its size and bookmarks the next key", "a", "", 2, "a,b", "c"},
		{"the last page has no bookmark", "c", "", 2, "c", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := l.NewSimulator("tx", org1)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Done()
			var got []string
			if tc.pageSize == 0 {
				it, err := s.GetStateRangeScanIterator("cc", tc.start, tc.end)
				if err != nil {
					t.Fatal(err)
				}
				got = drain(t, it)
			} else {
				it, err := s.GetStateRangeScanIteratorWithPagination("cc", tc.start, tc.end, tc.pageSize)
				if err != nil {
					t.Fatal(err)
				}
				for {
					kv, err := it.Next()
					if err != nil {
						t.Fatal(err)
					}
					if kv == nil {
						break
					}
					got = append(got, kv.Key)
				}
				if b := it.Bookmark(); b != tc.bookmark {
					t.Errorf("bookmark %q, want %q", b, tc.bookmark)
				}
				it.Close()
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("keys %q, want %q", strings.Join(got, ","), tc.want)
			}
		})
	}
}

// The chaincode handler, like Fabric's query response generator, stops
// calling Next once a page is full and asks for the bookmark straight away,
// so the bookmark must not depend on one more Next.
func TestRangePageBookmark(t *testing.T) {
	l := newLedger(t)
	put(t, l, "cc", "a", "1", "b", "1", "c", "1", "d", "1", "e", "1")
	tests := []struct {
		name       string
		start, end string
		pageSize   int32
		take       int // results to read before the bookmark; -1: until Next returns nil
		wantKeys   string
		bookmark   string
	}{
		{"a full page bookmarks the next key without one more Next", "a", "", 2, 2, "a,b", "c"},
		{"a full page bookmarks the next key after Next returned nil too", "a", "", 2, -1, "a,b", "c"},
		{"a full page inside a bounded range bookmarks the next key", "b", "e", 2, 2, "b,c", "d"},
		{"a page ending where the bounded range ends has no bookmark", "c", "e", 2, 2, "c,d", ""},
		{"a last page that is full has no bookmark", "d", "", 2, 2, "d,e", ""},
		{"a last page that is not full has no bookmark", "e", "", 2, -1, "e", ""},
		{"an empty page has no bookmark", "x", "", 2, -1, "", ""},
		{"a page left early bookmarks the key after the last one handed out", "a", "", 4, 1, "a", "b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := l.NewSimulator("tx", org1)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Done()
			it, err := s.GetStateRangeScanIteratorWithPagination("cc", tc.start, tc.end, tc.pageSize)
			if err != nil {
				t.Fatal(err)
			}
			defer it.Close()
			var keys []string
			for n := 0; tc.take < 0 || n < tc.take; n++ {
				kv, err := it.Next()
				if err != nil {
					t.Fatal(err)
				}
				if kv == nil {
					break
				}
				keys = append(keys, kv.Key)
			}
			if got := strings.Join(keys, ","); got != tc.wantKeys {
				t.Errorf("keys %q, want %q", got, tc.wantKeys)
			}
			if got := it.Bookmark(); got != tc.bookmark {
				t.Errorf("bookmark %q, want %q", got, tc.bookmark)
			}
			if got := it.Bookmark(); got != tc.bookmark {
				t.Errorf("second bookmark %q, want the first one %q", got, tc.bookmark)
			}
			if kv, err := it.Next(); kv != nil || err != nil {
				t.Errorf("Next after Bookmark = (%v, %v), want (nil, nil): the bookmark ends the iterator", kv, err)
			}
		})
	}
}

func TestRichQueries(t *testing.T) {
	l := newLedger(t)
	put(t, l, "cc",
		"m1", `{"docType":"marble","color":"blue","size":5,"owner":"tom"}`,
		"m2", `{"docType":"marble","color":"red","size":3,"owner":"tom"}`,
		"m3", `{"docType":"marble","color":"blue","size":9,"owner":"ann"}`,
		"raw", `not json`,
	)
	if err := l.DefineIndexes("cc", "", []byte(`{"index":{"fields":["size"]},"ddoc":"indexSizeDoc","name":"indexSize","type":"json"}`)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		query   string
		want    string
		wantErr bool
		errText string // for errors: a part of the message
	}{
		{"a selector matches JSON documents in key order", `{"selector":{"color":"blue"}}`, "m1,m3", false, ""},
		{"a value that is not JSON is never returned", `{"selector":{}}`, "m1,m2,m3", false, ""},
		{"a value that is not JSON is not returned for its key either", `{"selector":{"_id":"raw"}}`, "", false, ""},
		{"a sort backed by an index is allowed", `{"selector":{"size":{"$gt":0}},"sort":[{"size":"desc"}]}`, "m3,m1,m2", false, ""},
		{"a sort without an index fails as on CouchDB", `{"selector":{"owner":"tom"},"sort":["owner"]}`, "", true,
			"error handling CouchDB request. Error:no_usable_index,  Status Code:400,  Reason:No index exists for this sort, try indexing by the sort fields."},
		{"a malformed query fails", `{"selector":`, "", true, "error handling CouchDB request. Error:bad_request,  Status Code:400"},
		{"an unknown operator fails naming it", `{"selector":{"owner":{"$foo":1}}}`, "", true, `selector.owner: operator "$foo" is not supported`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := l.NewSimulator("tx", org1)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Done()
			it, err := s.ExecuteQuery("cc", tc.query)
			if tc.wantErr {
				if !errors.Is(err, ErrInvalidQuery) {
					t.Fatalf("error %v, want ErrInvalidQuery", err)
				}
				if !strings.Contains(err.Error(), tc.errText) {
					t.Errorf("error %q, want it to contain %q", err, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(drain(t, it), ","); got != tc.want {
				t.Errorf("keys %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRichQueriesFollowCommits(t *testing.T) {
	l := newLedger(t)
	put(t, l, "cc", "m1", `{"n":1}`, "m2", `{"n":2}`, "m3", `{"n":3}`)
	query := func() string {
		t.Helper()
		s, err := l.NewSimulator("tx", org1)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Done()
		it, err := s.ExecuteQuery("cc", `{"selector":{"n":{"$gt":0}}}`)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(drain(t, it), ",")
	}
	if got := query(); got != "m1,m2,m3" {
		t.Fatalf("before: keys %q, want m1,m2,m3", got)
	}
	put(t, l, "cc", "m1", "no longer JSON", "m2", "", "m4", `{"n":4}`) // "" deletes m2
	if got := query(); got != "m3,m4" {
		t.Errorf("after overwriting m1 with bytes, deleting m2 and adding m4: keys %q, want m3,m4", got)
	}
}

func TestRichQueryResultsAreMVCCCheckedButNotPhantomChecked(t *testing.T) {
	l := newLedger(t)
	put(t, l, "cc", "m1", `{"color":"blue"}`, "m2", `{"color":"red"}`)
	c := newClient(t, org1)
	query := func(s *Simulator) error {
		it, err := s.ExecuteQuery("cc", `{"selector":{"color":"blue"}}`)
		if err != nil {
			return err
		}
		defer it.Close()
		for {
			kv, err := it.Next()
			if err != nil || kv == nil {
				return err
			}
		}
	}
	tests := []struct {
		name  string
		first func(s *Simulator) error
		want  peer.TxValidationCode
	}{
		{"an update of a returned document is an MVCC conflict",
			func(s *Simulator) error { return s.SetState("cc", "m1", []byte(`{"color":"green"}`)) },
			peer.TxValidationCode_MVCC_READ_CONFLICT},
		{"a new matching document is not detected", func(s *Simulator) error { return s.SetState("cc", "m9", []byte(`{"color":"blue"}`)) },
			peer.TxValidationCode_VALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			first := c.propose(t, "cc").endorse(t, l, tc.first)
			second := c.propose(t, "cc").endorse(t, l, query)
			cb := commit(t, l, first, second)
			if cb.Txs[1].Code != tc.want {
				t.Errorf("code %s (%v), want %s", cb.Txs[1].Code, cb.Txs[1].Err, tc.want)
			}
		})
	}
}

func TestRichQueryPagination(t *testing.T) {
	l := newLedger(t)
	put(t, l, "cc", "a", `{"n":1}`, "b", `{"n":2}`, "c", `{"n":3}`)
	var pages []string
	bookmark := ""
	for range 3 {
		s, err := l.NewSimulator("tx", org1)
		if err != nil {
			t.Fatal(err)
		}
		it, err := s.ExecuteQueryWithPagination("cc", `{"selector":{}}`, bookmark, 2)
		if err != nil {
			s.Done()
			t.Fatal(err)
		}
		pages = append(pages, strings.Join(drain(t, it), ","))
		bookmark = it.Bookmark()
		s.Done()
	}
	if got := strings.Join(pages, "|"); got != "a,b|c|" {
		t.Errorf("pages %q, want %q", got, "a,b|c|")
	}
}

func TestHistoryIsNewestFirstForValidTransactions(t *testing.T) {
	l := newLedger(t)
	c := newClient(t, org1)
	p1 := c.propose(t, "cc")
	commitValid(t, l, p1.endorse(t, l, func(s *Simulator) error { return s.SetState("cc", "k", []byte("v1")) }))
	p2 := c.propose(t, "cc")
	commitValid(t, l, p2.endorse(t, l, func(s *Simulator) error { return s.DeleteState("cc", "k") }))
	p3 := c.propose(t, "cc")
	p3.event = &peer.ChaincodeEvent{EventName: "e"}
	commitValid(t, l, p3.endorse(t, l, func(s *Simulator) error { return s.SetState("cc", "k", []byte("v3")) }))
	put(t, l, "cc", "k\x00longer", "other key")

	s, err := l.NewSimulator("h", org1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Done()
	it, err := s.GetHistoryForKey("cc", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	want := []struct {
		p     *proposal
		value string
		del   bool
	}{{p3, "v3", false}, {p2, "", true}, {p1, "v1", false}}
	for i, w := range want {
		km, err := it.Next()
		if err != nil || km == nil {
			t.Fatalf("entry %d: %v, %v", i, km, err)
		}
		if km.TxId != w.p.txID || string(km.Value) != w.value || km.IsDelete != w.del || !km.Timestamp.AsTime().Equal(w.p.ts) {
			t.Errorf("entry %d = {%s %q del=%v %v}, want {%s %q del=%v %v}", i, km.TxId, km.Value, km.IsDelete, km.Timestamp.AsTime(), w.p.txID, w.value, w.del, w.p.ts)
		}
	}
	if km, err := it.Next(); km != nil || err != nil {
		t.Errorf("extra entry %v, %v", km, err)
	}
}

func TestHistoryDisabled(t *testing.T) {
	l := openTestLedger(t, testOpts{mutate: func(c *Config) { c.HistoryEnabled = false }})
	s, err := l.NewSimulator("h", org1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Done()
	if _, err := s.GetHistoryForKey("cc", "k"); err == nil || err.Error() != "history database is not enabled" {
		t.Errorf("error %v, want Fabric's text", err)
	}
}

func TestDefineIndexes(t *testing.T) {
	const sizeIndex = `{"index":{"fields":["size"]},"ddoc":"indexSizeDoc","name":"indexSize","type":"json"}`
	const sorted = `{"selector":{"size":{"$gt":0}},"sort":["size"]}`
	tests := []struct {
		name        string
		loadFirst   bool // run a query before defining, so the engine holds the documents
		defs        []string
		wantErr     string
		wantResults string // of the sorted query; "" when it must fail for want of an index
	}{
		{"an index defined before the first query serves a sort", false, []string{sizeIndex}, "", "b,a"},
		{"an index defined after documents are loaded serves a sort", true, []string{sizeIndex}, "", "b,a"},
		{"a malformed definition is refused naming the namespace and collection", false,
			[]string{sizeIndex, `{"index":{}}`}, "define index 2 of 2 for cc/coll1: ", ""},
		{"a refused call keeps none of its definitions", true, []string{sizeIndex, `not json`}, "define index 2 of 2", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLedger(t)
			put(t, l, "cc", "a", `{"size":2}`, "b", `{"size":1}`)
			query := func() (string, error) {
				s, err := l.NewSimulator("tx", org1)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Done()
				it, err := s.ExecuteQuery("cc", sorted)
				if err != nil {
					return "", err
				}
				return strings.Join(drain(t, it), ","), nil
			}
			if tc.loadFirst {
				if _, err := query(); !errors.Is(err, ErrInvalidQuery) {
					t.Fatalf("sorted query before any index: %v, want ErrInvalidQuery", err)
				}
			}
			defs := make([][]byte, len(tc.defs))
			for i, d := range tc.defs {
				defs[i] = []byte(d)
			}
			coll := ""
			if strings.Contains(tc.wantErr, "/coll1") {
				coll = "coll1"
			}
			err := l.DefineIndexes("cc", coll, defs...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("DefineIndexes = %v, want an error containing %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("DefineIndexes: %v", err)
			}
			got, err := query()
			if tc.wantResults == "" {
				if !errors.Is(err, ErrInvalidQuery) {
					t.Errorf("sorted query = %q, %v; want ErrInvalidQuery (no index)", got, err)
				}
				return
			}
			if err != nil || got != tc.wantResults {
				t.Errorf("sorted query = %q, %v; want %q", got, err, tc.wantResults)
			}
		})
	}
}
