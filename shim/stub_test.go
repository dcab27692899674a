package shim

import (
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// exchange is one request the shim must send and the peer's answer to it.
type exchange struct {
	typ     peer.ChaincodeMessage_Type
	want    proto.Message // the decoded request payload
	reply   any           // RESPONSE payload: proto.Message, []byte or nil
	errText string        // when set, answer ERROR with this text instead
}

// callResult is what a stub call returned.
type callResult struct {
	value any
	err   error
}

// runStubCall runs call inside an Invoke of transaction tx1 on channel ch,
// plays the exchanges on the peer side and returns what call returned. The
// peer announces ready with readyPayload.
func runStubCall(t *testing.T, readyPayload []byte, call func(ChaincodeStubInterface) (any, error), script []exchange) callResult {
	t.Helper()
	results := make(chan callResult, 1)
	h := newHarness(t, "mycc:1.0", &chaincodeFuncs{invoke: func(stub ChaincodeStubInterface) *peer.Response {
		v, err := call(stub)
		results <- callResult{v, err}
		return Success(nil)
	}})
	h.handshake(readyPayload)
	h.transaction(false, "ch", "tx1")
	for _, ex := range script {
		req := h.expectRequest(ex.typ, "ch", "tx1", ex.want)
		if ex.errText != "" {
			h.replyError(req, ex.errText)
		} else {
			h.reply(req, ex.reply)
		}
	}
	// Nothing else may be sent before the transaction completes.
	h.expectCompleted("ch", "tx1")
	return <-results
}

func kvBytes(t *testing.T, key, value string) *peer.QueryResultBytes {
	return &peer.QueryResultBytes{ResultBytes: mustMarshal(t, &queryresult.KV{Namespace: "mycc", Key: key, Value: []byte(value)})}
}

func collect(it StateQueryIteratorInterface) ([]string, error) {
	var keys []string
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return keys, err
		}
		keys = append(keys, kv.Key+"="+string(kv.Value))
	}
	return keys, it.Close()
}

func TestStubCallsSendTheRightRequestsAndDecodeTheReplies(t *testing.T) {
	ck := func(parts ...string) string {
		k, err := CreateCompositeKey(parts[0], parts[1:])
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	page := func(size int32, bookmark string) []byte {
		return mustMarshal(t, &peer.QueryMetadata{PageSize: size, Bookmark: bookmark})
	}
	vp := &peer.StateMetadata{Metakey: "VALIDATION_PARAMETER", Value: []byte("policy")}
	tests := []struct {
		name    string
		call    func(ChaincodeStubInterface) (any, error)
		script  []exchange
		want    any
		wantErr string
	}{
		{
			name:   "GetState returns the value",
			call:   func(s ChaincodeStubInterface) (any, error) { return s.GetState("k") },
			script: []exchange{{typ: peer.ChaincodeMessage_GET_STATE, want: &peer.GetState{Key: "k"}, reply: []byte("v")}},
			want:   []byte("v"),
		},
		{
			name:   "GetState of a missing key returns nil",
			call:   func(s ChaincodeStubInterface) (any, error) { return s.GetState("k") },
			script: []exchange{{typ: peer.ChaincodeMessage_GET_STATE, want: &peer.GetState{Key: "k"}}},
			want:   []byte(nil),
		},
		{
			name:    "GetState returns the peer's error text unchanged",
			call:    func(s ChaincodeStubInterface) (any, error) { return s.GetState("k") },
			script:  []exchange{{typ: peer.ChaincodeMessage_GET_STATE, want: &peer.GetState{Key: "k"}, errText: "GET_STATE failed: transaction ID: tx1: no ledger context"}},
			wantErr: "GET_STATE failed: transaction ID: tx1: no ledger context",
		},
		{
			name:   "PutState sends the key and value",
			call:   func(s ChaincodeStubInterface) (any, error) { return nil, s.PutState("k", []byte("v")) },
			script: []exchange{{typ: peer.ChaincodeMessage_PUT_STATE, want: &peer.PutState{Key: "k", Value: []byte("v")}}},
		},
		{
			name:   "DelState sends the key",
			call:   func(s ChaincodeStubInterface) (any, error) { return nil, s.DelState("k") },
			script: []exchange{{typ: peer.ChaincodeMessage_DEL_STATE, want: &peer.DelState{Key: "k"}}},
		},
		{
			name:   "GetMultipleStates without peer support sends one GET_STATE per key",
			call:   func(s ChaincodeStubInterface) (any, error) { return s.GetMultipleStates("a", "b") },
			script: []exchange{{typ: peer.ChaincodeMessage_GET_STATE, want: &peer.GetState{Key: "a"}, reply: []byte("1")}, {typ: peer.ChaincodeMessage_GET_STATE, want: &peer.GetState{Key: "b"}}},
			want:   [][]byte{[]byte("1"), nil},
		},
		{
			name: "GetMultipleStates with no keys sends nothing",
			call: func(s ChaincodeStubInterface) (any, error) { return s.GetMultipleStates() },
			want: [][]byte(nil),
		},
		{
			name: "SetStateValidationParameter writes the VALIDATION_PARAMETER metadata",
			call: func(s ChaincodeStubInterface) (any, error) {
				return nil, s.SetStateValidationParameter("k", []byte("policy"))
			},
			script: []exchange{{typ: peer.ChaincodeMessage_PUT_STATE_METADATA, want: &peer.PutStateMetadata{Key: "k", Metadata: vp}}},
		},
		{
			name: "GetStateValidationParameter picks the VALIDATION_PARAMETER entry",
			call: func(s ChaincodeStubInterface) (any, error) { return s.GetStateValidationParameter("k") },
			script: []exchange{{typ: peer.ChaincodeMessage_GET_STATE_METADATA, want: &peer.GetStateMetadata{Key: "k"},
				reply: &peer.StateMetadataResult{Entries: []*peer.StateMetadata{{Metakey: "other", Value: []byte("x")}, vp}}}},
			want: []byte("policy"),
		},
		{
			name: "GetStateValidationParameter ignores metadata entries of other keys that follow it",
			call: func(s ChaincodeStubInterface) (any, error) { return s.GetStateValidationParameter("k") },
			script: []exchange{{typ: peer.ChaincodeMessage_GET_STATE_METADATA, want: &peer.GetStateMetadata{Key: "k"},
				reply: &peer.StateMetadataResult{Entries: []*peer.StateMetadata{vp, {Metakey: "other", Value: []byte("x")}}}}},
			want: []byte("policy"),
		},
		{
			name:   "GetStateValidationParameter of a key without one returns nil",
			call:   func(s ChaincodeStubInterface) (any, error) { return s.GetStateValidationParameter("k") },
			script: []exchange{{typ: peer.ChaincodeMessage_GET_STATE_METADATA, want: &peer.GetStateMetadata{Key: "k"}, reply: &peer.StateMetadataResult{}}},
			want:   []byte(nil),
		},
		{
			name: "GetStateByRange replaces an empty start key, fetches lazily and closes",
			call: func(s ChaincodeStubInterface) (any, error) {
				it, err := s.GetStateByRange("", "z")
				if err != nil {
					return nil, err
				}
				return collect(it)
			},
			script: []exchange{
				{typ: peer.ChaincodeMessage_GET_STATE_BY_RANGE, want: &peer.GetStateByRange{StartKey: "\x01", EndKey: "z"},
					reply: &peer.QueryResponse{Results: []*peer.QueryResultBytes{kvBytes(t, "a", "1"), kvBytes(t, "b", "2")}, HasMore: true, Id: "it1"}},
				{typ: peer.ChaincodeMessage_QUERY_STATE_NEXT, want: &peer.QueryStateNext{Id: "it1"},
					reply: &peer.QueryResponse{Results: []*peer.QueryResultBytes{kvBytes(t, "c", "3")}, Id: "it1"}},
				{typ: peer.ChaincodeMessage_QUERY_STATE_CLOSE, want: &peer.QueryStateClose{Id: "it1"}, reply: &peer.QueryResponse{Id: "it1"}},
			},
			want: []string{"a=1", "b=2", "c=3"},
		},
		{
			name: "Close releases the query once, however often it is called",
			call: func(s ChaincodeStubInterface) (any, error) {
				it, err := s.GetStateByRange("a", "b")
				if err != nil {
					return nil, err
				}
				if err := it.Close(); err != nil {
					return nil, err
				}
				return nil, it.Close()
			},
			script: []exchange{
				{typ: peer.ChaincodeMessage_GET_STATE_BY_RANGE, want: &peer.GetStateByRange{StartKey: "a", EndKey: "b"}, reply: &peer.QueryResponse{Id: "it1"}},
				{typ: peer.ChaincodeMessage_QUERY_STATE_CLOSE, want: &peer.QueryStateClose{Id: "it1"}, reply: &peer.QueryResponse{Id: "it1"}},
			},
		},
		{
			name: "Next after Close is an error, without asking the peer for more",
			call: func(s ChaincodeStubInterface) (any, error) {
				it, err := s.GetStateByRange("a", "b")
				if err != nil {
					return nil, err
				}
				if _, err := it.Next(); err != nil {
					return nil, err
				}
				if err := it.Close(); err != nil {
					return nil, err
				}
				return it.Next()
			},
			script: []exchange{
				{typ: peer.ChaincodeMessage_GET_STATE_BY_RANGE, want: &peer.GetStateByRange{StartKey: "a", EndKey: "b"},
					reply: &peer.QueryResponse{Results: []*peer.QueryResultBytes{kvBytes(t, "a", "1")}, HasMore: true, Id: "it1"}},
				{typ: peer.ChaincodeMessage_QUERY_STATE_CLOSE, want: &peer.QueryStateClose{Id: "it1"}, reply: &peer.QueryResponse{Id: "it1"}},
			},
			wantErr: "query it1 is closed",
		},
		{
			name: "a further batch without a query id keeps the first one",
			call: func(s ChaincodeStubInterface) (any, error) {
				it, err := s.GetStateByRange("a", "z")
				if err != nil {
					return nil, err
				}
				return collect(it)
			},
			script: []exchange{
				{typ: peer.ChaincodeMessage_GET_STATE_BY_RANGE, want: &peer.GetStateByRange{StartKey: "a", EndKey: "z"},
					reply: &peer.QueryResponse{Results: []*peer.QueryResultBytes{kvBytes(t, "a", "1")}, HasMore: true, Id: "it1"}},
				{typ: peer.ChaincodeMessage_QUERY_STATE_NEXT, want: &peer.QueryStateNext{Id: "it1"},
					reply: &peer.QueryResponse{Results: []*peer.QueryResultBytes{kvBytes(t, "b", "2")}}},
				{typ: peer.ChaincodeMessage_QUERY_STATE_CLOSE, want: &peer.QueryStateClose{Id: "it1"}, reply: &peer.QueryResponse{Id: "it1"}},
			},
			want: []string{"a=1", "b=2"},
		},
		{
			name: "an empty batch that claims more results is an error and ends the iteration",
			call: func(s ChaincodeStubInterface) (any, error) {
				it, err := s.GetStateByRange("a", "z")
				if err != nil {
					return nil, err
				}
				if _, err := it.Next(); !errContains(err, "empty batch for query it1 while claiming more results") {
					t.Errorf("Next returned %v, want an error about the empty batch", err)
				}
				return it.HasNext(), nil
			},
			script: []exchange{
				{typ: peer.ChaincodeMessage_GET_STATE_BY_RANGE, want: &peer.GetStateByRange{StartKey: "a", EndKey: "z"}, reply: &peer.QueryResponse{HasMore: true, Id: "it1"}},
				{typ: peer.ChaincodeMessage_QUERY_STATE_NEXT, want: &peer.QueryStateNext{Id: "it1"}, reply: &peer.QueryResponse{HasMore: true, Id: "it1"}},
			},
			want: false,
		},
		{
			name: "GetStateByRangeWithPagination sends the page and returns the metadata",
			call: func(s ChaincodeStubInterface) (any, error) {
				_, md, err := s.GetStateByRangeWithPagination("a", "", 2, "b")
				return md, err
			},
			script: []exchange{{typ: peer.ChaincodeMessage_GET_STATE_BY_RANGE, want: &peer.GetStateByRange{StartKey: "a", Metadata: page(2, "b")},
				reply: &peer.QueryResponse{Id: "it", Metadata: mustMarshal(t, &peer.QueryResponseMetadata{FetchedRecordsCount: 2, Bookmark: "d"})}}},
			want: &peer.QueryResponseMetadata{FetchedRecordsCount: 2, Bookmark: "d"},
		},
		{
			name: "GetStateByPartialCompositeKey ranges over the prefix up to U+10FFFF",
			call: func(s ChaincodeStubInterface) (any, error) {
				it, err := s.GetStateByPartialCompositeKey("color", []string{"blue"})
				if err != nil {
					return nil, err
				}
				return it.HasNext(), nil
			},
			script: []exchange{{typ: peer.ChaincodeMessage_GET_STATE_BY_RANGE,
				want: &peer.GetStateByRange{StartKey: ck("color", "blue"), EndKey: ck("color", "blue") + "\U0010FFFF"}, reply: &peer.QueryResponse{Id: "i"}}},
			want: false,
		},
		{
			name: "GetStateByPartialCompositeKeyWithPagination sends the page",
			call: func(s ChaincodeStubInterface) (any, error) {
				_, md, err := s.GetStateByPartialCompositeKeyWithPagination("color", nil, 5, "")
				return md, err
			},
			script: []exchange{{typ: peer.ChaincodeMessage_GET_STATE_BY_RANGE,
				want: &peer.GetStateByRange{StartKey: ck("color"), EndKey: ck("color") + "\U0010FFFF", Metadata: page(5, "")}, reply: &peer.QueryResponse{Id: "i"}}},
			want: &peer.QueryResponseMetadata{},
		},
		{
			name: "GetAllStatesCompositeKeyWithPagination covers every composite key",
			call: func(s ChaincodeStubInterface) (any, error) {
				_, md, err := s.GetAllStatesCompositeKeyWithPagination(10, "bm")
				return md, err
			},
			script: []exchange{{typ: peer.ChaincodeMessage_GET_STATE_BY_RANGE,
				want: &peer.GetStateByRange{StartKey: "\x00", EndKey: "\x00\U0010FFFF", Metadata: page(10, "bm")}, reply: &peer.QueryResponse{Id: "i"}}},
			want: &peer.QueryResponseMetadata{},
		},
		{
			name: "GetQueryResult sends the query",
			call: func(s ChaincodeStubInterface) (any, error) {
				it, err := s.GetQueryResult(`{"selector":{}}`)
				if err != nil {
					return nil, err
				}
				kv, err := it.Next()
				return kv, err
			},
			script: []exchange{{typ: peer.ChaincodeMessage_GET_QUERY_RESULT, want: &peer.GetQueryResult{Query: `{"selector":{}}`},
				reply: &peer.QueryResponse{Results: []*peer.QueryResultBytes{kvBytes(t, "a", "1")}, Id: "q"}}},
			want: &queryresult.KV{Namespace: "mycc", Key: "a", Value: []byte("1")},
		},
		{
			name: "GetQueryResultWithPagination sends the page",
			call: func(s ChaincodeStubInterface) (any, error) {
				_, md, err := s.GetQueryResultWithPagination("{}", 3, "x")
				return md, err
			},
			script: []exchange{{typ: peer.ChaincodeMessage_GET_QUERY_RESULT, want: &peer.GetQueryResult{Query: "{}", Metadata: page(3, "x")},
				reply: &peer.QueryResponse{Id: "q", Metadata: mustMarshal(t, &peer.QueryResponseMetadata{FetchedRecordsCount: 1, Bookmark: "y"})}}},
			want: &peer.QueryResponseMetadata{FetchedRecordsCount: 1, Bookmark: "y"},
		},
		{
			name: "GetHistoryForKey decodes key modifications",
			call: func(s ChaincodeStubInterface) (any, error) {
				it, err := s.GetHistoryForKey("k")
				if err != nil {
					return nil, err
				}
				km, err := it.Next()
				if err != nil {
					return nil, err
				}
				if _, err := it.Next(); !errContains(err, "no such key") {
					t.Errorf("Next past the end returned %v", err)
				}
				return km, it.Close()
			},
			script: []exchange{
				{typ: peer.ChaincodeMessage_GET_HISTORY_FOR_KEY, want: &peer.GetHistoryForKey{Key: "k"},
					reply: &peer.QueryResponse{Id: "h", Results: []*peer.QueryResultBytes{{ResultBytes: mustMarshal(t, &queryresult.KeyModification{TxId: "t0", IsDelete: true})}}}},
				{typ: peer.ChaincodeMessage_QUERY_STATE_CLOSE, want: &peer.QueryStateClose{Id: "h"}, reply: &peer.QueryResponse{Id: "h"}},
			},
			want: &queryresult.KeyModification{TxId: "t0", IsDelete: true},
		},
		{
			name:   "GetPrivateData sends the collection",
			call:   func(s ChaincodeStubInterface) (any, error) { return s.GetPrivateData("c", "k") },
			script: []exchange{{typ: peer.ChaincodeMessage_GET_STATE, want: &peer.GetState{Key: "k", Collection: "c"}, reply: []byte("v")}},
			want:   []byte("v"),
		},
		{
			name:   "GetMultiplePrivateData sends the collection",
			call:   func(s ChaincodeStubInterface) (any, error) { return s.GetMultiplePrivateData("c", "k") },
			script: []exchange{{typ: peer.ChaincodeMessage_GET_STATE, want: &peer.GetState{Key: "k", Collection: "c"}, reply: []byte("v")}},
			want:   [][]byte{[]byte("v")},
		},
		{
			name:   "GetPrivateDataHash uses GET_PRIVATE_DATA_HASH",
			call:   func(s ChaincodeStubInterface) (any, error) { return s.GetPrivateDataHash("c", "k") },
			script: []exchange{{typ: peer.ChaincodeMessage_GET_PRIVATE_DATA_HASH, want: &peer.GetState{Key: "k", Collection: "c"}, reply: []byte("hash")}},
			want:   []byte("hash"),
		},
		{
			name:   "PutPrivateData sends the collection",
			call:   func(s ChaincodeStubInterface) (any, error) { return nil, s.PutPrivateData("c", "k", []byte("v")) },
			script: []exchange{{typ: peer.ChaincodeMessage_PUT_STATE, want: &peer.PutState{Key: "k", Value: []byte("v"), Collection: "c"}}},
		},
		{
			name:   "DelPrivateData sends the collection",
			call:   func(s ChaincodeStubInterface) (any, error) { return nil, s.DelPrivateData("c", "k") },
			script: []exchange{{typ: peer.ChaincodeMessage_DEL_STATE, want: &peer.DelState{Key: "k", Collection: "c"}}},
		},
		{
			name:   "PurgePrivateData sends a DelState as PURGE_PRIVATE_DATA",
			call:   func(s ChaincodeStubInterface) (any, error) { return nil, s.PurgePrivateData("c", "k") },
			script: []exchange{{typ: peer.ChaincodeMessage_PURGE_PRIVATE_DATA, want: &peer.DelState{Key: "k", Collection: "c"}}},
		},
		{
			name: "SetPrivateDataValidationParameter sends the collection",
			call: func(s ChaincodeStubInterface) (any, error) {
				return nil, s.SetPrivateDataValidationParameter("c", "k", []byte("policy"))
			},
			script: []exchange{{typ: peer.ChaincodeMessage_PUT_STATE_METADATA, want: &peer.PutStateMetadata{Key: "k", Collection: "c", Metadata: vp}}},
		},
		{
			name: "GetPrivateDataValidationParameter sends the collection",
			call: func(s ChaincodeStubInterface) (any, error) { return s.GetPrivateDataValidationParameter("c", "k") },
			script: []exchange{{typ: peer.ChaincodeMessage_GET_STATE_METADATA, want: &peer.GetStateMetadata{Key: "k", Collection: "c"},
				reply: &peer.StateMetadataResult{Entries: []*peer.StateMetadata{vp}}}},
			want: []byte("policy"),
		},
		{
			name: "GetPrivateDataByRange replaces an empty start key",
			call: func(s ChaincodeStubInterface) (any, error) {
				it, err := s.GetPrivateDataByRange("c", "", "")
				if err != nil {
					return nil, err
				}
				return it.HasNext(), nil
			},
			script: []exchange{{typ: peer.ChaincodeMessage_GET_STATE_BY_RANGE, want: &peer.GetStateByRange{StartKey: "\x01", Collection: "c"}, reply: &peer.QueryResponse{Id: "i"}}},
			want:   false,
		},
		{
			name: "GetPrivateDataByPartialCompositeKey sends the collection",
			call: func(s ChaincodeStubInterface) (any, error) {
				_, err := s.GetPrivateDataByPartialCompositeKey("c", "color", []string{"red"})
				return nil, err
			},
			script: []exchange{{typ: peer.ChaincodeMessage_GET_STATE_BY_RANGE,
				want: &peer.GetStateByRange{StartKey: ck("color", "red"), EndKey: ck("color", "red") + "\U0010FFFF", Collection: "c"}, reply: &peer.QueryResponse{Id: "i"}}},
		},
		{
			name: "GetPrivateDataQueryResult sends the collection",
			call: func(s ChaincodeStubInterface) (any, error) {
				_, err := s.GetPrivateDataQueryResult("c", "{}")
				return nil, err
			},
			script: []exchange{{typ: peer.ChaincodeMessage_GET_QUERY_RESULT, want: &peer.GetQueryResult{Query: "{}", Collection: "c"}, reply: &peer.QueryResponse{Id: "i"}}},
		},
		{
			name: "InvokeChaincode on another channel names it and returns the callee's response",
			call: func(s ChaincodeStubInterface) (any, error) {
				return s.InvokeChaincode("other", byteArgs("f", "x"), "ch2"), nil
			},
			script: []exchange{{typ: peer.ChaincodeMessage_INVOKE_CHAINCODE,
				want:  &peer.ChaincodeSpec{ChaincodeId: &peer.ChaincodeID{Name: "other/ch2"}, Input: &peer.ChaincodeInput{Args: byteArgs("f", "x")}},
				reply: &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_COMPLETED, Payload: mustMarshal(t, &peer.Response{Status: 404, Message: "nope"})}}},
			want: &peer.Response{Status: 404, Message: "nope"},
		},
		{
			name: "InvokeChaincode maps the callee's ERROR to status 500 with the text as payload",
			call: func(s ChaincodeStubInterface) (any, error) { return s.InvokeChaincode("other", nil, ""), nil },
			script: []exchange{{typ: peer.ChaincodeMessage_INVOKE_CHAINCODE, want: &peer.ChaincodeSpec{ChaincodeId: &peer.ChaincodeID{Name: "other"}, Input: &peer.ChaincodeInput{}},
				reply: &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_ERROR, Payload: []byte("callee failed")}}},
			want: &peer.Response{Status: 500, Payload: []byte("callee failed")},
		},
		{
			name: "InvokeChaincode maps the peer's ERROR to status 500 with the text as payload",
			call: func(s ChaincodeStubInterface) (any, error) { return s.InvokeChaincode("other", nil, ""), nil },
			script: []exchange{{typ: peer.ChaincodeMessage_INVOKE_CHAINCODE, want: &peer.ChaincodeSpec{ChaincodeId: &peer.ChaincodeID{Name: "other"}, Input: &peer.ChaincodeInput{}},
				errText: "INVOKE_CHAINCODE failed: transaction ID: tx1: execute failed: error sending: txid: tx1(ch) exists"}},
			want: &peer.Response{Status: 500, Payload: []byte("INVOKE_CHAINCODE failed: transaction ID: tx1: execute failed: error sending: txid: tx1(ch) exists")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runStubCall(t, nil, tt.call, tt.script)
			if tt.wantErr != "" {
				if !errContains(got.err, tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", got.err, tt.wantErr)
				}
				return
			}
			if got.err != nil {
				t.Fatalf("unexpected error: %v", got.err)
			}
			if diff := cmp.Diff(tt.want, got.value, protocmp.Transform()); diff != "" {
				t.Errorf("result differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyRulesAreCheckedBeforeAnyRoundTrip(t *testing.T) {
	bad := "a\xffb"
	tests := []struct {
		name    string
		call    func(ChaincodeStubInterface) error
		wantErr string
	}{
		{"PutState with an empty key", func(s ChaincodeStubInterface) error { return s.PutState("", []byte("v")) }, "key must not be an empty string"},
		{"PutPrivateData with an empty key", func(s ChaincodeStubInterface) error { return s.PutPrivateData("c", "", []byte("v")) }, "key must not be an empty string"},
		{"GetState with a key that is not UTF-8", func(s ChaincodeStubInterface) error { _, err := s.GetState(bad); return err }, "is not valid UTF-8"},
		{"PutState with a key that is not UTF-8", func(s ChaincodeStubInterface) error { return s.PutState(bad, nil) }, "is not valid UTF-8"},
		{"DelState with a key that is not UTF-8", func(s ChaincodeStubInterface) error { return s.DelState(bad) }, "is not valid UTF-8"},
		{"GetMultipleStates with a key that is not UTF-8", func(s ChaincodeStubInterface) error { _, err := s.GetMultipleStates("a", bad); return err }, "is not valid UTF-8"},
		{"GetPrivateData with a collection that is not UTF-8", func(s ChaincodeStubInterface) error { _, err := s.GetPrivateData(bad, "k"); return err }, "collection"},
		{"GetPrivateData without a collection", func(s ChaincodeStubInterface) error { _, err := s.GetPrivateData("", "k"); return err }, "collection must not be an empty string"},
		{"PurgePrivateData without a collection", func(s ChaincodeStubInterface) error { return s.PurgePrivateData("", "k") }, "collection must not be an empty string"},
		{"GetPrivateDataValidationParameter without a collection", func(s ChaincodeStubInterface) error {
			_, err := s.GetPrivateDataValidationParameter("", "k")
			return err
		}, "collection must not be an empty string"},
		{"GetStateByRange with a start key starting with U+0000", func(s ChaincodeStubInterface) error { _, err := s.GetStateByRange("\x00a", ""); return err }, "starts with a null character"},
		{"GetStateByRange with an end key starting with U+0000", func(s ChaincodeStubInterface) error { _, err := s.GetStateByRange("a", "\x00"); return err }, "starts with a null character"},
		{"GetPrivateDataByRange with a key starting with U+0000", func(s ChaincodeStubInterface) error {
			_, err := s.GetPrivateDataByRange("c", "\x00", "")
			return err
		}, "starts with a null character"},
		{"GetStateByRangeWithPagination with a key that is not UTF-8", func(s ChaincodeStubInterface) error {
			_, _, err := s.GetStateByRangeWithPagination(bad, "", 1, "")
			return err
		}, "is not valid UTF-8"},
		{"a composite key attribute containing U+0000", func(s ChaincodeStubInterface) error {
			_, err := s.GetStateByPartialCompositeKey("t", []string{"a\x00"})
			return err
		}, "U+0000"},
		{"a composite key object type containing U+10FFFF", func(s ChaincodeStubInterface) error {
			_, err := s.CreateCompositeKey("t\U0010FFFF", nil)
			return err
		}, "U+10FFFF"},
		{"a composite key attribute that is not UTF-8", func(s ChaincodeStubInterface) error {
			_, _, err := s.GetStateByPartialCompositeKeyWithPagination("t", []string{bad}, 1, "")
			return err
		}, "not a valid utf8 string"},
		{"a rich query that is not UTF-8", func(s ChaincodeStubInterface) error { _, err := s.GetQueryResult(bad); return err }, "query"},
		{"a bookmark that is not UTF-8", func(s ChaincodeStubInterface) error {
			_, _, err := s.GetQueryResultWithPagination("{}", 1, bad)
			return err
		}, "bookmark"},
		{"a history key that is not UTF-8", func(s ChaincodeStubInterface) error { _, err := s.GetHistoryForKey(bad); return err }, "is not valid UTF-8"},
		{"an event without a name", func(s ChaincodeStubInterface) error { return s.SetEvent("", nil) }, "event name can not be empty string"},
		{"an event name that is not UTF-8", func(s ChaincodeStubInterface) error { return s.SetEvent(bad, nil) }, "is not valid UTF-8"},
		{"InvokeChaincode with a name that is not UTF-8", func(s ChaincodeStubInterface) error {
			if r := s.InvokeChaincode(bad, nil, ""); r.Status != ERROR || !strings.Contains(string(r.Payload), "not valid UTF-8") {
				t.Errorf("got %v", r)
			}
			return errTestSentinel
		}, "sentinel"},
		{"SplitCompositeKey of a simple key", func(s ChaincodeStubInterface) error { _, _, err := s.SplitCompositeKey("plain"); return err }, "is not a composite key"},
		{"SplitCompositeKey of a key without its final U+0000", func(s ChaincodeStubInterface) error {
			_, _, err := s.SplitCompositeKey("\x00t\x00a")
			return err
		}, "is not a composite key"},
		{"SplitCompositeKey of an empty key", func(s ChaincodeStubInterface) error { _, _, err := s.SplitCompositeKey(""); return err }, "is not a composite key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runStubCall(t, nil, func(s ChaincodeStubInterface) (any, error) { return nil, tt.call(s) }, nil)
			if !errContains(got.err, tt.wantErr) {
				t.Errorf("got %v, want an error containing %q", got.err, tt.wantErr)
			}
		})
	}
}

var errTestSentinel = errorString("sentinel")

type errorString string

func (e errorString) Error() string { return string(e) }

func TestCompositeKeysRoundTrip(t *testing.T) {
	key, err := CreateCompositeKey("asset", []string{"blue", "", "héllo"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "\x00asset\x00blue\x00\x00héllo\x00"; key != want {
		t.Errorf("got %q, want %q", key, want)
	}
	typ, attrs, err := (&ChaincodeStub{}).SplitCompositeKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"blue", "", "héllo"}, attrs); typ != "asset" || diff != "" {
		t.Errorf("split gave %q %v", typ, attrs)
	}
	if _, attrs, _ := parseCompositeKey("\x00t\x00"); attrs == nil || len(attrs) != 0 {
		t.Errorf("a key without attributes split into %#v, want an empty slice", attrs)
	}
}

func TestPeerFeaturesFromReady(t *testing.T) {
	offered := mustMarshal(t, &peer.ChaincodeAdditionalParams{UseWriteBatch: true, MaxSizeWriteBatch: 2, UseGetMultipleKeys: true, MaxSizeGetMultipleKeys: 1000})
	keys := make([]string, 150)
	for i := range keys {
		keys[i] = string(rune('A' + i%26))
	}

	t.Run("GetMultipleStates uses GET_STATE_MULTIPLE in chunks of the advertised size", func(t *testing.T) {
		small := mustMarshal(t, &peer.ChaincodeAdditionalParams{UseGetMultipleKeys: true, MaxSizeGetMultipleKeys: 7})
		values := func(n int) *peer.GetStateMultipleResult {
			r := &peer.GetStateMultipleResult{}
			for i := range n {
				if i%2 == 0 {
					r.Values = append(r.Values, []byte("v"))
				} else {
					r.Values = append(r.Values, nil)
				}
			}
			return r
		}
		got := runStubCall(t, small, func(s ChaincodeStubInterface) (any, error) { return s.GetMultipleStates(keys...) }, []exchange{
			// 7 is raised to 100, as Fabric's shim does.
			{typ: peer.ChaincodeMessage_GET_STATE_MULTIPLE, want: &peer.GetStateMultiple{Keys: keys[:100]}, reply: values(100)},
			{typ: peer.ChaincodeMessage_GET_STATE_MULTIPLE, want: &peer.GetStateMultiple{Keys: keys[100:]}, reply: values(50)},
		})
		vals, _ := got.value.([][]byte)
		if got.err != nil || len(vals) != 150 || vals[0] == nil || vals[1] != nil || vals[149] != nil {
			t.Errorf("got %d values, err %v", len(vals), got.err)
		}
	})

	t.Run("a GET_STATE_MULTIPLE reply with the wrong count is an error", func(t *testing.T) {
		got := runStubCall(t, offered, func(s ChaincodeStubInterface) (any, error) { return s.GetMultiplePrivateData("c", "a", "b") }, []exchange{
			{typ: peer.ChaincodeMessage_GET_STATE_MULTIPLE, want: &peer.GetStateMultiple{Keys: []string{"a", "b"}, Collection: "c"}, reply: &peer.GetStateMultipleResult{Values: [][]byte{nil}}},
		})
		if !errContains(got.err, "2 keys with 1 values") {
			t.Errorf("got %v", got.err)
		}
	})

	t.Run("a write batch sends WRITE_BATCH_STATE in chunks, last write per key wins", func(t *testing.T) {
		var want1, want2 []*peer.WriteRecord
		for i := range 150 {
			rec := &peer.WriteRecord{Key: keyN(i), Value: []byte("v2"), Type: peer.WriteRecord_PUT_STATE}
			if i < 100 {
				want1 = append(want1, rec)
			} else {
				want2 = append(want2, rec)
			}
		}
		want2 = append(want2,
			&peer.WriteRecord{Key: "d", Collection: "c", Type: peer.WriteRecord_DEL_STATE},
			&peer.WriteRecord{Key: "p", Collection: "c", Type: peer.WriteRecord_PURGE_PRIVATE_DATA},
			&peer.WriteRecord{Key: keyN(0), Type: peer.WriteRecord_PUT_STATE_METADATA, Metadata: &peer.StateMetadata{Metakey: "VALIDATION_PARAMETER", Value: []byte("ep")}},
		)
		got := runStubCall(t, offered, func(s ChaincodeStubInterface) (any, error) {
			s.StartWriteBatch()
			for i := range 150 {
				if err := s.PutState(keyN(i), []byte("v1")); err != nil {
					return nil, err
				}
			}
			for i := range 150 {
				_ = s.PutState(keyN(i), []byte("v2"))
			}
			_ = s.DelPrivateData("c", "d")
			_ = s.PurgePrivateData("c", "p")
			_ = s.SetStateValidationParameter(keyN(0), []byte("ep"))
			return nil, s.FinishWriteBatch()
		}, []exchange{
			{typ: peer.ChaincodeMessage_WRITE_BATCH_STATE, want: &peer.WriteBatchState{Rec: want1}},
			{typ: peer.ChaincodeMessage_WRITE_BATCH_STATE, want: &peer.WriteBatchState{Rec: want2}},
		})
		if got.err != nil {
			t.Error(got.err)
		}
	})

	t.Run("a write batch left open is flushed after Invoke returns, and its failure answers ERROR", func(t *testing.T) {
		h := newHarness(t, "mycc:1.0", &chaincodeFuncs{invoke: func(s ChaincodeStubInterface) *peer.Response {
			s.StartWriteBatch()
			_ = s.PutState("k", []byte("v"))
			return Error("business failure")
		}})
		h.handshake(offered)
		h.transaction(false, "ch", "tx1")
		req := h.expectRequest(peer.ChaincodeMessage_WRITE_BATCH_STATE, "ch", "tx1", &peer.WriteBatchState{Rec: []*peer.WriteRecord{{Key: "k", Value: []byte("v"), Type: peer.WriteRecord_PUT_STATE}}})
		h.replyError(req, "WRITE_BATCH_STATE failed: transaction ID: tx1: boom")
		got := h.recv()
		if got.Type != peer.ChaincodeMessage_ERROR || !strings.Contains(string(got.Payload), "WRITE_BATCH_STATE failed: transaction ID: tx1: boom") {
			t.Errorf("got %v, want ERROR with the batch failure", got)
		}
	})

	t.Run("against an older peer StartWriteBatch changes nothing", func(t *testing.T) {
		got := runStubCall(t, nil, func(s ChaincodeStubInterface) (any, error) {
			s.StartWriteBatch()
			if err := s.PutState("k", []byte("v")); err != nil {
				return nil, err
			}
			return nil, s.FinishWriteBatch()
		}, []exchange{{typ: peer.ChaincodeMessage_PUT_STATE, want: &peer.PutState{Key: "k", Value: []byte("v")}}})
		if got.err != nil {
			t.Error(got.err)
		}
	})
}

func keyN(i int) string { return "key" + string(rune('a'+i/26)) + string(rune('a'+i%26)) }

func TestProposalDerivedValues(t *testing.T) {
	creator := []byte("creator-identity")
	nonce := []byte("nonce")
	ts := timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))
	proposal := func(t *testing.T, headerType common.HeaderType) *peer.SignedProposal {
		chdr := mustMarshal(t, &common.ChannelHeader{Type: int32(headerType), Epoch: 7, Timestamp: ts, ChannelId: "ch", TxId: "tx1"})
		shdr := mustMarshal(t, &common.SignatureHeader{Creator: creator, Nonce: nonce})
		hdr := mustMarshal(t, &common.Header{ChannelHeader: chdr, SignatureHeader: shdr})
		payload := mustMarshal(t, &peer.ChaincodeProposalPayload{TransientMap: map[string][]byte{"secret": []byte("s")}})
		return &peer.SignedProposal{ProposalBytes: mustMarshal(t, &peer.Proposal{Header: hdr, Payload: payload}), Signature: []byte("sig")}
	}

	t.Run("creator, transient, binding, timestamp and decorations come from the message", func(t *testing.T) {
		type seen struct {
			creator, binding []byte
			transient        map[string][]byte
			ts               *timestamppb.Timestamp
			decorations      map[string][]byte
			sp               *peer.SignedProposal
			argsSlice        []byte
		}
		got := make(chan seen, 1)
		h := newHarness(t, "mycc:1.0", &chaincodeFuncs{invoke: func(s ChaincodeStubInterface) *peer.Response {
			var v seen
			v.creator, _ = s.GetCreator()
			v.binding, _ = s.GetBinding()
			v.transient, _ = s.GetTransient()
			v.ts, _ = s.GetTxTimestamp()
			v.decorations = s.GetDecorations()
			v.sp, _ = s.GetSignedProposal()
			v.argsSlice, _ = s.GetArgsSlice()
			got <- v
			return Success(nil)
		}})
		h.handshake(nil)
		sp := proposal(t, common.HeaderType_ENDORSER_TRANSACTION)
		input := &peer.ChaincodeInput{Args: byteArgs("f", "a"), Decorations: map[string][]byte{"d": []byte("1")}}
		h.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_TRANSACTION, Payload: mustMarshal(t, input), Txid: "tx1", ChannelId: "ch", Proposal: sp})
		h.expectCompleted("ch", "tx1")
		v := <-got
		var epoch [8]byte
		binary.LittleEndian.PutUint64(epoch[:], 7)
		wantBinding := sha256.Sum256(append(append(append([]byte{}, nonce...), creator...), epoch[:]...))
		if string(v.creator) != string(creator) || string(v.binding) != string(wantBinding[:]) || string(v.transient["secret"]) != "s" ||
			!proto.Equal(v.ts, ts) || string(v.decorations["d"]) != "1" || !proto.Equal(v.sp, sp) || string(v.argsSlice) != "fa" {
			t.Errorf("got %+v", v)
		}
	})

	t.Run("a proposal of the wrong header type answers ERROR", func(t *testing.T) {
		h := newHarness(t, "mycc:1.0", &chaincodeFuncs{})
		h.handshake(nil)
		h.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_TRANSACTION, Payload: mustMarshal(t, &peer.ChaincodeInput{}), Txid: "tx1", ChannelId: "ch",
			Proposal: proposal(t, common.HeaderType_MESSAGE)})
		got := h.recv()
		if got.Type != peer.ChaincodeMessage_ERROR || !strings.Contains(string(got.Payload), "channel header type is MESSAGE") {
			t.Errorf("got %v", got)
		}
	})

	t.Run("without a proposal the timestamp is an error, not a panic", func(t *testing.T) {
		got := runStubCall(t, nil, func(s ChaincodeStubInterface) (any, error) { return s.GetTxTimestamp() }, nil)
		if !errContains(got.err, "without a signed proposal") {
			t.Errorf("got %v", got.err)
		}
	})
}
