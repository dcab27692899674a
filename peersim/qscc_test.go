package peersim

import (
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

func TestQSCC(t *testing.T) {
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "mycc", "1.0")
	n.startCC(t, "mycc:1.0", newTestCC())
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
	resp, prop, _ := n.propose(t, n.user, invocation(DefaultChannel, "mycc", "put", "k", "v"))
	if code := n.submit(t, n.user, DefaultChannel, prop, resp)[0]; code != peer.TxValidationCode_VALID {
		t.Fatalf("put committed with %s", code)
	}
	putTx := txIDOf(t, prop)
	l, err := n.p.chans.Ledger(DefaultChannel)
	if err != nil {
		t.Fatal(err)
	}
	height := l.Height()
	if height < 2 {
		t.Fatalf("height %d after instantiate and one invoke, want at least 2", height)
	}

	tests := []struct {
		name        string
		args        []string
		wantMessage string // for a failure; "" for success
		check       func(t *testing.T, payload []byte)
	}{
		{name: "GetChainInfo reports the height", args: []string{"GetChainInfo", DefaultChannel}, check: func(t *testing.T, payload []byte) {
			info := &common.BlockchainInfo{}
			if err := proto.Unmarshal(payload, info); err != nil {
				t.Fatal(err)
			}
			if info.GetHeight() != height || len(info.GetCurrentBlockHash()) == 0 {
				t.Errorf("chain info %v, want height %d and the current block's hash", info, height)
			}
		}},
		{name: "GetBlockByNumber returns that block", args: []string{"GetBlockByNumber", DefaultChannel, "1"}, check: func(t *testing.T, payload []byte) {
			b := &common.Block{}
			if err := proto.Unmarshal(payload, b); err != nil {
				t.Fatal(err)
			}
			if b.GetHeader().GetNumber() != 1 || len(b.GetData().GetData()) == 0 {
				t.Errorf("block %d with %d transactions, want block 1 with some", b.GetHeader().GetNumber(), len(b.GetData().GetData()))
			}
		}},
		{name: "GetTransactionByID returns the envelope and its code", args: []string{"GetTransactionByID", DefaultChannel, putTx}, check: func(t *testing.T, payload []byte) {
			pt := &peer.ProcessedTransaction{}
			if err := proto.Unmarshal(payload, pt); err != nil {
				t.Fatal(err)
			}
			if pt.GetValidationCode() != int32(peer.TxValidationCode_VALID) || pt.GetTransactionEnvelope() == nil {
				t.Errorf("processed transaction %v, want the VALID envelope", pt)
			}
		}},
		{name: "an unknown channel is named", args: []string{"GetChainInfo", "nochannel"}, wantMessage: "failed to find ledger for channel: nochannel"},
		{name: "a block number that is not a number is refused", args: []string{"GetBlockByNumber", DefaultChannel, "one"}, wantMessage: `failed to parse block number "one"`},
		{name: "a block beyond the height is an error", args: []string{"GetBlockByNumber", DefaultChannel, "999"}, wantMessage: "failed to get block number 999"},
		{name: "an unknown txid is an error", args: []string{"GetTransactionByID", DefaultChannel, "nope"}, wantMessage: "failed to get transaction with id nope"},
		{name: "an unknown function lists the known ones", args: []string{"Nope", DefaultChannel}, wantMessage: "qscc knows GetChainInfo, GetBlockByNumber and GetTransactionByID"},
		{name: "a missing channel says what qscc takes", args: []string{"GetChainInfo"}, wantMessage: "qscc takes a function and a channel name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := n.propose1(t, invocation("", qsccName, tt.args...))
			if tt.wantMessage != "" {
				if r.GetStatus() != 500 || !strings.Contains(r.GetMessage(), tt.wantMessage) {
					t.Errorf("got %d %q, want 500 with a message containing %q", r.GetStatus(), r.GetMessage(), tt.wantMessage)
				}
				return
			}
			if r.GetStatus() != 200 {
				t.Fatalf("got %d %q, want 200", r.GetStatus(), r.GetMessage())
			}
			tt.check(t, r.GetPayload())
		})
	}
}
