package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/determinism"
	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// items is a bundle of 26 items. A range over a map this size visits it
// in the same order twice about once in 20 runs, so a test that wants
// the two simulations to differ tries up to attempts times.
func items(t *testing.T) string {
	t.Helper()
	m := map[string]int{}
	for i := range 26 {
		m[string(rune('a'+i))+"-item"] = i + 1
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// attempts bounds the checks of a map-order bug: all of them agree by
// chance about once in 10^13 runs.
const attempts = 10

// firstMismatch checks tx up to attempts times and returns the first
// check whose simulations differed.
func firstMismatch(t *testing.T, tx peersimtest.Tx) *peersimtest.Determinism {
	t.Helper()
	for range attempts {
		if d := tx.CheckDeterminism(t); !d.Deterministic {
			return d
		}
	}
	t.Fatalf("%d checks of a map-order bug all agreed", attempts)
	return nil
}

func TestTheCheckNamesTheKeyAndValuesAMapOrderBugWrites(t *testing.T) {
	t.Parallel()
	cc := peersimtest.New(t).Deploy(t, "bundles", Bundles{})
	d := firstMismatch(t, cc.Tx("register", "bundle1", items(t)))
	if d.Status != 500 || d.Endorsed || d.Committed || !strings.HasPrefix(d.Message, determinism.Phrase+": transaction "+d.TxID) {
		t.Fatalf("got %v, want an unendorsed 500 starting %q", &d.Result, determinism.Phrase)
	}
	for _, want := range []string{
		"the two simulations differ in 1 place:",
		`1. write bundles key "bundle1": differs from byte `,
		"(250 and 250 bytes)",
		"first:  \"", "second: \"",
		"hint: map iteration",
	} {
		if !strings.Contains(d.Diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, d.Diff)
		}
	}
	// Both sides are whole manifests: the same items, in other orders.
	for _, side := range []string{"first:  ", "second: "} {
		line := d.Diff[strings.Index(d.Diff, side)+len(side):]
		line = line[:strings.IndexByte(line, '\n')]
		if !strings.Contains(line, "a-item=1") || !strings.Contains(line, "z-item=26") {
			t.Errorf("%s%s: want the whole manifest", side, line)
		}
	}
}

func TestTheCheckPassesTheFixedFunctions(t *testing.T) {
	t.Parallel()
	cc := peersimtest.New(t).Deploy(t, "bundles", Bundles{})
	for i := range attempts {
		d := cc.Tx("registerSorted", "bundle1", items(t)).CheckDeterminism(t)
		if !d.Deterministic || d.Status != 200 || !d.Endorsed || string(d.Payload) != "26" || d.Diff != "" {
			t.Fatalf("check %d of registerSorted: %v, diff %q; want an endorsed 26", i+1, &d.Result, d.Diff)
		}
	}
	if d := cc.Tx("stampTx", "s1").CheckDeterminism(t); !d.Deterministic || !d.Endorsed {
		t.Fatalf("stampTx: %v, diff %q", &d.Result, d.Diff)
	}
}

func TestTheCheckHintsAtTimeNow(t *testing.T) {
	t.Parallel()
	cc := peersimtest.New(t).Deploy(t, "bundles", Bundles{})
	d := cc.Tx("stamp", "s1").CheckDeterminism(t)
	if d.Deterministic {
		t.Fatalf("two calls of time.Now agreed: %v", &d.Result)
	}
	for _, want := range []string{`write bundles key "s1": differs from byte `, `response payload: differs from byte `, "hint: time: "} {
		if !strings.Contains(d.Diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, d.Diff)
		}
	}
}

func TestThePeerOptionChecksEverySubmit(t *testing.T) {
	t.Parallel()
	cc := peersimtest.New(t, peersimtest.WithDeterminismCheck()).Deploy(t, "bundles", Bundles{})
	r := cc.Submit(t, "stamp", "s1")
	if r.Status != 500 || r.Committed || !strings.HasPrefix(r.Message, determinism.Phrase) {
		t.Fatalf("stamp: %v, want refused with %q", r, determinism.Phrase)
	}
	if r := cc.Evaluate(t, "get", "s1"); r.Status != 500 || !strings.Contains(r.Message, `not found: "s1"`) {
		t.Errorf("get after a refused stamp: %v, want not found", r)
	}
	ok := cc.Submit(t, "registerSorted", "bundle1", items(t))
	if ok.Code != peer.TxValidationCode_VALID {
		t.Fatalf("registerSorted: %v", ok)
	}
	got := cc.Evaluate(t, "get", "bundle1")
	want := make([]string, 26)
	for i := range want {
		want[i] = fmt.Sprintf("%c-item=%d", 'a'+i, i+1)
	}
	if string(got.Payload) != strings.Join(want, ",") {
		t.Errorf("stored manifest %q, want %q", got.Payload, strings.Join(want, ","))
	}
}
