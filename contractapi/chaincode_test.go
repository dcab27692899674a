package contractapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/contractapi/metadata"
	"github.com/chaincodekit/chaincodekit/contractapi/utils"
	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

type Item struct {
	ID    string `json:"id"`
	Count int    `json:"count"`
	Note  string `json:"note" metadata:",optional"`
}

type Colour string

type routeContract struct {
	Contract
}

func (c *routeContract) Hello(name string) string { return "hello " + name }
func (c *routeContract) Fail() error              { return errors.New("it failed") }
func (c *routeContract) Panics() string           { panic("boom") }
func (c *routeContract) Index(i int) int {
	var s []int
	return s[i]
}
func (c *routeContract) Status() error {
	return fmt.Errorf("read asset: %w", NewError(404, "asset a1 not found", []byte(`{"id":"a1"}`)))
}
func (c *routeContract) LowStatus() error { return NewError(200, "not really fine", []byte("p")) }
func (c *routeContract) Put(ctx TransactionContextInterface, item Item) error {
	b, err := json.Marshal(item)
	if err != nil {
		return err
	}
	return ctx.GetStub().PutState(item.ID, b)
}
func (c *routeContract) Get(ctx TransactionContextInterface, id string) (*Item, error) {
	b, err := ctx.GetStub().GetState(id)
	if err != nil || b == nil {
		return nil, fmt.Errorf("item %s: %v", id, err)
	}
	var it Item
	return &it, json.Unmarshal(b, &it)
}
func (c *routeContract) Who(ctx TransactionContextInterface) (string, error) {
	return ctx.GetClientIdentity().GetMSPID()
}
func (c *routeContract) Small(n uint8) uint8 { return n }

type otherContract struct {
	Contract
}

func (c *otherContract) Hello(name string) string { return "other " + name }

func mustChaincode(t *testing.T, contracts ...ContractInterface) *ContractChaincode {
	t.Helper()
	cc, err := newChaincode(metadata.ContractChaincodeMetadata{}, contracts)
	if err != nil {
		t.Fatalf("new chaincode: %v", err)
	}
	return cc
}

func checkResponse(t *testing.T, resp *peer.Response, status int32, payload, message string) {
	t.Helper()
	if resp.GetStatus() != status || string(resp.GetPayload()) != payload || !strings.Contains(resp.GetMessage(), message) {
		t.Errorf("got status %d payload %q message %q, want status %d payload %q message containing %q",
			resp.GetStatus(), resp.GetPayload(), resp.GetMessage(), status, payload, message)
	}
}

func TestRouting(t *testing.T) {
	named := &otherContract{}
	named.Name = "ns:with:colons"
	cc := mustChaincode(t, &routeContract{}, named)

	tests := []struct {
		name    string
		args    []string
		status  int32
		payload string
		message string
	}{
		{"a bare function goes to the default contract", []string{"Hello", "ann"}, 200, "hello ann", ""},
		{"the first letter of the function is upper-cased", []string{"hello", "bob"}, 200, "hello bob", ""},
		{"a contract prefix picks the contract", []string{"routeContract:Hello", "cy"}, 200, "hello cy", ""},
		{"the name is split at the last colon", []string{"ns:with:colons:hello", "di"}, 200, "other di", ""},
		{"an unknown contract is an error", []string{"nobody:Hello", "x"}, 500, "", "Contract not found with name nobody"},
		{"a prefix without function is an error", []string{"routeContract:"}, 500, "", "Blank function name passed"},
		{"no arguments at all is a blank function", []string{}, 500, "", "Blank function name passed"},
		{"an unknown function is an error", []string{"Nope"}, 500, "", "Function Nope not found in contract routeContract"},
		{"the system contract serves metadata", []string{"org.hyperledger.fabric:GetMetadata"}, 200, "", ""},
		{"too many arguments are an error", []string{"Hello", "a", "b"}, 500, "", "incorrect number of params. Expected 1, received 2"},
		{"too few arguments are an error", []string{"Hello"}, 500, "", "incorrect number of params. Expected 1, received 0"},
		{"a returned error is an error response", []string{"Fail"}, 500, "", "it failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := cc.Invoke(newStub(tt.args...))
			if tt.name == "the system contract serves metadata" {
				if resp.GetStatus() != 200 || !json.Valid(resp.GetPayload()) {
					t.Fatalf("GetMetadata: %d %q %s", resp.GetStatus(), resp.GetMessage(), resp.GetPayload())
				}
				return
			}
			checkResponse(t, resp, tt.status, tt.payload, tt.message)
		})
	}
}

func TestInit(t *testing.T) {
	cc := mustChaincode(t, &routeContract{})
	checkResponse(t, cc.Init(newStub()), 200, "Default initiator successful.", "")
	checkResponse(t, cc.Init(newStub("Hello", "init")), 200, "hello init", "")
}

func TestDefaultContractIsTheFirstAndCanBeChanged(t *testing.T) {
	cc := mustChaincode(t, &routeContract{}, &otherContract{})
	if cc.DefaultContract != "routeContract" {
		t.Fatalf("default contract %q, want routeContract", cc.DefaultContract)
	}
	cc.DefaultContract = "otherContract"
	checkResponse(t, cc.Invoke(newStub("Hello", "x")), 200, "other x", "")
}

func TestPanicsBecomeErrorResponses(t *testing.T) {
	cc := mustChaincode(t, &routeContract{})
	var logged bytes.Buffer
	cc.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	checkResponse(t, cc.Invoke(newStub("Panics")), 500, "", "transaction routeContract:Panics panicked: boom")
	checkResponse(t, cc.Invoke(newStub("Index", "3")), 500, "", "index out of range [3] with length 0")
	checkResponse(t, cc.Invoke(newStub("Hello", "still serving")), 200, "hello still serving", "")
	if out := logged.String(); !strings.Contains(out, "panic=boom") || !strings.Contains(out, "txid=txid-1") || !strings.Contains(out, "chaincode_test.go") {
		t.Errorf("panic log lacks the panic, the txid or the stack:\n%s", out)
	}
}

func TestNilSerializerFallsBackToJSON(t *testing.T) {
	cc := mustChaincode(t, &routeContract{})
	cc.TransactionSerializer = nil
	checkResponse(t, cc.Invoke(newStub("Hello", "json")), 200, "hello json", "")
}

func TestStatusErrors(t *testing.T) {
	cc := mustChaincode(t, &routeContract{})
	checkResponse(t, cc.Invoke(newStub("Status")), 404, `{"id":"a1"}`, "read asset: asset a1 not found")
	checkResponse(t, cc.Invoke(newStub("LowStatus")), 500, "p", "not really fine")
	var se *StatusError
	if err := fmt.Errorf("x: %w", NewError(409, "conflict", nil)); !errors.As(err, &se) || se.Status != 409 {
		t.Errorf("errors.As did not find the StatusError in %v", err)
	}
}

func TestContextReachesTheStub(t *testing.T) {
	cc := mustChaincode(t, &routeContract{})
	stub := newStub("Put", `{"id":"a1","count":3}`)
	checkResponse(t, cc.Invoke(stub), 200, "", "")
	if got := string(stub.state["a1"]); got != `{"id":"a1","count":3,"note":""}` {
		t.Fatalf("state a1 = %q", got)
	}
	get := newStub("get", "a1")
	get.state = stub.state
	checkResponse(t, cc.Invoke(get), 200, `{"id":"a1","count":3,"note":""}`, "")
}

func TestSchemaValidationOfArguments(t *testing.T) {
	cc := mustChaincode(t, &routeContract{})
	tests := []struct {
		name    string
		args    []string
		message string
	}{
		{"a missing required property is rejected", []string{"Put", `{"id":"a1"}`}, "param0: count is required"},
		{"an unknown property is rejected", []string{"Put", `{"id":"a1","count":1,"colour":"red"}`}, "param0: Additional property colour is not allowed"},
		{"a wrong property type is rejected", []string{"Put", `{"id":"a1","count":"many"}`}, "conversion error"},
		{"a lower-case function name is validated too", []string{"put", `{"id":"a1"}`}, "param0: count is required"},
		{"malformed JSON is a conversion error", []string{"put", `{"id":`}, "value {\"id\": was not passed in expected format contractapi.Item"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResponse(t, cc.Invoke(newStub(tt.args...)), 500, "", tt.message)
		})
	}
}

func TestMetadataFileSchemasAreEnforcedWhateverTheCase(t *testing.T) {
	file := metadata.ContractChaincodeMetadata{
		Info: &metadata.InfoMetadata{Title: "from file", Version: "9"},
		Contracts: map[string]metadata.ContractMetadata{
			"routeContract": {Name: "routeContract", Transactions: []metadata.TransactionMetadata{{
				Name: "Small",
				Parameters: []metadata.ParameterMetadata{{Name: "size", Schema: &metadata.Schema{
					Type: metadata.StringOrArray{"integer"}, Maximum: ptr(10.0)}}},
				Returns: metadata.ReturnMetadata{Schema: &metadata.Schema{Type: metadata.StringOrArray{"integer"}, Minimum: ptr(2.0)}},
			}}},
		},
	}
	cc, err := newChaincode(file, []ContractInterface{&routeContract{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{"Small", "small"} {
		checkResponse(t, cc.Invoke(newStub(fn, "11")), 500, "", "error managing parameter size. value did not match schema:\n1. size: Must be less than or equal to 10")
		checkResponse(t, cc.Invoke(newStub(fn, "1")), 500, "", "error handling success response. value did not match schema:\n1. return: Must be greater than or equal to 2")
		checkResponse(t, cc.Invoke(newStub(fn, "5")), 200, "5", "")
	}
	checkResponse(t, cc.Invoke(newStub("Hello", "x")), 200, "hello x", "")

	// a file that spells the transaction in lower case is honoured when the
	// caller spells it that way too
	file.Contracts["routeContract"].Transactions[0].Name = "small"
	lower, err := newChaincode(file, []ContractInterface{&routeContract{}})
	if err != nil {
		t.Fatal(err)
	}
	checkResponse(t, lower.Invoke(newStub("small", "11")), 500, "", "size: Must be less than or equal to 10")

	var doc metadata.ContractChaincodeMetadata
	if err := json.Unmarshal(cc.Invoke(newStub(SystemContractName+":GetMetadata")).GetPayload(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Info.Title != "from file" || len(doc.Contracts) != 1 {
		t.Errorf("metadata file did not win: info %+v, %d contracts", doc.Info, len(doc.Contracts))
	}
}

func ptr[T any](v T) *T { return &v }

type typesContract struct {
	Contract
}

func (c *typesContract) Bool(v bool) bool                                { return v }
func (c *typesContract) Int(v int) int                                   { return v }
func (c *typesContract) Int8(v int8) int8                                { return v }
func (c *typesContract) Int16(v int16) int16                             { return v }
func (c *typesContract) Int32(v int32) int32                             { return v }
func (c *typesContract) Int64(v int64) int64                             { return v }
func (c *typesContract) Uint(v uint) uint                                { return v }
func (c *typesContract) Uint8(v uint8) uint8                             { return v }
func (c *typesContract) Uint16(v uint16) uint16                          { return v }
func (c *typesContract) Uint32(v uint32) uint32                          { return v }
func (c *typesContract) Uint64(v uint64) uint64                          { return v }
func (c *typesContract) Float32(v float32) float32                       { return v }
func (c *typesContract) Float64(v float64) float64                       { return v }
func (c *typesContract) String(v string) string                          { return v }
func (c *typesContract) Bytes(v []byte) []byte                           { return v }
func (c *typesContract) ByteArray(v [3]byte) [3]byte                     { return v }
func (c *typesContract) Time(v time.Time) time.Time                      { return v }
func (c *typesContract) Any(v interface{}) interface{}                   { return v }
func (c *typesContract) Struct(v Item) Item                              { return v }
func (c *typesContract) Pointer(v *Item) (*Item, error)                  { return v, nil }
func (c *typesContract) NilPointer() (*Item, error)                      { return nil, nil }
func (c *typesContract) Array(v [2]int) [2]int                           { return v }
func (c *typesContract) Slice(v []Item) []Item                           { return v }
func (c *typesContract) Map(v map[string][]int) map[string][]int         { return v }
func (c *typesContract) Nested(v map[string]map[string]Item) interface{} { return v }
func (c *typesContract) Named(v Colour) Colour                           { return v + "!" }
func (c *typesContract) Variadic(parts ...string) string                 { return strings.Join(parts, "+") }
func (c *typesContract) Nothing()                                        {}
func (c *typesContract) OnlyError() error                                { return nil }

func TestParameterAndReturnTypes(t *testing.T) {
	cc := mustChaincode(t, &typesContract{})
	tests := []struct {
		name    string
		args    []string
		payload string
		message string
	}{
		{"bool", []string{"Bool", "true"}, "true", ""},
		{"empty bool is false", []string{"Bool", ""}, "false", ""},
		{"int", []string{"Int", "-42"}, "-42", ""},
		{"int8", []string{"Int8", "-128"}, "-128", ""},
		{"int8 out of range", []string{"Int8", "128"}, "", "cannot convert passed value 128 to int8"},
		{"int16", []string{"Int16", "32767"}, "32767", ""},
		{"int32", []string{"Int32", "-7"}, "-7", ""},
		{"int64", []string{"Int64", "9223372036854775807"}, "9223372036854775807", ""},
		{"uint", []string{"Uint", "7"}, "7", ""},
		{"negative uint", []string{"Uint", "-1"}, "", "cannot convert passed value -1 to uint"},
		{"uint8", []string{"Uint8", "255"}, "255", ""},
		{"uint16", []string{"Uint16", "65535"}, "65535", ""},
		{"uint32", []string{"Uint32", "4294967295"}, "4294967295", ""},
		{"uint64 max", []string{"Uint64", "18446744073709551615"}, "18446744073709551615", ""},
		{"float32", []string{"Float32", "1.5"}, "1.5", ""},
		{"float64", []string{"Float64", "-2.25"}, "-2.25", ""},
		{"not a float", []string{"Float64", "two"}, "", "cannot convert passed value two to float64"},
		{"string", []string{"String", "héllo"}, "héllo", ""},
		{"bytes travel raw", []string{"Bytes", "\x00\x01raw"}, "\x00\x01raw", ""},
		{"byte array", []string{"ByteArray", "abc"}, "abc", ""},
		{"time in RFC 3339", []string{"Time", "2024-02-03T04:05:06+01:00"}, "2024-02-03T04:05:06+01:00", ""},
		{"bad time", []string{"Time", "2024-02-03"}, "", "is not an RFC 3339 time"},
		{"interface gets the string", []string{"Any", "whatever"}, "whatever", ""},
		{"struct", []string{"Struct", `{"id":"x","count":2}`}, `{"id":"x","count":2,"note":""}`, ""},
		{"pointer to struct", []string{"Pointer", `{"id":"y","count":1,"note":"n"}`}, `{"id":"y","count":1,"note":"n"}`, ""},
		{"nil pointer result is an empty payload", []string{"NilPointer"}, "", ""},
		{"array", []string{"Array", "[1,2]"}, "[1,2]", ""},
		{"slice of structs", []string{"Slice", `[{"id":"a","count":1}]`}, `[{"id":"a","count":1,"note":""}]`, ""},
		{"map of slices", []string{"Map", `{"a":[1,2]}`}, `{"a":[1,2]}`, ""},
		{"nested maps of structs", []string{"Nested", `{"a":{"b":{"id":"c","count":0}}}`}, `{"a":{"b":{"id":"c","count":0,"note":""}}}`, ""},
		{"named string type", []string{"Named", "red"}, "red!", ""},
		{"variadic takes a JSON list", []string{"Variadic", `["a","b"]`}, "a+b", ""},
		{"no return", []string{"Nothing"}, "", ""},
		{"error only", []string{"OnlyError"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := cc.Invoke(newStub(tt.args...))
			status := int32(shim.OK)
			if tt.message != "" {
				status = shim.ERROR
			}
			checkResponse(t, resp, status, tt.payload, tt.message)
		})
	}
}

type hookContext struct {
	TransactionContext
	Events []string
}

type hookContextInterface interface {
	TransactionContextInterface
	Record(string)
}

func (h *hookContext) Record(e string) { h.Events = append(h.Events, e) }

type hookContract struct {
	Contract
}

func (c *hookContract) Value(ctx hookContextInterface) (string, error) {
	ctx.Record("function")
	return "v", nil
}
func (c *hookContract) NoValue(ctx *hookContext) { ctx.Record("function") }
func (c *hookContract) Broken(ctx hookContextInterface) error {
	ctx.Record("function")
	return errors.New("broken")
}

func TestHooks(t *testing.T) {
	var seen []*hookContext
	var afterGot []interface{}
	beforeErr, afterErr := error(nil), error(nil)
	c := &hookContract{}
	c.TransactionContextHandler = new(hookContext)
	c.BeforeTransaction = func(ctx *hookContext) error {
		ctx.Record("before")
		seen = append(seen, ctx)
		return beforeErr
	}
	c.AfterTransaction = func(ctx hookContextInterface, result interface{}) error {
		ctx.Record("after")
		afterGot = append(afterGot, result)
		return afterErr
	}
	c.UnknownTransaction = func(ctx *hookContext) (string, error) {
		ctx.Record("unknown")
		return "fallback", nil
	}
	cc := mustChaincode(t, c)

	tests := []struct {
		name      string
		args      []string
		beforeErr error
		afterErr  error
		events    []string
		after     interface{}
		status    int32
		payload   string
		message   string
	}{
		{"before, function and after share one context", []string{"Value"}, nil, nil, []string{"before", "function", "after"}, "v", 200, "v", ""},
		{"after gets an undefined value when the function returns none", []string{"NoValue"}, nil, nil, []string{"before", "function", "after"}, (*utils.UndefinedInterface)(nil), 200, "", ""},
		{"an unknown function goes to the unknown hook between the others", []string{"missing"}, nil, nil, []string{"before", "unknown", "after"}, "fallback", 200, "fallback", ""},
		{"a failing before stops the transaction", []string{"Value"}, errors.New("denied"), nil, []string{"before"}, nil, 500, "", "denied"},
		{"a failing function skips after", []string{"Broken"}, nil, nil, []string{"before", "function"}, nil, 500, "", "broken"},
		{"a failing after fails the transaction", []string{"Value"}, nil, errors.New("audit failed"), []string{"before", "function", "after"}, "v", 500, "", "audit failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen, afterGot = nil, nil
			beforeErr, afterErr = tt.beforeErr, tt.afterErr
			checkResponse(t, cc.Invoke(newStub(tt.args...)), tt.status, tt.payload, tt.message)
			if len(seen) != 1 {
				t.Fatalf("before ran %d times", len(seen))
			}
			if got := strings.Join(seen[0].Events, ","); got != strings.Join(tt.events, ",") {
				t.Errorf("events on the shared context %q, want %q", got, strings.Join(tt.events, ","))
			}
			if tt.after != nil && (len(afterGot) != 1 || afterGot[0] != tt.after) {
				t.Errorf("after got %#v, want %#v", afterGot, tt.after)
			}
		})
	}
	// each transaction gets a fresh context
	seen = nil
	cc.Invoke(newStub("Value"))
	cc.Invoke(newStub("Value"))
	if len(seen) != 2 || seen[0] == seen[1] || seen[0] == c.TransactionContextHandler {
		t.Errorf("contexts were reused across transactions")
	}
}

type ignoringContract struct {
	Contract
}

func (c *ignoringContract) Visible() string               { return "" }
func (c *ignoringContract) Query() string                 { return "" }
func (c *ignoringContract) Hidden() string                { return "" }
func (c *ignoringContract) GetIgnoredFunctions() []string { return []string{"Hidden"} }
func (c *ignoringContract) GetEvaluateTransactions() []string {
	return []string{"Query"}
}

func TestIgnoredAndEvaluateFunctions(t *testing.T) {
	cc := mustChaincode(t, &ignoringContract{})
	checkResponse(t, cc.Invoke(newStub("Hidden")), 500, "", "Function Hidden not found in contract ignoringContract")
	checkResponse(t, cc.Invoke(newStub("GetIgnoredFunctions")), 500, "", "Function GetIgnoredFunctions not found")
	checkResponse(t, cc.Invoke(newStub("GetName")), 500, "", "Function GetName not found")
	tags := map[string]string{}
	for _, tx := range cc.metadata.Contracts["ignoringContract"].Transactions {
		tags[tx.Name] = strings.Join(tx.Tag, ",")
	}
	want := map[string]string{"Visible": "submit,SUBMIT", "Query": "evaluate,EVALUATE"}
	if fmt.Sprint(tags) != fmt.Sprint(want) {
		t.Errorf("transaction tags %v, want %v", tags, want)
	}
	sys := cc.metadata.Contracts[SystemContractName].Transactions
	if len(sys) != 1 || sys[0].Name != "GetMetadata" || strings.Join(sys[0].Tag, ",") != "evaluate,EVALUATE" {
		t.Errorf("system contract transactions %+v", sys)
	}
}

func TestConcurrentInvokes(t *testing.T) {
	cc := mustChaincode(t, &routeContract{}, &typesContract{})
	done := make(chan string)
	for i := range 16 {
		go func() {
			var resp *peer.Response
			if i%2 == 0 {
				resp = cc.Invoke(newStub("routeContract:Put", fmt.Sprintf(`{"id":"k%d","count":%d}`, i, i)))
			} else {
				resp = cc.Invoke(newStub("typesContract:Slice", `[{"id":"a","count":1}]`))
			}
			if resp.GetStatus() != shim.OK {
				done <- resp.GetMessage()
				return
			}
			done <- ""
		}()
	}
	for range 16 {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}

func TestContractDefaults(t *testing.T) {
	var c Contract
	if _, ok := c.GetTransactionContextHandler().(*TransactionContext); !ok {
		t.Error("default context handler is not *TransactionContext")
	}
	c = Contract{Name: "n", Info: metadata.InfoMetadata{Title: "t"}, BeforeTransaction: 1, AfterTransaction: 2, UnknownTransaction: 3, TransactionContextHandler: new(hookContext)}
	if c.GetName() != "n" || c.GetInfo().Title != "t" || c.GetBeforeTransaction() != 1 || c.GetAfterTransaction() != 2 || c.GetUnknownTransaction() != 3 {
		t.Errorf("getters do not return the fields: %+v", c)
	}
	if _, ok := c.GetTransactionContextHandler().(*hookContext); !ok {
		t.Error("context handler field ignored")
	}
}
