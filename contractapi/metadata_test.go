package contractapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/contractapi/metadata"
	"github.com/google/go-cmp/cmp"
)

type Audit struct {
	By string `json:"by"`
}

type Record struct {
	Audit
	Key     string  `json:"key"`
	Label   string  `metadata:"title"`
	Maybe   *Record `json:"maybe" metadata:",optional"`
	Skipped string  `metadata:"-"`
	//lint:ignore U1000 an unexported field must stay out of the metadata
	hidden   string
	Shown    string `metadata:"shown,optional"`
	JSONOnly int    `json:"jsonOnly,omitempty"`
	Plain    []uint8
	Extra    map[string]string `json:"-"`
}

type recordContract struct{ Contract }

func (c *recordContract) Save(ctx TransactionContextInterface, r Record, n uint16) error { return nil }
func (c *recordContract) Load(key string) (Record, error)                                { return Record{}, nil }

func TestGetMetadataDocument(t *testing.T) {
	c := &recordContract{}
	c.Info.Title = "records"
	cc := mustChaincode(t, c)
	resp := cc.Invoke(newStub(SystemContractName + ":GetMetadata"))
	var got any
	if err := json.Unmarshal(resp.GetPayload(), &got); err != nil {
		t.Fatalf("GetMetadata: %v (%s)", err, resp.GetMessage())
	}
	var want any
	if err := json.Unmarshal([]byte(`{
	  "info": {"title": "undefined", "version": "latest"},
	  "contracts": {
	    "recordContract": {
	      "name": "recordContract", "default": true,
	      "info": {"title": "records", "version": "latest"},
	      "transactions": [
	        {"name": "Load", "tag": ["submit", "SUBMIT"],
	         "parameters": [{"name": "param0", "schema": {"type": "string"}}],
	         "returns": {"$ref": "#/components/schemas/Record"}},
	        {"name": "Save", "tag": ["submit", "SUBMIT"],
	         "parameters": [
	           {"name": "param0", "schema": {"$ref": "#/components/schemas/Record"}},
	           {"name": "param1", "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 65535}}]}
	      ]
	    },
	    "org.hyperledger.fabric": {
	      "name": "org.hyperledger.fabric", "default": false,
	      "info": {"title": "org.hyperledger.fabric", "version": "latest"},
	      "transactions": [{"name": "GetMetadata", "tag": ["evaluate", "EVALUATE"], "returns": {"type": "string"}}]
	    }
	  },
	  "components": {"schemas": {"Record": {
	    "$id": "Record", "additionalProperties": false,
	    "required": ["by", "key", "title", "jsonOnly", "Plain", "Extra"],
	    "properties": {
	      "by": {"type": "string"},
	      "key": {"type": "string"},
	      "title": {"type": "string"},
	      "maybe": {"$ref": "Record"},
	      "shown": {"type": "string"},
	      "jsonOnly": {"type": "integer", "format": "int64"},
	      "Plain": {"type": "string", "format": "byte"},
	      "Extra": {"type": "object", "additionalProperties": {"type": "string"}}
	    }
	  }}}
	}`), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetMetadata (-want +got):\n%s", diff)
	}
}

func TestBadMetadataStopsTheChaincode(t *testing.T) {
	schema := &metadata.Schema{Type: metadata.StringOrArray{"string"}}
	tx := func(params ...metadata.ParameterMetadata) []metadata.TransactionMetadata {
		return []metadata.TransactionMetadata{{Name: "Fine", Parameters: params}}
	}
	tests := []struct {
		name    string
		file    metadata.ContractChaincodeMetadata
		message string
	}{
		{"info without a version", metadata.ContractChaincodeMetadata{Info: &metadata.InfoMetadata{Title: "t"}}, "info.version: version is required"},
		{"a contract without a name", metadata.ContractChaincodeMetadata{Contracts: map[string]metadata.ContractMetadata{"c": {Transactions: tx()}}}, "contracts.c.name: name is required"},
		{"a contract without transactions", metadata.ContractChaincodeMetadata{Contracts: map[string]metadata.ContractMetadata{"c": {Name: "c"}}}, "contracts.c.transactions: transactions is required"},
		{"a parameter without a schema", metadata.ContractChaincodeMetadata{Contracts: map[string]metadata.ContractMetadata{"c": {Name: "c", Transactions: tx(metadata.ParameterMetadata{Name: "p"})}}}, "contracts.c.transactions.0.parameters.0.schema: schema is required"},
		{"a parameter without a name", metadata.ContractChaincodeMetadata{Contracts: map[string]metadata.ContractMetadata{"c": {Name: "c", Transactions: tx(metadata.ParameterMetadata{Schema: schema})}}}, "contracts.c.transactions.0.parameters.0.name: name is required"},
		{"a licence without a name", metadata.ContractChaincodeMetadata{Info: &metadata.InfoMetadata{Title: "t", Version: "1", License: &metadata.LicenseMetadata{URL: "u"}}}, "info.license.name: name is required"},
		{"a component without an $id", metadata.ContractChaincodeMetadata{Components: metadata.ComponentMetadata{Schemas: map[string]metadata.ObjectMetadata{"X": {Properties: map[string]metadata.Schema{}}}}}, "components.schemas.X.$id: $id is required"},
		{"a reference to a missing component", metadata.ContractChaincodeMetadata{Contracts: map[string]metadata.ContractMetadata{"c": {Name: "c", Transactions: tx(metadata.ParameterMetadata{Name: "p", Schema: &metadata.Schema{Ref: "#/components/schemas/Nope"}})}}}, `contract c transaction Fine parameter p: p: $ref "#/components/schemas/Nope" names no schema`},
		{"a parameter count that does not match the function", metadata.ContractChaincodeMetadata{Contracts: map[string]metadata.ContractMetadata{"okContract": {Name: "okContract", Transactions: tx(metadata.ParameterMetadata{Name: "p", Schema: schema})}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc, err := newChaincode(tt.file, []ContractInterface{&okContract{}})
			if tt.message == "" {
				// accepted at start; the mismatch is reported per call
				if err != nil {
					t.Fatal(err)
				}
				checkResponse(t, cc.Invoke(newStub("okContract:Fine")), 500, "", "incorrect number of params in supplementary metadata. Expected 0, received 1")
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("got error %v, want one containing %q", err, tt.message)
			}
		})
	}
}
