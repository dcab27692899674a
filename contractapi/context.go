package contractapi

import (
	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/chaincodekit/chaincodekit/shim/cid"
)

// TransactionContextInterface is what a transaction function may take as its
// first parameter to reach the stub and the submitter.
type TransactionContextInterface interface {
	// GetStub returns the stub of the running transaction.
	GetStub() shim.ChaincodeStubInterface
	// GetClientIdentity returns the transaction's submitter. It is never nil:
	// when the creator cannot be read its methods return the reason.
	GetClientIdentity() cid.ClientIdentity
}

// SettableTransactionContextInterface is what a custom transaction context
// type must implement so the chaincode can fill it for each transaction.
type SettableTransactionContextInterface interface {
	// SetStub stores the stub of the transaction.
	SetStub(shim.ChaincodeStubInterface)
	// SetClientIdentity stores the submitter of the transaction.
	SetClientIdentity(ci cid.ClientIdentity)
}

// TransactionContext is the default transaction context. Custom contexts
// embed it and add their own methods.
type TransactionContext struct {
	stub           shim.ChaincodeStubInterface
	clientIdentity cid.ClientIdentity
}

// SetStub stores stub.
func (ctx *TransactionContext) SetStub(stub shim.ChaincodeStubInterface) { ctx.stub = stub }

// SetClientIdentity stores ci.
func (ctx *TransactionContext) SetClientIdentity(ci cid.ClientIdentity) { ctx.clientIdentity = ci }

// GetStub returns the stored stub.
func (ctx *TransactionContext) GetStub() shim.ChaincodeStubInterface { return ctx.stub }

// GetClientIdentity returns the stored client identity.
func (ctx *TransactionContext) GetClientIdentity() cid.ClientIdentity { return ctx.clientIdentity }
