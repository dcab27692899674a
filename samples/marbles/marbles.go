// Command marbles shows the ledger's query features on the raw shim:
// JSON documents, a composite-key index (color~name), range queries with
// and without pagination, CouchDB rich queries backed by the index in
// META-INF/statedb/couchdb/indexes/indexOwner.json, key history, and
// updates found through a partial composite key.
//
//	initMarble <name> <color> <size> <owner>
//	readMarble <name>
//	deleteMarble <name>
//	transferMarble <name> <newOwner>
//	transferMarblesBasedOnColor <color> <newOwner>
//	getMarblesByRange <startKey> <endKey>
//	getMarblesByRangeWithPagination <startKey> <endKey> <pageSize> <bookmark>
//	queryMarblesByOwner <owner>
//	queryMarbles <query>
//	queryMarblesWithPagination <query> <pageSize> <bookmark>
//	getHistoryForMarble <name>
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"strconv"
	"strings"
	"time"

	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// colorIndex is the object type of the composite keys color~name that
// let transferMarblesBasedOnColor find the marbles of one color.
const colorIndex = "color~name"

// Marble is the JSON document stored under the marble's name. DocType
// lets rich queries tell marbles apart from other documents.
type Marble struct {
	DocType string `json:"docType"`
	Name    string `json:"name"`
	Color   string `json:"color"`
	Size    int    `json:"size"`
	Owner   string `json:"owner"`
}

// Record is one query result: the key and the document.
type Record struct {
	Key    string  `json:"Key"`
	Record *Marble `json:"Record"`
}

// Page is a page of results with the bookmark of the next page.
type Page struct {
	Records      []Record `json:"records"`
	FetchedCount int32    `json:"fetchedRecordsCount"`
	Bookmark     string   `json:"bookmark"`
}

// HistoryEntry is one committed change of a marble.
type HistoryEntry struct {
	TxID      string    `json:"txId"`
	Timestamp time.Time `json:"timestamp"`
	IsDelete  bool      `json:"isDelete"`
	Value     *Marble   `json:"value,omitempty"`
}

// Marbles is the chaincode.
type Marbles struct{}

// Init does nothing: marbles are created by transactions.
func (Marbles) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

// function is one transaction function: its argument count, their names
// for the error message, and its code.
type function struct {
	nargs int
	usage string
	fn    func(shim.ChaincodeStubInterface, []string) ([]byte, error)
}

// functions returns the transaction functions by name.
func functions() map[string]function {
	return map[string]function{
		"initMarble":                      {4, "name color size owner", initMarble},
		"readMarble":                      {1, "name", readMarble},
		"deleteMarble":                    {1, "name", deleteMarble},
		"transferMarble":                  {2, "name newOwner", transferMarble},
		"transferMarblesBasedOnColor":     {2, "color newOwner", transferByColor},
		"getMarblesByRange":               {2, "startKey endKey", getByRange},
		"getMarblesByRangeWithPagination": {4, "startKey endKey pageSize bookmark", getByRangePaged},
		"queryMarblesByOwner":             {1, "owner", queryByOwner},
		"queryMarbles":                    {1, "query", queryMarbles},
		"queryMarblesWithPagination":      {3, "query pageSize bookmark", queryMarblesPaged},
		"getHistoryForMarble":             {1, "name", history},
	}
}

// Invoke checks the argument count and dispatches.
func (Marbles) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	h, ok := functions()[fn]
	if !ok {
		return shim.Error(fmt.Sprintf("unknown function %q", fn))
	}
	if len(args) != h.nargs {
		return shim.Error(fmt.Sprintf("%s needs %d arguments (%s); got %d", fn, h.nargs, h.usage, len(args)))
	}
	payload, err := h.fn(stub, args)
	if err != nil {
		return shim.Error(fmt.Sprintf("%s: %v", fn, err))
	}
	return shim.Success(payload)
}

func initMarble(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	name, color, owner := args[0], strings.ToLower(args[1]), strings.ToLower(args[3])
	size, err := strconv.Atoi(args[2])
	if err != nil || size <= 0 {
		return nil, fmt.Errorf("size %q must be a positive integer", args[2])
	}
	existing, err := stub.GetState(name)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return nil, fmt.Errorf("marble %s already exists", name)
	}
	m := &Marble{DocType: "marble", Name: name, Color: color, Size: size, Owner: owner}
	if err := putMarble(stub, m); err != nil {
		return nil, err
	}
	// The index entry's value is irrelevant; the key carries the data. A
	// single 0x00 byte marks it, since an empty value would mean delete.
	key, err := stub.CreateCompositeKey(colorIndex, []string{color, name})
	if err != nil {
		return nil, err
	}
	return nil, stub.PutState(key, []byte{0})
}

func readMarble(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	raw, err := stub.GetState(args[0])
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("marble %s does not exist", args[0])
	}
	return raw, nil
}

func deleteMarble(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	m, err := getMarble(stub, args[0])
	if err != nil {
		return nil, err
	}
	if err := stub.DelState(m.Name); err != nil {
		return nil, err
	}
	key, err := stub.CreateCompositeKey(colorIndex, []string{m.Color, m.Name})
	if err != nil {
		return nil, err
	}
	return nil, stub.DelState(key)
}

func transferMarble(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	m, err := getMarble(stub, args[0])
	if err != nil {
		return nil, err
	}
	m.Owner = strings.ToLower(args[1])
	return nil, putMarble(stub, m)
}

// transferByColor finds the marbles of a color through the color~name
// index with a partial composite key and gives each to newOwner. It
// returns the names it transferred, as JSON.
func transferByColor(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	color, owner := strings.ToLower(args[0]), strings.ToLower(args[1])
	it, err := stub.GetStateByPartialCompositeKey(colorIndex, []string{color})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	names := []string{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		_, parts, err := stub.SplitCompositeKey(kv.Key)
		if err != nil {
			return nil, err
		}
		m, err := getMarble(stub, parts[1])
		if err != nil {
			return nil, err
		}
		m.Owner = owner
		if err := putMarble(stub, m); err != nil {
			return nil, err
		}
		names = append(names, m.Name)
	}
	return json.Marshal(names)
}

func getByRange(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	it, err := stub.GetStateByRange(args[0], args[1])
	if err != nil {
		return nil, err
	}
	defer it.Close()
	records, err := collect(it)
	if err != nil {
		return nil, err
	}
	return json.Marshal(records)
}

func getByRangePaged(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	size, err := pageSize(args[2])
	if err != nil {
		return nil, err
	}
	return page(stub.GetStateByRangeWithPagination(args[0], args[1], size, args[3]))
}

// queryByOwner runs a rich query that the indexOwner index serves.
func queryByOwner(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	q, err := json.Marshal(map[string]any{
		"selector":  map[string]string{"docType": "marble", "owner": strings.ToLower(args[0])},
		"use_index": []string{"_design/indexOwnerDoc", "indexOwner"},
	})
	if err != nil {
		return nil, err
	}
	return runQuery(stub, string(q))
}

func queryMarbles(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	return runQuery(stub, args[0])
}

func queryMarblesPaged(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	size, err := pageSize(args[1])
	if err != nil {
		return nil, err
	}
	return page(stub.GetQueryResultWithPagination(args[0], size, args[2]))
}

func history(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	it, err := stub.GetHistoryForKey(args[0])
	if err != nil {
		return nil, err
	}
	defer it.Close()
	entries := []HistoryEntry{}
	for it.HasNext() {
		km, err := it.Next()
		if err != nil {
			return nil, err
		}
		e := HistoryEntry{TxID: km.GetTxId(), Timestamp: km.GetTimestamp().AsTime(), IsDelete: km.GetIsDelete()}
		if !km.GetIsDelete() {
			e.Value = new(Marble)
			if err := json.Unmarshal(km.GetValue(), e.Value); err != nil {
				return nil, fmt.Errorf("history of %s: %w", args[0], err)
			}
		}
		entries = append(entries, e)
	}
	return json.Marshal(entries)
}

func runQuery(stub shim.ChaincodeStubInterface, query string) ([]byte, error) {
	it, err := stub.GetQueryResult(query)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	records, err := collect(it)
	if err != nil {
		return nil, err
	}
	return json.Marshal(records)
}

// collect reads marbles from an iterator, skipping the color~name index
// entries a range over all keys also returns.
func collect(it shim.StateQueryIteratorInterface) ([]Record, error) {
	records := []Record{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		m := new(Marble)
		if err := json.Unmarshal(kv.GetValue(), m); err != nil || m.DocType != "marble" {
			continue
		}
		records = append(records, Record{Key: kv.GetKey(), Record: m})
	}
	return records, nil
}

func getMarble(stub shim.ChaincodeStubInterface, name string) (*Marble, error) {
	raw, err := stub.GetState(name)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("marble %s does not exist", name)
	}
	m := new(Marble)
	if err := json.Unmarshal(raw, m); err != nil {
		return nil, fmt.Errorf("marble %s is not valid JSON: %w", name, err)
	}
	return m, nil
}

func putMarble(stub shim.ChaincodeStubInterface, m *Marble) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return stub.PutState(m.Name, raw)
}

func pageSize(s string) (int32, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("page size %q must be a positive integer", s)
	}
	return int32(n), nil
}

func main() {
	if err := shim.Start(Marbles{}); err != nil {
		log.Fatalf("marbles: %v", err)
	}
}

// page reads one page of a paginated query into its JSON answer: the
// records, how many were fetched and the bookmark of the next page.
func page(it shim.StateQueryIteratorInterface, meta *peer.QueryResponseMetadata, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer it.Close()
	records, err := collect(it)
	if err != nil {
		return nil, err
	}
	return json.Marshal(Page{Records: records, FetchedCount: meta.GetFetchedRecordsCount(), Bookmark: meta.GetBookmark()})
}
