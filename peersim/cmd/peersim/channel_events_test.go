package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/chaincodekit/chaincodekit/peersim/client"
)

const txid = "3c1f9a0e5b7d2c4f6a8e0b1d3f5a7c9e1b3d5f7a9c0e2b4d6f8a0c2e4b6d8f0a"

func TestTransactionLines(t *testing.T) {
	tests := []struct {
		name     string
		block    uint64
		index    int
		tx       *peer.FilteredTransaction
		wantText string
		wantJSON string
	}{
		{
			name:  "a valid endorser transaction",
			tx:    &peer.FilteredTransaction{Txid: txid, Type: common.HeaderType_ENDORSER_TRANSACTION, TxValidationCode: peer.TxValidationCode_VALID},
			block: 4, index: 0,
			wantText: "block 4 tx 0 " + txid + " VALID",
			wantJSON: `{"blockNumber":4,"txIndex":0,"transactionId":"` + txid + `","type":"ENDORSER_TRANSACTION","validationCode":"VALID"}`,
		},
		{
			name:  "an invalid transaction shows its code",
			tx:    &peer.FilteredTransaction{Txid: txid, Type: common.HeaderType_ENDORSER_TRANSACTION, TxValidationCode: peer.TxValidationCode_MVCC_READ_CONFLICT},
			block: 12, index: 3,
			wantText: "block 12 tx 3 " + txid + " MVCC_READ_CONFLICT",
			wantJSON: `{"blockNumber":12,"txIndex":3,"transactionId":"` + txid + `","type":"ENDORSER_TRANSACTION","validationCode":"MVCC_READ_CONFLICT"}`,
		},
		{
			name:  "another type of transaction is named, an empty txid is a dash",
			tx:    &peer.FilteredTransaction{Type: common.HeaderType_CONFIG, TxValidationCode: peer.TxValidationCode_VALID},
			block: 0, index: 0,
			wantText: "block 0 tx 0 - VALID CONFIG",
			wantJSON: `{"blockNumber":0,"txIndex":0,"transactionId":"","type":"CONFIG","validationCode":"VALID"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLine(t, txLineOf(tt.block, tt.index, tt.tx), tt.wantText, tt.wantJSON)
		})
	}
}

func TestEventLines(t *testing.T) {
	event := func(name string, payload []byte) *client.ChaincodeEvent {
		return &client.ChaincodeEvent{BlockNumber: 7, TxIndex: 1, TxID: txid, ChaincodeName: "basic", EventName: name, Payload: payload}
	}
	const prefix = "block 7 tx 1 " + txid + " "
	const jsonPrefix = `{"blockNumber":7,"txIndex":1,"transactionId":"` + txid + `","chaincodeName":"basic",`
	tests := []struct {
		name     string
		event    *client.ChaincodeEvent
		wantText string
		wantJSON string
	}{
		{
			name:     "a JSON payload is printed as it is",
			event:    event("created", []byte(`{"id":"a1","owner":"Zoë"}`)),
			wantText: prefix + `created {"id":"a1","owner":"Zoë"}`,
			wantJSON: jsonPrefix + `"eventName":"created","payload":"eyJpZCI6ImExIiwib3duZXIiOiJab8OrIn0="}`,
		},
		{
			name:     "a binary payload is base64",
			event:    event("raw", []byte{0x00, 0xff, 0x10}),
			wantText: prefix + "raw base64:AP8Q",
			wantJSON: jsonPrefix + `"eventName":"raw","payload":"AP8Q"}`,
		},
		{
			name:     "text with a newline is base64, so the event keeps to one line",
			event:    event("note", []byte("two\nlines")),
			wantText: prefix + "note base64:dHdvCmxpbmVz",
			wantJSON: jsonPrefix + `"eventName":"note","payload":"dHdvCmxpbmVz"}`,
		},
		{
			name:     "an empty payload prints nothing after the name",
			event:    event("ping", nil),
			wantText: prefix + "ping",
			wantJSON: jsonPrefix + `"eventName":"ping","payload":null}`,
		},
		{
			name:     "a name with a space is quoted",
			event:    event("asset moved", []byte("a1")),
			wantText: prefix + `"asset moved" a1`,
			wantJSON: jsonPrefix + `"eventName":"asset moved","payload":"YTE="}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLine(t, eventLineOf(tt.event), tt.wantText, tt.wantJSON)
		})
	}
}

func checkLine(t *testing.T, l line, wantText, wantJSON string) {
	t.Helper()
	for _, c := range []struct {
		asJSON bool
		want   string
	}{{false, wantText}, {true, wantJSON}} {
		var b bytes.Buffer
		if err := printLine(&b, c.asJSON, l); err != nil {
			t.Fatalf("printLine: %v", err)
		}
		if got := b.String(); got != c.want+"\n" {
			t.Errorf("printLine(json=%v) =\n%q\nwant\n%q", c.asJSON, got, c.want+"\n")
		}
		if strings.Count(b.String(), "\n") != 1 {
			t.Errorf("printLine(json=%v) printed more than one line: %q", c.asJSON, b.String())
		}
	}
}
