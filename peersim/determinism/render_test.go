package determinism

import (
	"context"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"google.golang.org/grpc/metadata"
)

func TestReportString(t *testing.T) {
	long := func(mid string) string { return strings.Repeat("a", 200) + mid + strings.Repeat("z", 200) }
	for _, tc := range []struct {
		name          string
		first, second Simulation
		want          []string
		notWant       []string
	}{
		{
			name:   "agreeing simulations say so",
			first:  Simulation{Response: ok("x")},
			second: Simulation{Response: ok("x")},
			want:   []string{"the two simulations agree"},
		},
		{
			name:   "a write names the namespace, the key, both values, the byte and the hint",
			first:  Simulation{Response: ok(""), RWSet: rw(t, "bundles", &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{write("b1", "x=1,y=2")}})},
			second: Simulation{Response: ok(""), RWSet: rw(t, "bundles", &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{write("b1", "y=2,x=1")}})},
			want: []string{
				"the two simulations differ in 1 place:",
				`1. write bundles key "b1": differs from byte 0 (7 and 7 bytes)`,
				`first:  "x=1,y=2"`, `second: "y=2,x=1"`, "hint: map iteration",
			},
		},
		{
			name:    "a long value is cut around the first differing byte",
			first:   Simulation{Response: ok(long("1"))},
			second:  Simulation{Response: ok(long("2"))},
			want:    []string{"differs from byte 200 (401 and 401 bytes)", `…(136 bytes) "` + strings.Repeat("a", 64) + "1", "…(9 more bytes)"},
			notWant: []string{strings.Repeat("a", 65)},
		},
		{
			name:   "a value that is not UTF-8 is shown in hex",
			first:  Simulation{Response: ok("\xff\x01")},
			second: Simulation{Response: ok("\xff\x02")},
			want:   []string{"first:  0xff01", "second: 0xff02"},
		},
		{
			name:   "an inconclusive report says the state changed",
			first:  Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{Reads: []*kvrwset.KVRead{read("a", 1)}})},
			second: Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{Reads: []*kvrwset.KVRead{read("a", 2)}})},
			want:   []string{"the state changed between the two simulations", `cc "a": 1:0 then 2:0`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Compare(tc.first, tc.second)
			if err != nil {
				t.Fatalf("Compare: %v", err)
			}
			got := r.String()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("report lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("report has %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestMismatchErrorStartsWithThePhrase(t *testing.T) {
	r, err := Compare(Simulation{Response: ok("1")}, Simulation{Response: ok("2")})
	if err != nil {
		t.Fatal(err)
	}
	msg := (&MismatchError{TxID: "tx1", Chaincode: "cc", Report: r}).Error()
	if !strings.HasPrefix(msg, Phrase+": transaction tx1 of chaincode cc") || !strings.Contains(msg, "ProposalResponsePayloads do not match") || !strings.Contains(msg, "response payload") {
		t.Errorf("message = %q", msg)
	}
}

func TestRequestedReadsTheHeaderRequestSets(t *testing.T) {
	for _, tc := range []struct {
		name string
		md   metadata.MD
		want bool
	}{
		{"a call without metadata", nil, false},
		{"a call with the header", metadata.Pairs(Header, "true"), true},
		{"a call with another value", metadata.Pairs(Header, "yes"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.md != nil {
				ctx = metadata.NewIncomingContext(ctx, tc.md)
			}
			if got := Requested(ctx); got != tc.want {
				t.Errorf("Requested = %v, want %v", got, tc.want)
			}
		})
	}
	out, _ := metadata.FromOutgoingContext(Request(context.Background()))
	if got := out.Get(Header); len(got) != 1 || got[0] != "true" {
		t.Errorf("Request set %s = %q, want [true]", Header, got)
	}
}
