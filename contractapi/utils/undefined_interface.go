// Package utils holds small values shared between a contract and the contract API.
package utils

// UndefinedInterface is the type an after-transaction hook receives, as a nil
// *UndefinedInterface, when the transaction function it follows returned no
// value. A hook tells "no value" apart from a nil result with a type assertion
// on this type.
type UndefinedInterface struct{}
