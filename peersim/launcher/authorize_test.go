//go:build unix

package launcher

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestAuthorizeWithTLS(t *testing.T) {
	sink := newLogSink()
	ca := newRecordingCA(t)
	r := newRunner(t, sink, func(c *Config) {
		c.TLS, c.CA = true, ca
		helperMode("env")(c)
	})
	a := launch(t, r, "a:1", helperPackage(t, r, "a_1"))
	launch(t, r, "b:1", helperPackage(t, r, "b_1"))
	aHash := ca.last("a:1").Hash()
	bHash := ca.last("b:1").Hash()
	// A certificate from the right CA with the right name, but not issued
	// for a launch: what a rogue process could obtain at best.
	rogue, err := ca.ChaincodeCA.IssueClient("a:1")
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name    string
		ccid    string
		hash    []byte
		wantErr string
	}{
		{"a connection without a certificate is refused", "a:1", nil, "TLS is active but chaincode a:1 didn't send certificate"},
		{"a certificate not issued for a launch is refused", "a:1", rogue.Hash(), fmt.Sprintf("chaincode a:1 with given certificate hash %x not found in registry", rogue.Hash())},
		{"another chaincode's certificate is refused", "a:1", bHash, fmt.Sprintf("chaincode a:1 with given certificate hash %x belongs to a different chaincode", bHash)},
		{"the launch's own certificate is accepted", "a:1", aHash, ""},
		{"the same certificate cannot register twice", "a:1", aHash, "has already registered"},
		{"the other launch registers with its own certificate", "b:1", bHash, ""},
	}
	for _, s := range steps {
		err := r.Authorize(s.ccid, s.hash)
		checkAuthErr(t, s.name, err, s.wantErr)
	}

	if err := a.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitDone(t, a)
	checkAuthErr(t, "the certificate of an exited launch is refused", r.Authorize("a:1", aHash), "not found in registry")
}

func TestAuthorizeWithoutTLS(t *testing.T) {
	sink := newLogSink()
	r := newRunner(t, sink, helperMode("env"))
	sink.wait(t, "chaincode TLS is off")
	a := launch(t, r, "a:1", helperPackage(t, r, "a_1"))

	steps := []struct {
		name    string
		ccid    string
		wantErr string
	}{
		{"an id the peer is not launching is refused", "other:1", "peer will not accept external chaincode connection other:1 (except in dev mode)"},
		{"an id with a launch in progress is accepted", "a:1", ""},
		{"a rogue process with the same id after registration is refused", "a:1", "has already registered"},
	}
	for _, s := range steps {
		checkAuthErr(t, s.name, r.Authorize(s.ccid, nil), s.wantErr)
	}
	if err := a.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitDone(t, a)
	checkAuthErr(t, "an id whose process exited is refused", r.Authorize("a:1", nil), "this peer is not launching it")
}

func checkAuthErr(t *testing.T, name string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: Authorize = %v, want accepted", name, err)
	case want != "" && err == nil:
		t.Errorf("%s: Authorize accepted, want %q", name, want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("%s: Authorize = %q, want it to contain %q", name, err, want)
	case want != "" && !errors.Is(err, ErrUnauthorized):
		t.Errorf("%s: %v does not wrap ErrUnauthorized", name, err)
	}
}
