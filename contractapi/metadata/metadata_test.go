package metadata

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type inner struct {
	A string `json:"a"`
}

type Outer struct {
	In   inner            `json:"in"`
	Ptr  *inner           `json:"ptr" metadata:",optional"`
	List []inner          `json:"list"`
	Self *Outer           `metadata:"self,optional"`
	When time.Time        `json:"when"`
	Any  interface{}      `json:"any"`
	M    map[string]inner `json:"m"`
}

func TestGetSchema(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"bool", true, `{"type":"boolean"}`},
		{"string", "", `{"type":"string"}`},
		{"int", 0, `{"type":"integer","format":"int64"}`},
		{"int8", int8(0), `{"type":"integer","format":"int8"}`},
		{"int16", int16(0), `{"type":"integer","format":"int16"}`},
		{"int32", int32(0), `{"type":"integer","format":"int32"}`},
		{"int64", int64(0), `{"type":"integer","format":"int64"}`},
		{"uint", uint(0), `{"type":"number","format":"double","multipleOf":1,"minimum":0,"maximum":18446744073709551615}`},
		{"uint8", uint8(0), `{"type":"integer","format":"int32","minimum":0,"maximum":255}`},
		{"uint16", uint16(0), `{"type":"integer","format":"int64","minimum":0,"maximum":65535}`},
		{"uint32", uint32(0), `{"type":"integer","format":"int64","minimum":0,"maximum":4294967295}`},
		{"uint64", uint64(0), `{"type":"number","format":"double","multipleOf":1,"minimum":0,"maximum":18446744073709551615}`},
		{"float32", float32(0), `{"type":"number","format":"float"}`},
		{"float64", float64(0), `{"type":"number","format":"double"}`},
		{"bytes", []byte{}, `{"type":"string","format":"byte"}`},
		{"byte array", [4]byte{}, `{"type":"string","format":"byte"}`},
		{"time", time.Time{}, `{"type":"string","format":"date-time"}`},
		{"slice", []string{}, `{"type":"array","items":{"type":"string"}}`},
		{"array of arrays", [2][3]bool{}, `{"type":"array","items":{"type":"array","items":{"type":"boolean"}}}`},
		{"map", map[string]int8{}, `{"type":"object","additionalProperties":{"type":"integer","format":"int8"}}`},
		{"struct", Outer{}, `{"$ref":"#/components/schemas/Outer"}`},
		{"pointer to struct", &Outer{}, `{"$ref":"#/components/schemas/Outer"}`},
		{"slice of structs", []inner{}, `{"type":"array","items":{"$ref":"#/components/schemas/inner"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := GetSchema(reflect.TypeOf(tt.v), &ComponentMetadata{})
			if err != nil {
				t.Fatal(err)
			}
			assertJSON(t, s, tt.want)
		})
	}
	iface, err := GetSchema(reflect.TypeFor[interface{}](), &ComponentMetadata{})
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, iface, `{}`)
	for _, bad := range []reflect.Type{reflect.TypeFor[chan int](), reflect.TypeFor[[0]int](), reflect.TypeFor[*string]()} {
		if _, err := GetSchema(bad, &ComponentMetadata{}); err == nil {
			t.Errorf("GetSchema(%s) succeeded", bad)
		}
	}
}

func TestGetSchemaComponents(t *testing.T) {
	components := &ComponentMetadata{}
	if _, err := GetSchema(reflect.TypeFor[Outer](), components); err != nil {
		t.Fatal(err)
	}
	assertJSON(t, components, `{"schemas":{
	  "Outer":{"$id":"Outer","additionalProperties":false,"required":["in","list","when","any","m"],"properties":{
	    "in":{"$ref":"inner"},"ptr":{"$ref":"inner"},"list":{"type":"array","items":{"$ref":"inner"}},
	    "self":{"$ref":"Outer"},"when":{"type":"string","format":"date-time"},"any":{},
	    "m":{"type":"object","additionalProperties":{"$ref":"inner"}}}},
	  "inner":{"$id":"inner","additionalProperties":false,"required":["a"],"properties":{"a":{"type":"string"}}}}}`)
}

func assertJSON(t *testing.T, v any, want string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var got, exp any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if diff := cmp.Diff(exp, got); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}

func TestReadMetadataFileFrom(t *testing.T) {
	doc := `{"info":{"title":"t","version":"1"},"contracts":{"c":{"name":"c","transactions":[{"name":"Tx","returns":{"type":"string"},"parameters":[{"name":"a","schema":{"type":"integer"}}]}]}}}`
	tests := []struct {
		name    string
		files   map[string]string
		message string
	}{
		{"META-INF is read", map[string]string{"META-INF/metadata.json": doc}, ""},
		{"contract-metadata is the fallback", map[string]string{"contract-metadata/metadata.json": doc}, ""},
		{"META-INF wins", map[string]string{"META-INF/metadata.json": doc, "contract-metadata/metadata.json": "junk"}, ""},
		{"no file", nil, "failed to read metadata from file: no metadata.json in META-INF or contract-metadata"},
		{"malformed JSON names the file", map[string]string{"META-INF/metadata.json": `{"info":`}, "parse metadata file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			md, err := ReadMetadataFileFrom(dir)
			if tt.message != "" {
				if err == nil || !strings.Contains(err.Error(), tt.message) {
					t.Fatalf("got %v, want an error containing %q", err, tt.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertJSON(t, &md, `{"info":{"title":"t","version":"1"},"contracts":{"c":{"name":"c","default":false,"transactions":[{"name":"Tx","returns":{"type":"string"},"parameters":[{"name":"a","schema":{"type":"integer"}}]}]}},"components":{}}`)
			if err := ValidateAgainstSchema(md); err != nil {
				t.Error(err)
			}
			if err := md.CompileSchemas(); err != nil {
				t.Fatal(err)
			}
			tx := md.Contracts["c"].Transactions[0]
			if tx.Parameters[0].CompiledSchema == nil || tx.Returns.CompiledSchema == nil {
				t.Error("schemas were not compiled")
			}
		})
	}
	if _, err := ReadMetadataFile(); !errors.Is(err, ErrNoMetadataFile) {
		t.Errorf("ReadMetadataFile beside the test binary: %v, want ErrNoMetadataFile", err)
	}
}

func TestAppendKeepsWhatIsThere(t *testing.T) {
	reflected := ContractChaincodeMetadata{
		Info:       &InfoMetadata{Title: "reflected"},
		Contracts:  map[string]ContractMetadata{"r": {Name: "r"}},
		Components: ComponentMetadata{Schemas: map[string]ObjectMetadata{"R": {ID: "R"}}},
	}
	var empty ContractChaincodeMetadata
	empty.Append(reflected)
	if empty.Info.Title != "reflected" || len(empty.Contracts) != 1 || len(empty.Components.Schemas) != 1 {
		t.Errorf("empty document was not filled: %+v", empty)
	}
	file := ContractChaincodeMetadata{
		Info:       &InfoMetadata{Title: "file"},
		Contracts:  map[string]ContractMetadata{"f": {Name: "f"}},
		Components: ComponentMetadata{Schemas: map[string]ObjectMetadata{"F": {ID: "F"}}},
	}
	file.Append(reflected)
	if file.Info.Title != "file" || len(file.Contracts) != 1 || file.Contracts["f"].Name != "f" || len(file.Components.Schemas) != 1 {
		t.Errorf("file sections were overwritten: %+v", file)
	}
}

func TestGetJSONSchemaIsJSON(t *testing.T) {
	s := GetJSONSchema()
	if !json.Valid(s) {
		t.Fatal("metadata schema is not JSON")
	}
	s[0] = 'x'
	if !json.Valid(GetJSONSchema()) {
		t.Error("callers can change the embedded schema")
	}
}
