package contractapi

import "github.com/chaincodekit/chaincodekit/shim"

// StatusError is an error a transaction function returns to choose the status
// and payload of the error response, for example 404 with a JSON body. It is
// found with errors.As anywhere in the returned error's chain.
type StatusError struct {
	// Status is the response status; values below 400 (which the peer would
	// take for success) are sent as 500.
	Status int32
	// Message is the error message.
	Message string
	// Payload is sent as the response payload.
	Payload []byte
}

// NewError returns a StatusError with the given status, message and payload.
func NewError(status int32, message string, payload []byte) *StatusError {
	return &StatusError{Status: status, Message: message, Payload: payload}
}

// Error returns the message.
func (e *StatusError) Error() string { return e.Message }

// responseStatus is the status the error response carries.
func (e *StatusError) responseStatus() int32 {
	if e.Status < shim.ERRORTHRESHOLD {
		return shim.ERROR
	}
	return e.Status
}
