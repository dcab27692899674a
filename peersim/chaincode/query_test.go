package chaincode

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/testing/protocmp"
)

type batch struct {
	Size    int
	HasMore bool
}

// keysOf decodes a QueryResponse of KVs.
func keysOf(t *testing.T, resp *peer.QueryResponse) []string {
	t.Helper()
	var keys []string
	for _, r := range resp.Results {
		kv := &queryresult.KV{}
		mustUnmarshal(t, r.ResultBytes, kv)
		keys = append(keys, kv.Key)
	}
	return keys
}

func keyRange(from, to int) []string {
	var keys []string
	for i := from; i < to; i++ {
		keys = append(keys, fmt.Sprintf("k%03d", i))
	}
	return keys
}

func TestIteratorBatching(t *testing.T) {
	tests := []struct {
		name    string
		results int
		limit   int
		want    []batch
	}{
		{"250 results come as 100, 100 and 50", 250, 10000, []batch{{100, true}, {100, true}, {50, false}}},
		{"exactly 100 results come in one batch without more", 100, 10000, []batch{{100, false}}},
		{"101 results come as 100 and 1", 101, 10000, []batch{{100, true}, {1, false}}},
		{"no results come as one empty batch", 0, 10000, []batch{{0, false}}},
		{"the total query limit cuts the query silently", 250, 150, []batch{{100, true}, {50, false}}},
		{"a total query limit of 100 ends the first batch", 250, 100, []batch{{100, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.TotalQueryLimit = tt.limit
			e := newEnv(t, cfg)
			c := e.register("mycc:1.0")
			sim := newFakeSim().commitN("mycc", tt.results)
			x := e.begin(c, "mycc:1.0", "ch1", "tx1", sim)

			resp := &peer.QueryResponse{}
			mustUnmarshal(t, c.ok(peer.ChaincodeMessage_GET_STATE_BY_RANGE, "ch1", "tx1", &peer.GetStateByRange{StartKey: "", EndKey: ""}), resp)
			if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(resp.Id) {
				t.Errorf("iterator id %q is not a random UUID", resp.Id)
			}
			id := resp.Id
			var got []batch
			var keys []string
			for {
				got = append(got, batch{len(resp.Results), resp.HasMore})
				keys = append(keys, keysOf(t, resp)...)
				if resp.Id != id {
					t.Errorf("batch carries id %q, want %q", resp.Id, id)
				}
				if !resp.HasMore {
					break
				}
				resp = &peer.QueryResponse{}
				mustUnmarshal(t, c.ok(peer.ChaincodeMessage_QUERY_STATE_NEXT, "ch1", "tx1", &peer.QueryStateNext{Id: id}), resp)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("batches (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(keyRange(0, len(keys)), keys); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			// An exhausted iterator is forgotten.
			if got, want := c.fails(peer.ChaincodeMessage_QUERY_STATE_NEXT, "ch1", "tx1", &peer.QueryStateNext{Id: id}),
				"QUERY_STATE_NEXT failed: transaction ID: tx1: query iterator not found"; got != want {
				t.Errorf("NEXT after the end: %q, want %q", got, want)
			}
			sim.checkClosed(t)
			e.finish(c, x, "ch1", "tx1")
		})
	}
}

func TestPagination(t *testing.T) {
	tests := []struct {
		name         string
		limit        int
		req          *peer.GetStateByRange
		query        *peer.GetQueryResult
		wantKeys     []string
		wantBookmark string
	}{
		{name: "a range page returns its results at once with the next key as bookmark", limit: 10000,
			req:      &peer.GetStateByRange{Metadata: marshalT(t, &peer.QueryMetadata{PageSize: 10})},
			wantKeys: keyRange(0, 10), wantBookmark: "k010"},
		{name: "a range bookmark is the start key of the next page", limit: 10000,
			req:      &peer.GetStateByRange{StartKey: "k000", Metadata: marshalT(t, &peer.QueryMetadata{PageSize: 10, Bookmark: "k010"})},
			wantKeys: keyRange(10, 20), wantBookmark: "k020"},
		{name: "the last range page has an empty bookmark", limit: 10000,
			req:      &peer.GetStateByRange{Metadata: marshalT(t, &peer.QueryMetadata{PageSize: 10, Bookmark: "k020"})},
			wantKeys: keyRange(20, 25), wantBookmark: ""},
		{name: "a page larger than the total query limit stops at the limit", limit: 7,
			req:      &peer.GetStateByRange{Metadata: marshalT(t, &peer.QueryMetadata{PageSize: 10})},
			wantKeys: keyRange(0, 7), wantBookmark: "k007"},
		{name: "a page bigger than 100 is not split into batches", limit: 10000,
			req:      &peer.GetStateByRange{Metadata: marshalT(t, &peer.QueryMetadata{PageSize: 1000})},
			wantKeys: keyRange(0, 25), wantBookmark: ""},
		{name: "a rich query page uses the ledger's bookmark", limit: 10000,
			query:    &peer.GetQueryResult{Query: "k01", Metadata: marshalT(t, &peer.QueryMetadata{PageSize: 4, Bookmark: "k013"})},
			wantKeys: keyRange(13, 17), wantBookmark: "k017"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.TotalQueryLimit = tt.limit
			e := newEnv(t, cfg)
			c := e.register("mycc:1.0")
			sim := newFakeSim().commitN("mycc", 25)
			x := e.begin(c, "mycc:1.0", "ch1", "tx1", sim)

			var payload []byte
			if tt.req != nil {
				payload = c.ok(peer.ChaincodeMessage_GET_STATE_BY_RANGE, "ch1", "tx1", tt.req)
			} else {
				payload = c.ok(peer.ChaincodeMessage_GET_QUERY_RESULT, "ch1", "tx1", tt.query)
			}
			resp := &peer.QueryResponse{}
			mustUnmarshal(t, payload, resp)
			if resp.HasMore {
				t.Errorf("a page has has_more=true, want false")
			}
			if diff := cmp.Diff(tt.wantKeys, keysOf(t, resp)); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			md := &peer.QueryResponseMetadata{}
			mustUnmarshal(t, resp.Metadata, md)
			want := &peer.QueryResponseMetadata{FetchedRecordsCount: int32(len(tt.wantKeys)), Bookmark: tt.wantBookmark}
			if diff := cmp.Diff(want, md, protocmp.Transform()); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
			sim.checkClosed(t)
			e.finish(c, x, "ch1", "tx1")
		})
	}
}

func TestQueries(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	c := e.register("mycc:1.0")

	t.Run("a rich query streams the ledger's results", func(t *testing.T) {
		sim := newFakeSim().commitN("mycc", 30)
		x := e.begin(c, "mycc:1.0", "ch1", "rich", sim)
		resp := &peer.QueryResponse{}
		mustUnmarshal(t, c.ok(peer.ChaincodeMessage_GET_QUERY_RESULT, "ch1", "rich", &peer.GetQueryResult{Query: "k02"}), resp)
		if diff := cmp.Diff(keyRange(20, 30), keysOf(t, resp)); diff != "" || resp.HasMore || resp.Metadata != nil {
			t.Errorf("rich query: has_more %v, metadata %v, keys (-want +got):\n%s", resp.HasMore, resp.Metadata, diff)
		}
		e.finish(c, x, "ch1", "rich")
		sim.checkClosed(t)
	})

	t.Run("private range and rich queries read the collection", func(t *testing.T) {
		sim := newFakeSim()
		sim.committed["mycc/coll/a"] = []byte("1")
		sim.committed["mycc/coll/b"] = []byte("2")
		sim.committed["mycc/a"] = []byte("public")
		x := e.begin(c, "mycc:1.0", "ch1", "priv", sim)
		resp := &peer.QueryResponse{}
		mustUnmarshal(t, c.ok(peer.ChaincodeMessage_GET_STATE_BY_RANGE, "ch1", "priv", &peer.GetStateByRange{Collection: "coll"}), resp)
		if diff := cmp.Diff([]string{"a", "b"}, keysOf(t, resp)); diff != "" {
			t.Errorf("private range keys (-want +got):\n%s", diff)
		}
		resp = &peer.QueryResponse{}
		mustUnmarshal(t, c.ok(peer.ChaincodeMessage_GET_QUERY_RESULT, "ch1", "priv", &peer.GetQueryResult{Query: "b", Collection: "coll"}), resp)
		if diff := cmp.Diff([]string{"b"}, keysOf(t, resp)); diff != "" {
			t.Errorf("private query keys (-want +got):\n%s", diff)
		}
		// A private query ignores pagination, but its page size still caps
		// it, as in Fabric: one plain batch, no metadata.
		resp = &peer.QueryResponse{}
		mustUnmarshal(t, c.ok(peer.ChaincodeMessage_GET_STATE_BY_RANGE, "ch1", "priv",
			&peer.GetStateByRange{Collection: "coll", Metadata: marshalT(t, &peer.QueryMetadata{PageSize: 1})}), resp)
		if diff := cmp.Diff([]string{"a"}, keysOf(t, resp)); diff != "" || resp.HasMore || resp.Metadata != nil {
			t.Errorf("paged private range: has_more %v, metadata %v, keys (-want +got):\n%s", resp.HasMore, resp.Metadata, diff)
		}
		e.finish(c, x, "ch1", "priv")
		sim.checkClosed(t)
	})

	t.Run("history returns the key's modifications newest first", func(t *testing.T) {
		sim := newFakeSim()
		mods := []*queryresult.KeyModification{mod("t3", "", true), mod("t2", "b", false), mod("t1", "a", false)}
		sim.history["mycc/k"] = mods
		x := e.begin(c, "mycc:1.0", "ch1", "hist", sim)
		resp := &peer.QueryResponse{}
		mustUnmarshal(t, c.ok(peer.ChaincodeMessage_GET_HISTORY_FOR_KEY, "ch1", "hist", &peer.GetHistoryForKey{Key: "k"}), resp)
		var got []*queryresult.KeyModification
		for _, r := range resp.Results {
			km := &queryresult.KeyModification{}
			mustUnmarshal(t, r.ResultBytes, km)
			got = append(got, km)
		}
		if diff := cmp.Diff(mods, got, protocmp.Transform()); diff != "" || resp.HasMore {
			t.Errorf("history: has_more %v, (-want +got):\n%s", resp.HasMore, diff)
		}
		e.finish(c, x, "ch1", "hist")
		sim.checkClosed(t)
	})

	t.Run("CLOSE forgets an open iterator and accepts an unknown one", func(t *testing.T) {
		sim := newFakeSim().commitN("mycc", 150)
		x := e.begin(c, "mycc:1.0", "ch1", "close", sim)
		resp := &peer.QueryResponse{}
		mustUnmarshal(t, c.ok(peer.ChaincodeMessage_GET_STATE_BY_RANGE, "ch1", "close", &peer.GetStateByRange{}), resp)
		if !resp.HasMore {
			t.Fatalf("150 results came in one batch")
		}
		for _, id := range []string{resp.Id, "unknown"} {
			closed := &peer.QueryResponse{}
			mustUnmarshal(t, c.ok(peer.ChaincodeMessage_QUERY_STATE_CLOSE, "ch1", "close", &peer.QueryStateClose{Id: id}), closed)
			if diff := cmp.Diff(&peer.QueryResponse{Id: id}, closed, protocmp.Transform()); diff != "" {
				t.Errorf("CLOSE %s (-want +got):\n%s", id, diff)
			}
		}
		sim.checkClosed(t)
		if got := c.fails(peer.ChaincodeMessage_QUERY_STATE_NEXT, "ch1", "close", &peer.QueryStateNext{Id: resp.Id}); got != "QUERY_STATE_NEXT failed: transaction ID: close: query iterator not found" {
			t.Errorf("NEXT after CLOSE: %q", got)
		}
		e.finish(c, x, "ch1", "close")
	})

	t.Run("open iterators are closed when the transaction completes", func(t *testing.T) {
		sim := newFakeSim().commitN("mycc", 150)
		x := e.begin(c, "mycc:1.0", "ch1", "open", sim)
		c.ok(peer.ChaincodeMessage_GET_STATE_BY_RANGE, "ch1", "open", &peer.GetStateByRange{})
		c.ok(peer.ChaincodeMessage_GET_QUERY_RESULT, "ch1", "open", &peer.GetQueryResult{Query: "k"})
		if sim.opened.Load() != 2 || sim.closed.Load() != 0 {
			t.Fatalf("opened %d closed %d before COMPLETED, want 2 and 0", sim.opened.Load(), sim.closed.Load())
		}
		e.finish(c, x, "ch1", "open")
		sim.checkClosed(t)
	})

	t.Run("a failing iterator is closed and reported", func(t *testing.T) {
		sim := newFakeSim().commitN("mycc", 5)
		sim.hook = func(op, _ string) error {
			if op == "Next" {
				return errBoom
			}
			return nil
		}
		x := e.begin(c, "mycc:1.0", "ch1", "fail", sim)
		if got := c.fails(peer.ChaincodeMessage_GET_STATE_BY_RANGE, "ch1", "fail", &peer.GetStateByRange{}); got != "GET_STATE_BY_RANGE failed: transaction ID: fail: boom" {
			t.Errorf("got %q", got)
		}
		sim.checkClosed(t)
		e.finish(c, x, "ch1", "fail")
	})

	t.Run("undecodable query metadata is refused", func(t *testing.T) {
		sim := newFakeSim()
		x := e.begin(c, "mycc:1.0", "ch1", "md", sim)
		got := c.fails(peer.ChaincodeMessage_GET_STATE_BY_RANGE, "ch1", "md", &peer.GetStateByRange{Metadata: []byte{0xff}})
		if want := "GET_STATE_BY_RANGE failed: transaction ID: md: unmarshal failed: "; len(got) < len(want) || got[:len(want)] != want {
			t.Errorf("got %q, want it to start with %q", got, want)
		}
		e.finish(c, x, "ch1", "md")
	})
}
