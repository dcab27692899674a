package shim

import "github.com/hyperledger/fabric-protos-go-apiv2/peer"

// Status codes of a chaincode Response, the same values as Fabric's shim.
const (
	// OK is the status of a successful response.
	OK = 200

	// ERRORTHRESHOLD is the lowest status that is not endorsed.
	ERRORTHRESHOLD = 400

	// ERROR is the status of a failed response.
	ERROR = 500
)

// Success returns a response with status OK carrying payload.
func Success(payload []byte) *peer.Response {
	return &peer.Response{Status: OK, Payload: payload}
}

// Error returns a response with status ERROR carrying msg.
func Error(msg string) *peer.Response {
	return &peer.Response{Status: ERROR, Message: msg}
}
