package contractapi

import (
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/contractapi/metadata"
)

// valueContract implements ContractInterface on its value type.
type valueContract struct{}

func (valueContract) GetInfo() metadata.InfoMetadata                                    { return metadata.InfoMetadata{} }
func (valueContract) GetUnknownTransaction() interface{}                                { return nil }
func (valueContract) GetBeforeTransaction() interface{}                                 { return nil }
func (valueContract) GetAfterTransaction() interface{}                                  { return nil }
func (valueContract) GetName() string                                                   { return "" }
func (valueContract) GetTransactionContextHandler() SettableTransactionContextInterface { return nil }
func (valueContract) Hello() string                                                     { return "" }

type emptyContract struct{ Contract }

type chanParam struct{ Contract }

func (c *chanParam) Bad(ch chan int) {}

type ctxSecond struct{ Contract }

func (c *ctxSecond) Bad(s string, ctx *TransactionContext) {}

type threeReturns struct{ Contract }

func (c *threeReturns) Bad() (string, string, error) { return "", "", nil }

type secondNotError struct{ Contract }

func (c *secondNotError) Bad() (string, string) { return "", "" }

type badReturn struct{ Contract }

func (c *badReturn) Bad() chan int { return nil }

type zeroArray struct{ Contract }

func (c *zeroArray) Bad(a [0]int) {}

type intKeys struct{ Contract }

func (c *intKeys) Bad(m map[int]string) {}

type pointerToString struct{ Contract }

func (c *pointerToString) Bad(p *string) {}

type structWithChan struct {
	Name string
	Ch   chan int
}

type badStructField struct{ Contract }

func (c *badStructField) Bad(s structWithChan) {}

type namedInterface interface{ Do() }

type interfaceParam struct{ Contract }

func (c *interfaceParam) Bad(ctx namedInterface) {}

type recursive struct {
	Name     string       `json:"name"`
	Children []*recursive `json:"children,omitempty" metadata:",optional"`
}

type recursiveContract struct{ Contract }

func (c *recursiveContract) Tree(r recursive) recursive { return r }

type okContract struct{ Contract }

func (c *okContract) Fine() {}

func TestNewChaincodeRejectsBadContracts(t *testing.T) {
	withHook := func(set func(c *okContract)) ContractInterface {
		c := &okContract{}
		set(c)
		return c
	}
	named := func(n string) ContractInterface {
		c := &okContract{}
		c.Name = n
		return c
	}
	tests := []struct {
		name      string
		contracts []ContractInterface
		message   string
	}{
		{"a contract passed by value", []ContractInterface{valueContract{}}, "must be passed as a non-nil pointer"},
		{"a nil contract pointer", []ContractInterface{(*okContract)(nil)}, "must be passed as a non-nil pointer"},
		{"two contracts with one name", []ContractInterface{named("a"), named("a")}, "multiple contracts being merged into chaincode with name a"},
		{"a contract without functions", []ContractInterface{&emptyContract{}}, "Contract emptyContract has none"},
		{"a channel parameter", []ContractInterface{&chanParam{}}, "Bad contains invalid parameter type. type chan int is not valid"},
		{"the context as second parameter", []ContractInterface{&ctxSecond{}}, "must require it as the first parameter. Bad takes it in as parameter 1"},
		{"three return values", []ContractInterface{&threeReturns{}}, "functions may only return a maximum of two values. Bad returns 3"},
		{"a second return that is not an error", []ContractInterface{&secondNotError{}}, "Bad contains invalid second return type. Type string is not valid. Expected error"},
		{"an unsupported return", []ContractInterface{&badReturn{}}, "Bad contains invalid single return type"},
		{"an empty array", []ContractInterface{&zeroArray{}}, "arrays must have length greater than 0"},
		{"a map with int keys", []ContractInterface{&intKeys{}}, "map key type int is not valid. Expected string"},
		{"a pointer to a scalar", []ContractInterface{&pointerToString{}}, "type *string is not valid"},
		{"a struct with a channel field", []ContractInterface{&badStructField{}}, "type chan int is not valid"},
		{"an interface the context does not implement", []ContractInterface{&interfaceParam{}}, "contains invalid transaction context interface type"},
		{"a hook that is not a function", []ContractInterface{withHook(func(c *okContract) { c.BeforeTransaction = "nope" })}, "error creating Before. cannot create new contract function from string"},
		{"a before hook with parameters", []ContractInterface{withHook(func(c *okContract) { c.BeforeTransaction = func(s string) {} })}, "Before transactions may not take any params other than the transaction context"},
		{"an unknown hook with parameters", []ContractInterface{withHook(func(c *okContract) { c.UnknownTransaction = func(s string) {} })}, "Unknown transactions may not take any params"},
		{"an after hook with two parameters", []ContractInterface{withHook(func(c *okContract) { c.AfterTransaction = func(a, b interface{}) {} })}, "after transactions must take at most one non-context param"},
		{"an after hook with a string parameter", []ContractInterface{withHook(func(c *okContract) { c.AfterTransaction = func(s string) {} })}, "after transaction must take type interface{}"},
		{"a hook with a bad return", []ContractInterface{withHook(func(c *okContract) { c.AfterTransaction = func() chan int { return nil } })}, "error creating After. Function contains invalid single return type"},
		{"a nil context handler pointer", []ContractInterface{withHook(func(c *okContract) { c.TransactionContextHandler = (*TransactionContext)(nil) })}, "must be a non-nil pointer to a struct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newChaincode(metadata.ContractChaincodeMetadata{}, tt.contracts)
			if err == nil || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("got error %v, want one containing %q", err, tt.message)
			}
		})
	}
}

func TestNewChaincodeAcceptsRecursiveStructs(t *testing.T) {
	cc := mustChaincode(t, &recursiveContract{})
	checkResponse(t, cc.Invoke(newStub("Tree", `{"name":"a","children":[{"name":"b"}]}`)), 200,
		`{"name":"a","children":[{"name":"b"}]}`, "")
	checkResponse(t, cc.Invoke(newStub("Tree", `{"name":"a","children":[{"nom":"b"}]}`)), 500, "",
		"param0.children.0: name is required")
}

func TestNewChaincodeWithRealMetadataLookup(t *testing.T) {
	// no metadata file sits beside the test binary, so reflection alone is used
	cc, err := NewChaincode(&okContract{})
	if err != nil {
		t.Fatal(err)
	}
	if cc.Info.Title != "undefined" || cc.Info.Version != "latest" {
		t.Errorf("chaincode info %+v, want the undefined/latest defaults Fabric fills in", cc.Info)
	}
	if cc.TransactionSerializer == nil {
		t.Error("no default serializer")
	}
}
