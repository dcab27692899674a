package peersimtest

import (
	"bytes"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
)

// resultMatcher is a Gomega matcher over *Result.
type resultMatcher struct {
	desc  string
	match func(*Result) (bool, error)
}

func (m resultMatcher) Match(actual any) (bool, error) {
	r, ok := actual.(*Result)
	if !ok || r == nil {
		return false, fmt.Errorf("%s expects a non-nil *peersimtest.Result, got %T", m.desc, actual)
	}
	return m.match(r)
}

func (m resultMatcher) FailureMessage(actual any) string {
	return fmt.Sprintf("Expected\n\t%v\nto %s", actual, m.desc)
}

func (m resultMatcher) NegatedFailureMessage(actual any) string {
	return fmt.Sprintf("Expected\n\t%v\nnot to %s", actual, m.desc)
}

// HaveStatus matches a Result whose response status is status and, when
// given, whose message matches message (a string for equality, or a
// Gomega matcher such as ContainSubstring).
func HaveStatus(status int32, message ...any) types.GomegaMatcher {
	desc := fmt.Sprintf("have status %d", status)
	var msg types.GomegaMatcher
	if len(message) > 0 {
		msg = stringMatcher(message[0])
		desc += fmt.Sprintf(" and a message that matches %v", message[0])
	}
	return resultMatcher{desc: desc, match: func(r *Result) (bool, error) {
		if r.Status != status {
			return false, nil
		}
		if msg == nil {
			return true, nil
		}
		return msg.Match(r.Message)
	}}
}

// HavePayload matches a Result whose payload equals expected (a string or
// []byte) or, given a Gomega matcher, whose payload as a string matches it.
func HavePayload(expected any) types.GomegaMatcher {
	return resultMatcher{desc: fmt.Sprintf("have a payload that matches %v", printable(expected)), match: func(r *Result) (bool, error) {
		return payloadMatches(r.Payload, expected)
	}}
}

// HaveJSONPayload matches a Result whose payload is JSON equivalent to
// expected (a string, []byte or a value to marshal), as Gomega's MatchJSON.
func HaveJSONPayload(expected any) types.GomegaMatcher {
	m := gomega.MatchJSON(expected)
	return resultMatcher{desc: fmt.Sprintf("have a JSON payload equivalent to %s", printable(expected)), match: func(r *Result) (bool, error) {
		return m.Match(r.Payload)
	}}
}

// HaveEvent matches a Result carrying a chaincode event named name and,
// when given, whose payload matches payload (as HavePayload).
func HaveEvent(name string, payload ...any) types.GomegaMatcher {
	desc := fmt.Sprintf("have the chaincode event %q", name)
	if len(payload) > 0 {
		desc += fmt.Sprintf(" with a payload that matches %v", printable(payload[0]))
	}
	return resultMatcher{desc: desc, match: func(r *Result) (bool, error) {
		if r.Event == nil || r.Event.GetEventName() != name {
			return false, nil
		}
		if len(payload) == 0 {
			return true, nil
		}
		return payloadMatches(r.Event.GetPayload(), payload[0])
	}}
}

// HaveValidationCode matches a committed Result with validation code
// code, e.g. peer.TxValidationCode_MVCC_READ_CONFLICT.
func HaveValidationCode(code peer.TxValidationCode) types.GomegaMatcher {
	return resultMatcher{desc: fmt.Sprintf("be committed with validation code %s", code), match: func(r *Result) (bool, error) {
		return r.Committed && r.Code == code, nil
	}}
}

// BeValid matches a Result that was committed VALID.
func BeValid() types.GomegaMatcher {
	return HaveValidationCode(peer.TxValidationCode_VALID)
}

func payloadMatches(got []byte, expected any) (bool, error) {
	switch e := expected.(type) {
	case string:
		return string(got) == e, nil
	case []byte:
		return bytes.Equal(got, e), nil
	case types.GomegaMatcher:
		return e.Match(string(got))
	}
	return false, fmt.Errorf("payload expectation must be a string, []byte or Gomega matcher, got %T", expected)
}

func stringMatcher(expected any) types.GomegaMatcher {
	if m, ok := expected.(types.GomegaMatcher); ok {
		return m
	}
	return gomega.Equal(expected)
}

func printable(v any) any {
	if b, ok := v.([]byte); ok {
		return fmt.Sprintf("%q", b)
	}
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return v
}
