package shim

import (
	"fmt"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func TestMSPIDLookupOrder(t *testing.T) {
	t.Parallel()
	noEnv := func(string) (string, bool) { return "", false }
	envSays := func(v string) func(string) (string, bool) {
		return func(k string) (string, bool) { return v, k == "CORE_PEER_LOCALMSPID" }
	}
	for _, tc := range []struct {
		name    string
		conns   []string // MSP IDs announced by live connections
		inTx    string   // the calling goroutine runs a transaction of this MSP's peer
		env     func(string) (string, bool)
		want    string
		wantErr string
	}{
		{name: "nothing known", env: noEnv, wantErr: "CORE_PEER_LOCALMSPID is not set: the peer sets it"},
		{name: "empty variable is unset", env: envSays(""), wantErr: "CORE_PEER_LOCALMSPID is not set"},
		{name: "the variable, as Fabric's shim", env: envSays("Org1MSP"), want: "Org1MSP"},
		{name: "the transaction's peer wins over the variable", conns: []string{"Org2MSP"}, inTx: "Org2MSP", env: envSays("Org1MSP"), want: "Org2MSP"},
		{name: "the transaction's peer among several", conns: []string{"Org1MSP", "Org2MSP"}, inTx: "Org2MSP", env: noEnv, want: "Org2MSP"},
		{name: "the variable wins outside a transaction", conns: []string{"Org2MSP"}, env: envSays("Org1MSP"), want: "Org1MSP"},
		{name: "connections that agree", conns: []string{"Org1MSP", "Org1MSP"}, env: noEnv, want: "Org1MSP"},
		{name: "connections that disagree", conns: []string{"Org2MSP", "Org1MSP"}, env: noEnv,
			wantErr: "this process serves peers of several MSPs (Org1MSP, Org2MSP): call GetMSPID from the goroutine that runs Init or Invoke"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			table := newMSPIDTable()
			for _, id := range tc.conns {
				table.connected(&handler{}, id)
			}
			if tc.inTx != "" {
				defer table.running(tc.inTx)()
			}
			got, err := table.lookup(tc.env)
			if tc.wantErr != "" {
				if !errContains(err, tc.wantErr) {
					t.Fatalf("lookup = %q, %v; want error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("lookup = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestMSPIDTableForgetsEndedTransactionsAndConnections(t *testing.T) {
	t.Parallel()
	noEnv := func(string) (string, bool) { return "", false }
	table := newMSPIDTable()
	h := &handler{}
	table.connected(h, "Org1MSP")
	table.running("Org2MSP")()
	if got, err := table.lookup(noEnv); got != "Org1MSP" || err != nil {
		t.Errorf("after the transaction ended: %q, %v; want the connection's Org1MSP", got, err)
	}
	table.disconnected(h)
	if _, err := table.lookup(noEnv); err == nil {
		t.Errorf("after the connection ended: no error")
	}
	if n := len(table.conns) + len(table.goroutines); n != 0 {
		t.Errorf("%d entries left in the table", n)
	}
}

// mspReport is a chaincode whose Invoke answers "tx=<GetMSPID in Invoke>
// child=<GetMSPID in a goroutine Invoke starts>", errors shown as ERR(...).
func mspReport() Chaincode {
	ask := func() string {
		id, err := GetMSPID()
		if err != nil {
			return fmt.Sprintf("ERR(%v)", err)
		}
		return id
	}
	return &chaincodeFuncs{invoke: func(ChaincodeStubInterface) *peer.Response {
		child := make(chan string)
		go func() { child <- ask() }()
		return Success(fmt.Appendf(nil, "tx=%s child=%s", ask(), <-child))
	}}
}

// TestGetMSPIDPerConnection runs two connections whose peers announce
// different MSP IDs in REGISTERED, as peersim's do, and one whose peer
// announces none, as a Fabric peer.
func TestGetMSPIDPerConnection(t *testing.T) {
	t.Setenv("CORE_PEER_LOCALMSPID", "") // as a test kit process: nothing set
	org1 := newHarness(t, "cc1:1.0", mspReport())
	org1.handshakeWith(mustMarshal(t, &msp.SerializedIdentity{Mspid: "Org1MSP"}), nil)
	org2 := newHarness(t, "cc2:1.0", mspReport())
	org2.handshakeWith(mustMarshal(t, &msp.SerializedIdentity{Mspid: "Org2MSP"}), nil)
	fabric := newHarness(t, "cc3:1.0", mspReport())
	fabric.handshake(nil)

	for _, tc := range []struct {
		h    *harness
		want string
	}{
		{org1, "tx=Org1MSP child=ERR(CORE_PEER_LOCALMSPID is not set and this process serves peers of several MSPs (Org1MSP, Org2MSP): call GetMSPID from the goroutine that runs Init or Invoke, where it answers for that transaction's peer)"},
		{org2, "tx=Org2MSP child=ERR(CORE_PEER_LOCALMSPID is not set and this process serves peers of several MSPs (Org1MSP, Org2MSP): call GetMSPID from the goroutine that runs Init or Invoke, where it answers for that transaction's peer)"},
		{fabric, "tx=ERR(CORE_PEER_LOCALMSPID is not set and this process serves peers of several MSPs (Org1MSP, Org2MSP): call GetMSPID from the goroutine that runs Init or Invoke, where it answers for that transaction's peer) child=ERR(CORE_PEER_LOCALMSPID is not set and this process serves peers of several MSPs (Org1MSP, Org2MSP): call GetMSPID from the goroutine that runs Init or Invoke, where it answers for that transaction's peer)"},
	} {
		tc.h.transaction(false, "ch", "tx-"+tc.h.name)
		res, _ := tc.h.expectCompleted("ch", "tx-"+tc.h.name)
		if string(res.Payload) != tc.want {
			t.Errorf("%s answered\n  %s\nwant\n  %s", tc.h.name, res.Payload, tc.want)
		}
	}

	// With org2 gone, the process's connections agree again, and a Fabric
	// peer's chaincode with the variable set reads it, as with Fabric's shim.
	org2.end(nil) // returns once org2's shim has returned
	org1.transaction(false, "ch", "tx-2")
	if res, _ := org1.expectCompleted("ch", "tx-2"); string(res.Payload) != "tx=Org1MSP child=Org1MSP" {
		t.Errorf("with one MSP left: %s", res.Payload)
	}
	t.Setenv("CORE_PEER_LOCALMSPID", "Org9MSP")
	fabric.transaction(false, "ch", "tx-3")
	if res, _ := fabric.expectCompleted("ch", "tx-3"); string(res.Payload) != "tx=Org9MSP child=Org9MSP" {
		t.Errorf("with CORE_PEER_LOCALMSPID set: %s", res.Payload)
	}
}

func TestAnnouncedMSPID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		payload []byte
		want    string
		wantErr bool
	}{
		{"empty, as from a Fabric peer", nil, "", false},
		{"a serialized identity", mustMarshal(t, &msp.SerializedIdentity{Mspid: "Org1MSP"}), "Org1MSP", false},
		{"not a protobuf", []byte{0xff, 0xff}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := announcedMSPID(tc.payload)
			if got != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("announcedMSPID = %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
