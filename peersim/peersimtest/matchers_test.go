package peersimtest_test

import (
	"strings"
	"testing"

	. "github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func TestMatchers(t *testing.T) {
	t.Parallel()
	committed := &Result{
		TxID: "tx1", Status: 200, Payload: []byte(`{"a": 1, "b": [2]}`),
		Event:     &pb.ChaincodeEvent{EventName: "Created", Payload: []byte("x")},
		Committed: true, Code: pb.TxValidationCode_VALID,
	}
	failed := &Result{TxID: "tx2", Status: 500, Message: "asset 7 does not exist", Code: pb.TxValidationCode_NOT_VALIDATED}
	conflict := &Result{TxID: "tx3", Status: 200, Committed: true, Code: pb.TxValidationCode_MVCC_READ_CONFLICT}
	tests := []struct {
		name    string
		actual  *Result
		matcher types.GomegaMatcher
		want    bool
	}{
		{"HaveStatus matches the status", committed, HaveStatus(200), true},
		{"HaveStatus refuses another status", failed, HaveStatus(200), false},
		{"HaveStatus matches a message string", failed, HaveStatus(500, "asset 7 does not exist"), true},
		{"HaveStatus matches a message matcher", failed, HaveStatus(500, ContainSubstring("does not exist")), true},
		{"HaveStatus refuses another message", failed, HaveStatus(500, "other"), false},
		{"HavePayload matches a string", committed, HavePayload(`{"a": 1, "b": [2]}`), true},
		{"HavePayload matches bytes", committed, HavePayload([]byte(`{"a": 1, "b": [2]}`)), true},
		{"HavePayload matches a matcher on the text", committed, HavePayload(ContainSubstring(`"b"`)), true},
		{"HavePayload refuses another payload", committed, HavePayload("{}"), false},
		{"HaveJSONPayload ignores spacing and key order", committed, HaveJSONPayload(`{"b":[2],"a":1}`), true},
		{"HaveJSONPayload refuses other JSON", committed, HaveJSONPayload(`{"a":2,"b":[2]}`), false},
		{"HaveEvent matches the name", committed, HaveEvent("Created"), true},
		{"HaveEvent matches name and payload", committed, HaveEvent("Created", "x"), true},
		{"HaveEvent refuses another payload", committed, HaveEvent("Created", "y"), false},
		{"HaveEvent refuses another name", committed, HaveEvent("Deleted"), false},
		{"HaveEvent refuses a result without event", failed, HaveEvent("Created"), false},
		{"BeValid matches a VALID commit", committed, BeValid(), true},
		{"BeValid refuses an uncommitted result", failed, BeValid(), false},
		{"BeValid refuses an invalid commit", conflict, BeValid(), false},
		{"HaveValidationCode matches the code", conflict, HaveValidationCode(pb.TxValidationCode_MVCC_READ_CONFLICT), true},
		{"HaveValidationCode refuses an uncommitted result", failed, HaveValidationCode(pb.TxValidationCode_NOT_VALIDATED), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.matcher.Match(tc.actual)
			if err != nil || got != tc.want {
				t.Errorf("Match(%v) = %t, %v; want %t", tc.actual, got, err, tc.want)
			}
			msg := tc.matcher.FailureMessage(tc.actual)
			if tc.want {
				msg = tc.matcher.NegatedFailureMessage(tc.actual)
			}
			if !strings.Contains(msg, tc.actual.TxID) {
				t.Errorf("failure message %q does not show the result", msg)
			}
		})
	}
}

func TestMatchersRefuseWhatIsNotAResult(t *testing.T) {
	t.Parallel()
	for _, actual := range []any{nil, "text", (*Result)(nil), Result{}} {
		if _, err := BeValid().Match(actual); err == nil {
			t.Errorf("BeValid().Match(%#v): want an error", actual)
		}
	}
	if _, err := HavePayload(42).Match(&Result{}); err == nil {
		t.Error("HavePayload(42): want an error about the expectation's type")
	}
}

func TestMatchersOnALivePeer(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, cc := deployProbe(t)
	g.Expect(cc.Submit(t, "event", "Created", `{"id":1}`)).To(And(BeValid(), HaveEvent("Created", MatchJSON(`{"id": 1}`))))
	g.Expect(cc.Evaluate(t, "fail", "nope")).To(HaveStatus(500, "nope"))
	g.Expect(cc.Submit(t, "fail", "nope")).NotTo(BeValid())
}
