package shim

import "errors"

// Start connects the chaincode to its peer and serves it until the connection
// ends. Placeholder: the stream handler is being written (issue 2).
func Start(cc Chaincode) error {
	return errors.New("shim start: not implemented yet")
}
