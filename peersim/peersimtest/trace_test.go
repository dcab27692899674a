package peersimtest_test

import (
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/chaincodekit/chaincodekit/shim"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func TestResultsCarryThePeersTrace(t *testing.T) {
	t.Parallel()
	p, cc := deployProbe(t)
	r := cc.Tx("putThenGet", "k", "v1").WithTransient("secret", []byte("s")).Submit(t)
	mustValid(t, r)
	tr := r.Trace
	if tr == nil {
		t.Fatal("no trace")
	}
	if tr.TxID != r.TxID || tr.Channel != "mychannel" || tr.Proposal.Function != "putThenGet" ||
		len(tr.Proposal.Args) != 2 || tr.Proposal.Args[1].Text != "v1" ||
		strings.Join(tr.Proposal.TransientKeys, ",") != "secret" || !strings.HasPrefix(tr.Proposal.Creator, "Org1MSP/") {
		t.Errorf("proposal %+v", tr.Proposal)
	}
	var types []string
	for _, m := range tr.Messages {
		types = append(types, m.Type)
	}
	if want := "TRANSACTION → COMPLETED,PUT_STATE,GET_STATE"; strings.Join(types, ",") != want {
		t.Errorf("messages %v, want %s", types, want)
	}
	if tr.Messages[1].Key != "k" {
		t.Errorf("PUT_STATE is about %q, want k", tr.Messages[1].Key)
	}
	if !tr.Endorsed || tr.Response.Status != 200 || tr.Response.Payload.Text != "" {
		t.Errorf("response %+v endorsed %v", tr.Response, tr.Endorsed)
	}
	var wrote bool
	for _, ns := range tr.RWSet {
		for _, w := range ns.Writes {
			wrote = wrote || ns.Namespace == "probe" && w.Key == "k" && w.Value.Text == "v1"
		}
	}
	if !wrote {
		t.Errorf("read-write set %+v, want the write of k", tr.RWSet)
	}
	if tr.Commit == nil || tr.Commit.Validation != "VALID" || tr.Commit.Block != r.BlockNumber {
		t.Errorf("commit %+v, want VALID in block %d", tr.Commit, r.BlockNumber)
	}

	// An invalidated transaction's trace says why.
	a := cc.Tx("incr", "n").Endorse(t)
	b := cc.Tx("incr", "n").Endorse(t)
	mustValid(t, a.Submit(t))
	lost := b.Submit(t)
	if lost.Code != pb.TxValidationCode_MVCC_READ_CONFLICT || lost.Trace.Commit == nil ||
		!strings.Contains(lost.Trace.Commit.Reason, `"n"`) {
		t.Errorf("the trace of the conflicting transaction: %+v, want MVCC_READ_CONFLICT naming key n", lost.Trace.Commit)
	}
	var out strings.Builder
	if err := lost.Trace.Render(&out); err != nil || !strings.Contains(out.String(), "MVCC_READ_CONFLICT") {
		t.Errorf("rendered trace (%v):\n%s", err, out.String())
	}
	if got, ok := p.Peer().Trace("", lost.TxID); !ok || got.TxID != lost.TxID {
		t.Error("the peer has no trace of the transaction")
	}
}

// logging logs through shim.Logger, then writes.
type logging struct{ probe }

func (logging) Invoke(stub shim.ChaincodeStubInterface) *pb.Response {
	_, args := stub.GetFunctionAndParameters()
	log := shim.Logger(stub).With("asset", args[0])
	log.Info("transferring", "to", args[1])
	if err := stub.PutState(args[0], []byte(args[1])); err != nil {
		return shim.Error(err.Error())
	}
	log.Warn("transferred")
	return shim.Success(nil)
}

func TestATraceHasTheLinesTheChaincodeLoggedThroughTheShim(t *testing.T) {
	t.Parallel()
	p := peersimtest.New(t)
	cc := p.Deploy(t, "logging", logging{})
	r := cc.Submit(t, "transfer", "car", "bob")
	mustValid(t, r)
	var lines []string
	for _, l := range r.Trace.Logs {
		if l.Stream != "shim" {
			t.Errorf("line %q on stream %q, want shim", l.Line, l.Stream)
		}
		lines = append(lines, l.Line)
	}
	want := []string{
		`level=INFO msg=transferring txid=` + r.TxID + ` channel=mychannel asset=car to=bob`,
		`level=WARN msg=transferred txid=` + r.TxID + ` channel=mychannel asset=car`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("logged lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	// Another transaction's trace has only its own lines.
	other := cc.Submit(t, "transfer", "bike", "ann")
	if len(other.Trace.Logs) != 2 || !strings.Contains(other.Trace.Logs[0].Line, "asset=bike") {
		t.Errorf("the second transaction's lines: %+v", other.Trace.Logs)
	}
}

// TestTraceOfALargeTransaction checks the trace of a transaction too large
// to keep undecoded until the trace is read, which the peer builds at once.
func TestTraceOfALargeTransaction(t *testing.T) {
	t.Parallel()
	_, cc := deployProbe(t)
	big := strings.Repeat("x", 20<<10)
	r := cc.Tx("putThenGet", "big", big).Submit(t)
	mustValid(t, r)
	tr := r.Trace
	if tr == nil {
		t.Fatal("no trace")
	}
	if tr.Proposal.Function != "putThenGet" || len(tr.Proposal.Args) != 2 ||
		tr.Proposal.Args[1].Size != len(big) || !tr.Proposal.Args[1].Truncated {
		t.Errorf("proposal %+v, want the large argument cut", tr.Proposal)
	}
	var wrote bool
	for _, ns := range tr.RWSet {
		for _, w := range ns.Writes {
			wrote = wrote || ns.Namespace == "probe" && w.Key == "big" && w.Value.Size == len(big)
		}
	}
	if !tr.Endorsed || !wrote {
		t.Errorf("endorsed %v, read-write set %+v; want the write of big", tr.Endorsed, tr.RWSet)
	}
}
