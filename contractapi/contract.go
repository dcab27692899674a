package contractapi

import "github.com/chaincodekit/chaincodekit/contractapi/metadata"

// ContractInterface is what NewChaincode needs from a contract. Embedding
// Contract provides all of it; the exported methods of the contract's
// pointer type, other than these, become its transaction functions.
type ContractInterface interface {
	// GetInfo returns the contract's info for the metadata.
	GetInfo() metadata.InfoMetadata
	// GetUnknownTransaction returns the function called when the requested
	// function does not exist, or nil to answer with an error.
	GetUnknownTransaction() interface{}
	// GetBeforeTransaction returns the function called before every
	// transaction function of the contract, or nil.
	GetBeforeTransaction() interface{}
	// GetAfterTransaction returns the function called after every successful
	// transaction function of the contract, or nil.
	GetAfterTransaction() interface{}
	// GetName returns the contract's name; empty means the name of its type.
	GetName() string
	// GetTransactionContextHandler returns a value of the context type its
	// functions take; a fresh one of that type is made for each transaction.
	GetTransactionContextHandler() SettableTransactionContextInterface
}

// IgnoreContractInterface lets a contract keep exported methods out of its
// transaction functions.
type IgnoreContractInterface interface {
	// GetIgnoredFunctions returns the method names that are not transactions.
	GetIgnoredFunctions() []string
}

// EvaluationContractInterface lets a contract mark functions as evaluate
// (query) transactions in the metadata; all others are submit transactions.
type EvaluationContractInterface interface {
	// GetEvaluateTransactions returns the method names tagged "evaluate".
	GetEvaluateTransactions() []string
}

// Contract is the default ContractInterface implementation, meant to be
// embedded in a contract struct and configured through its fields.
type Contract struct {
	Name                      string
	Info                      metadata.InfoMetadata
	UnknownTransaction        interface{}
	BeforeTransaction         interface{}
	AfterTransaction          interface{}
	TransactionContextHandler SettableTransactionContextInterface
}

// GetInfo returns c.Info.
func (c *Contract) GetInfo() metadata.InfoMetadata { return c.Info }

// GetUnknownTransaction returns c.UnknownTransaction.
func (c *Contract) GetUnknownTransaction() interface{} { return c.UnknownTransaction }

// GetBeforeTransaction returns c.BeforeTransaction.
func (c *Contract) GetBeforeTransaction() interface{} { return c.BeforeTransaction }

// GetAfterTransaction returns c.AfterTransaction.
func (c *Contract) GetAfterTransaction() interface{} { return c.AfterTransaction }

// GetName returns c.Name.
func (c *Contract) GetName() string { return c.Name }

// GetTransactionContextHandler returns c.TransactionContextHandler, or a
// *TransactionContext when it is nil.
func (c *Contract) GetTransactionContextHandler() SettableTransactionContextInterface {
	if c.TransactionContextHandler == nil {
		return new(TransactionContext)
	}
	return c.TransactionContextHandler
}
