// Package contractapi is the contract-style API for chaincode, a drop-in for
// github.com/hyperledger/fabric-contract-api-go/v2/contractapi: contracts are
// structs whose exported methods are transactions, called by name with
// arguments and results converted and checked against JSON schemas.
//
// Code written for Fabric's package compiles against this one once its
// import paths are rewritten (fabric-contract-api-go/v2/contractapi to
// chaincodekit/contractapi, .../metadata and .../serializer to the packages
// of those names under it, fabric-chaincode-go/v2/shim and pkg/cid to
// chaincodekit/shim and shim/cid). It behaves the same, with these
// deliberate differences:
//
//   - a panic in a transaction function or hook becomes an error response
//     and the chaincode keeps serving;
//   - a missing or malformed creator gives a client identity whose methods
//     return the reason, never a nil identity;
//   - more arguments than the function takes is an error;
//   - a *StatusError (NewError) in a returned error's chain sets the
//     response status and payload;
//   - arguments are checked against the metadata however the caller spelled
//     the first letter of the function name;
//   - metadata schemas are metadata.Schema values, not go-openapi's
//     spec.Schema, and are checked by this module's own validator.
package contractapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/chaincodekit/chaincodekit/contractapi/metadata"
	"github.com/chaincodekit/chaincodekit/contractapi/serializer"
	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// SystemContractName is the name of the contract every chaincode carries,
// whose GetMetadata transaction returns the metadata document.
const SystemContractName = "org.hyperledger.fabric"

// contractEntry is one contract as the chaincode routes to it.
type contractEntry struct {
	info      metadata.InfoMetadata
	functions map[string]*txFunction
	unknown   *txFunction
	before    *txFunction
	after     *txFunction
	ctxType   reflect.Type // the context's struct type; a new one is made per transaction
}

// ContractChaincode is a chaincode made of contracts. It implements
// shim.Chaincode; Start runs it.
type ContractChaincode struct {
	// DefaultContract receives functions called without a "Contract:" prefix.
	// NewChaincode sets it to the first contract.
	DefaultContract string
	// Info is the chaincode-level info of the metadata.
	Info metadata.InfoMetadata
	// TransactionSerializer converts arguments and results; NewChaincode sets
	// the JSON serializer.
	TransactionSerializer serializer.TransactionSerializer
	// Logger, when set, receives a record for each transaction that panics.
	Logger *slog.Logger

	contracts map[string]contractEntry
	metadata  metadata.ContractChaincodeMetadata
}

// NewChaincode builds a chaincode from contracts, which must be pointers.
// It checks every transaction function's signature, builds the metadata by
// reflection, lets META-INF/metadata.json (or contract-metadata/metadata.json)
// beside the executable override it section by section, and validates the
// result. Any problem is returned, naming the contract, function or field.
func NewChaincode(contracts ...ContractInterface) (*ContractChaincode, error) {
	md, err := metadata.ReadMetadataFile()
	if err != nil && !errors.Is(err, metadata.ErrNoMetadataFile) {
		return nil, err
	}
	return newChaincode(md, contracts)
}

// newChaincode is NewChaincode with the metadata file already read (empty
// when there is none).
func newChaincode(fileMetadata metadata.ContractChaincodeMetadata, contracts []ContractInterface) (*ContractChaincode, error) {
	cc := &ContractChaincode{contracts: map[string]contractEntry{}}
	excluded := interfaceMethods()
	for _, c := range contracts {
		exclude := excluded
		if ic, ok := c.(IgnoreContractInterface); ok {
			exclude = append(slices.Clone(excluded), ic.GetIgnoredFunctions()...)
		}
		if err := cc.addContract(c, exclude); err != nil {
			return nil, err
		}
	}
	system := &SystemContract{}
	system.Name = SystemContractName
	if err := cc.addContract(system, excluded); err != nil {
		return nil, err
	}

	fileMetadata.Append(cc.reflectMetadata())
	if err := metadata.ValidateAgainstSchema(fileMetadata); err != nil {
		return nil, err
	}
	if err := fileMetadata.CompileSchemas(); err != nil {
		return nil, fmt.Errorf("cannot use metadata: %w", err)
	}
	cc.metadata = fileMetadata
	doc, err := json.Marshal(&cc.metadata)
	if err != nil {
		return nil, fmt.Errorf("marshal metadata: %w", err)
	}
	system.setMetadata(string(doc))
	cc.TransactionSerializer = new(serializer.JSONSerializer)
	return cc, nil
}

// interfaceMethods are the method names of the contract interfaces, which
// are never transactions.
func interfaceMethods() []string {
	var names []string
	for _, t := range []reflect.Type{
		reflect.TypeFor[ContractInterface](),
		reflect.TypeFor[IgnoreContractInterface](),
		reflect.TypeFor[EvaluationContractInterface](),
	} {
		for i := range t.NumMethod() {
			names = append(names, t.Method(i).Name)
		}
	}
	return names
}

func (cc *ContractChaincode) addContract(contract ContractInterface, exclude []string) error {
	cv := reflect.ValueOf(contract)
	if cv.Kind() != reflect.Pointer || cv.IsNil() {
		return fmt.Errorf("contract of type %T must be passed as a non-nil pointer, for example &%s{}", contract, strings.TrimPrefix(fmt.Sprintf("%T", contract), "*"))
	}
	name := contract.GetName()
	if name == "" {
		name = cv.Elem().Type().Name()
	}
	if _, ok := cc.contracts[name]; ok {
		return fmt.Errorf("multiple contracts being merged into chaincode with name %s", name)
	}

	handler := contract.GetTransactionContextHandler()
	hv := reflect.ValueOf(handler)
	if hv.Kind() != reflect.Pointer || hv.IsNil() || hv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("contract %s: transaction context handler %T must be a non-nil pointer to a struct", name, handler)
	}
	ctxPtrType := hv.Type()
	entry := contractEntry{info: contract.GetInfo(), functions: map[string]*txFunction{}, ctxType: ctxPtrType.Elem()}
	if entry.info.Version == "" {
		entry.info.Version = "latest"
	}
	if entry.info.Title == "" {
		entry.info.Title = name
	}

	for _, h := range []struct {
		fn   interface{}
		kind hookKind
		dst  **txFunction
	}{
		{contract.GetUnknownTransaction(), hookUnknown, &entry.unknown},
		{contract.GetBeforeTransaction(), hookBefore, &entry.before},
		{contract.GetAfterTransaction(), hookAfter, &entry.after},
	} {
		if h.fn == nil {
			continue
		}
		f, err := newHook(h.fn, ctxPtrType, h.kind)
		if err != nil {
			return fmt.Errorf("contract %s: %w", name, err)
		}
		*h.dst = f
	}

	var evaluate []string
	if ec, ok := contract.(EvaluationContractInterface); ok {
		evaluate = ec.GetEvaluateTransactions()
	}
	ct := cv.Type()
	for i := range ct.NumMethod() {
		m := ct.Method(i)
		if slices.Contains(exclude, m.Name) {
			continue
		}
		kind := callSubmit
		if slices.Contains(evaluate, m.Name) {
			kind = callEvaluate
		}
		f, err := newTxFunction(m.Name, cv.Method(i), ctxPtrType, kind)
		if err != nil {
			return fmt.Errorf("contract %s: %w", name, err)
		}
		entry.functions[m.Name] = f
	}
	if len(entry.functions) == 0 {
		return fmt.Errorf("contracts are required to have at least 1 (non-ignored) public method. Contract %s has none. Method names that have been ignored: %s", name, sentence(exclude))
	}
	cc.contracts[name] = entry
	if cc.DefaultContract == "" {
		cc.DefaultContract = name
	}
	return nil
}

// reflectMetadata builds the metadata document from the contracts. Like
// Fabric it fills cc.Info's empty title and version ("undefined", "latest").
func (cc *ContractChaincode) reflectMetadata() metadata.ContractChaincodeMetadata {
	if cc.Info.Version == "" {
		cc.Info.Version = "latest"
	}
	if cc.Info.Title == "" {
		cc.Info.Title = "undefined"
	}
	info := cc.Info
	md := metadata.ContractChaincodeMetadata{
		Info:       &info,
		Contracts:  map[string]metadata.ContractMetadata{},
		Components: metadata.ComponentMetadata{Schemas: map[string]metadata.ObjectMetadata{}},
	}
	for name, c := range cc.contracts {
		cinfo := c.info
		cm := metadata.ContractMetadata{Name: name, Info: &cinfo, Default: name == cc.DefaultContract}
		for fname, f := range c.functions {
			cm.Transactions = append(cm.Transactions, f.reflectMetadata(fname, &md.Components))
		}
		sort.Slice(cm.Transactions, func(i, j int) bool { return cm.Transactions[i].Name < cm.Transactions[j].Name })
		md.Contracts[name] = cm
	}
	return md
}

// reflectMetadata describes one function: parameters named param0..N, the
// return schema, and tags "submit"/"SUBMIT" or "evaluate"/"EVALUATE". The
// types were checked in newTxFunction, so schema building cannot fail here.
func (f *txFunction) reflectMetadata(name string, components *metadata.ComponentMetadata) metadata.TransactionMetadata {
	tm := metadata.TransactionMetadata{Name: name, Tag: []string{"submit", "SUBMIT"}}
	if f.callType == callEvaluate {
		tm.Tag = []string{"evaluate", "EVALUATE"}
	}
	for i, t := range f.params {
		s, _ := metadata.GetSchema(t, components)
		tm.Parameters = append(tm.Parameters, metadata.ParameterMetadata{Name: fmt.Sprintf("param%d", i), Schema: s})
	}
	if f.success != nil {
		s, _ := metadata.GetSchema(f.success, components)
		tm.Returns = metadata.ReturnMetadata{Schema: s}
	}
	return tm
}

// Init answers an instantiate or upgrade. With no function name it succeeds
// without calling anything; otherwise it routes like Invoke.
func (cc *ContractChaincode) Init(stub shim.ChaincodeStubInterface) *peer.Response {
	if fn, _ := stub.GetFunctionAndParameters(); fn == "" {
		return shim.Success([]byte("Default initiator successful."))
	}
	return cc.Invoke(stub)
}

// Invoke routes "Contract:Function" (split at the last colon; no colon means
// the default contract) to the function, its first letter upper-cased. It
// calls the before hook, the function (or the unknown-transaction hook) and
// the after hook with one shared context. A returned error becomes an error
// response, with the status and payload of a *StatusError in its chain; a
// panic becomes an error response too.
func (cc *ContractChaincode) Invoke(stub shim.ChaincodeStubInterface) (resp *peer.Response) {
	nsFn, args := stub.GetFunctionAndParameters()
	ns, fn := cc.DefaultContract, nsFn
	if i := strings.LastIndex(nsFn, ":"); i >= 0 {
		ns, fn = nsFn[:i], nsFn[i+1:]
	}
	defer func() {
		if r := recover(); r != nil {
			if cc.Logger != nil {
				cc.Logger.Error("transaction function panicked", "contract", ns, "function", fn,
					"txid", stub.GetTxID(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			}
			resp = shim.Error(fmt.Sprintf("transaction %s:%s panicked: %v", ns, fn, r))
		}
	}()

	contract, ok := cc.contracts[ns]
	if !ok {
		return shim.Error(fmt.Sprintf("Contract not found with name %s", ns))
	}
	if fn == "" {
		return shim.Error("Blank function name passed")
	}

	ctx := reflect.New(contract.ctxType)
	settable := ctx.Interface().(SettableTransactionContextInterface)
	settable.SetStub(stub)
	settable.SetClientIdentity(clientIdentity(stub))

	if contract.before != nil {
		if _, _, err := contract.before.callHook(ctx, hookBefore, nil, nil); err != nil {
			return errorResponse(err)
		}
	}

	ser := cc.TransactionSerializer
	if ser == nil {
		ser = new(serializer.JSONSerializer)
	}
	var payload string
	var result interface{}
	var err error
	name := upperFirst(fn)
	if f, ok := contract.functions[name]; ok {
		payload, result, err = f.call(ctx, args, cc.transactionMetadata(ns, name, fn), &cc.metadata.Components, ser)
	} else if contract.unknown != nil {
		payload, result, err = contract.unknown.callHook(ctx, hookUnknown, nil, ser)
	} else {
		return shim.Error(fmt.Sprintf("Function %s not found in contract %s", fn, ns))
	}
	if err != nil {
		return errorResponse(err)
	}

	if contract.after != nil {
		if _, _, err := contract.after.callHook(ctx, hookAfter, result, nil); err != nil {
			return errorResponse(err)
		}
	}
	return shim.Success([]byte(payload))
}

// transactionMetadata finds the metadata of the function declared as name in
// contract ns, so arguments are checked however the caller spelled the first
// letter. A metadata file may list the name as the caller spelled it
// (asked), which is the only spelling Fabric looks up; that is tried second.
func (cc *ContractChaincode) transactionMetadata(ns, name, asked string) *metadata.TransactionMetadata {
	c, ok := cc.metadata.Contracts[ns]
	if !ok {
		return nil
	}
	for _, want := range []string{name, asked} {
		for i := range c.Transactions {
			if c.Transactions[i].Name == want {
				return &c.Transactions[i]
			}
		}
	}
	return nil
}

// errorResponse turns a transaction error into a response, taking status and
// payload from a *StatusError in its chain.
func errorResponse(err error) *peer.Response {
	var se *StatusError
	if errors.As(err, &se) {
		return &peer.Response{Status: se.responseStatus(), Message: err.Error(), Payload: se.Payload}
	}
	return shim.Error(err.Error())
}

func upperFirst(s string) string {
	r := []rune(s)
	if len(r) == 0 || unicode.IsUpper(r[0]) {
		return s
	}
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
