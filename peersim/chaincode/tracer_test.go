package chaincode

import (
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

func TestSubjectNamesWhatARequestIsAbout(t *testing.T) {
	tests := []struct {
		name      string
		typ       peer.ChaincodeMessage_Type
		payload   proto.Message
		coll, key string
	}{
		{"a public read", peer.ChaincodeMessage_GET_STATE, &peer.GetState{Key: "a"}, "", "a"},
		{"a private write", peer.ChaincodeMessage_PUT_STATE, &peer.PutState{Collection: "secret", Key: "k"}, "secret", "k"},
		{"a private hash", peer.ChaincodeMessage_GET_PRIVATE_DATA_HASH, &peer.GetState{Collection: "c", Key: "h"}, "c", "h"},
		{"a purge", peer.ChaincodeMessage_PURGE_PRIVATE_DATA, &peer.DelState{Collection: "c", Key: "p"}, "c", "p"},
		{"a range: its start key", peer.ChaincodeMessage_GET_STATE_BY_RANGE, &peer.GetStateByRange{StartKey: "a", EndKey: "z"}, "", "a"},
		{"a rich query: the query", peer.ChaincodeMessage_GET_QUERY_RESULT, &peer.GetQueryResult{Query: `{"selector":{}}`}, "", `{"selector":{}}`},
		{"a history", peer.ChaincodeMessage_GET_HISTORY_FOR_KEY, &peer.GetHistoryForKey{Key: "h"}, "", "h"},
		{"a chaincode call: the callee", peer.ChaincodeMessage_INVOKE_CHAINCODE, &peer.ChaincodeSpec{ChaincodeId: &peer.ChaincodeID{Name: "other"}}, "", "other"},
		{"a request about no key", peer.ChaincodeMessage_QUERY_STATE_NEXT, &peer.QueryStateNext{Id: "1"}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := proto.Marshal(tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			coll, key := subject(&peer.ChaincodeMessage{Type: tc.typ, Payload: b})
			if coll != tc.coll || key != tc.key {
				t.Errorf("subject = %q, %q; want %q, %q", coll, key, tc.coll, tc.key)
			}
		})
	}
	if coll, key := subject(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_GET_STATE, Payload: []byte{0xff}}); coll != "" || key != "" {
		t.Errorf("a payload that does not decode names %q, %q", coll, key)
	}
}
