package shim

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// errStreamEnded is wrapped by every stub call that could not complete
// because the stream to the peer has ended.
var errStreamEnded = errors.New("chaincode stream to the peer has ended")

// errNoMoreResults is returned by Next on an exhausted iterator. Its text
// starts as Fabric's does.
var errNoMoreResults = errors.New("no such key: the iterator has no more results (check HasNext before Next)")

// errNoCollection is returned by the private-data calls given collection "",
// with Fabric's text.
var errNoCollection = errors.New("collection must not be an empty string")

// peerError is an ERROR reply of the peer to a stub request. Its text is
// exactly the peer's, as with Fabric's shim, so that chaincode matching on
// it keeps working.
type peerError struct {
	text string
}

// Error returns the peer's text unchanged.
func (e *peerError) Error() string { return e.text }

// checkUTF8 returns an error when value, the named string argument of a stub
// call, is not valid UTF-8. Protobuf refuses to marshal such strings; Fabric's
// shim panics on them, this one returns an error before anything is sent.
func checkUTF8(what, value string) error {
	if utf8.ValidString(value) {
		return nil
	}
	return fmt.Errorf("%s %q is not valid UTF-8: keys, collections, queries and names travel as protobuf strings, which must be UTF-8 (encode binary data, e.g. as hex, first)", what, value)
}

// checkUTF8All is checkUTF8 for several values of the same kind.
func checkUTF8All(what string, values []string) error {
	for _, v := range values {
		if err := checkUTF8(what, v); err != nil {
			return err
		}
	}
	return nil
}
