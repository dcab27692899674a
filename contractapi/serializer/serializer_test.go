package serializer

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/contractapi/metadata"
)

type point struct {
	X int `json:"x"`
	Y int `json:"y"`
}

func TestFromString(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		typ     reflect.Type
		want    any
		message string
	}{
		{"int", "-3", reflect.TypeFor[int](), -3, ""},
		{"empty int is zero", "", reflect.TypeFor[int](), 0, ""},
		{"uint16 range", "70000", reflect.TypeFor[uint16](), nil, "conversion error. cannot convert passed value 70000 to uint16"},
		{"float32", "0.5", reflect.TypeFor[float32](), float32(0.5), ""},
		{"bool", "false", reflect.TypeFor[bool](), false, ""},
		{"interface", "x", reflect.TypeFor[interface{}](), "x", ""},
		{"bytes", "raw", reflect.TypeFor[[]byte](), []byte("raw"), ""},
		{"byte array pads", "ab", reflect.TypeFor[[3]byte](), [3]byte{'a', 'b', 0}, ""},
		{"time", "2020-01-01T00:00:00Z", reflect.TypeFor[time.Time](), time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"struct", `{"x":1,"y":2}`, reflect.TypeFor[point](), point{1, 2}, ""},
		{"pointer", `{"x":1}`, reflect.TypeFor[*point](), &point{X: 1}, ""},
		{"map", `{"a":{"x":1,"y":1}}`, reflect.TypeFor[map[string]point](), map[string]point{"a": {1, 1}}, ""},
		{"bad JSON", `[1,`, reflect.TypeFor[[]int](), nil, "conversion error. value [1, was not passed in expected format []int"},
		{"a channel cannot be converted", "x", reflect.TypeFor[chan int](), nil, "type chan int cannot be converted from a string"},
	}
	js := new(JSONSerializer)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := js.FromString(tt.in, tt.typ, nil, nil)
			if tt.message != "" {
				if err == nil || !strings.Contains(err.Error(), tt.message) {
					t.Fatalf("got %v, want an error containing %q", err, tt.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(v.Interface(), tt.want) {
				t.Errorf("got %#v, want %#v", v.Interface(), tt.want)
			}
		})
	}
}

func compiled(t *testing.T, name string, typ reflect.Type) (*metadata.Schema, *metadata.CompiledSchema, *metadata.ComponentMetadata) {
	t.Helper()
	components := &metadata.ComponentMetadata{}
	s, err := metadata.GetSchema(typ, components)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := metadata.Compile(name, s, components)
	if err != nil {
		t.Fatal(err)
	}
	return s, cs, components
}

func TestFromStringChecksTheSchema(t *testing.T) {
	js := new(JSONSerializer)
	tests := []struct {
		name    string
		typ     reflect.Type
		in      string
		message string
	}{
		{"a struct with a missing field", reflect.TypeFor[point](), `{"x":1}`, "value did not match schema:\n1. p: y is required"},
		{"a struct with an extra field", reflect.TypeFor[*point](), `{"x":1,"y":2,"z":3}`, "value did not match schema:\n1. p: Additional property z is not allowed"},
		{"a slice element with a missing field is zero-filled, as in Fabric", reflect.TypeFor[[]point](), `[{"x":1}]`, ""},
		{"a good uint", reflect.TypeFor[uint](), "5", ""},
		{"bytes are checked as base64", reflect.TypeFor[[]byte](), "\xff", ""},
		{"a time", reflect.TypeFor[time.Time](), "2020-01-01T00:00:00+02:00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, cs, components := compiled(t, "p", tt.typ)
			_, err := js.FromString(tt.in, tt.typ, &metadata.ParameterMetadata{Name: "p", Schema: s, CompiledSchema: cs}, components)
			if tt.message == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.message {
				t.Fatalf("got %v, want %q", err, tt.message)
			}
		})
	}
}

func TestToString(t *testing.T) {
	var nilPoint *point
	var nilIface interface{}
	tests := []struct {
		name string
		v    reflect.Value
		typ  reflect.Type
		want string
	}{
		{"int", reflect.ValueOf(7), reflect.TypeFor[int](), "7"},
		{"float", reflect.ValueOf(1.25), reflect.TypeFor[float64](), "1.25"},
		{"string", reflect.ValueOf("s"), reflect.TypeFor[string](), "s"},
		{"bytes raw", reflect.ValueOf([]byte{0, 'a'}), reflect.TypeFor[[]byte](), "\x00a"},
		{"byte array raw", reflect.ValueOf([2]byte{'h', 'i'}), reflect.TypeFor[[2]byte](), "hi"},
		{"time", reflect.ValueOf(time.Date(2021, 5, 6, 7, 8, 9, 0, time.UTC)), reflect.TypeFor[time.Time](), "2021-05-06T07:08:09Z"},
		{"struct as JSON", reflect.ValueOf(point{1, 2}), reflect.TypeFor[point](), `{"x":1,"y":2}`},
		{"nil pointer as empty", reflect.ValueOf(nilPoint), reflect.TypeFor[*point](), ""},
		{"nil interface as empty", reflect.ValueOf(&nilIface).Elem(), reflect.TypeFor[interface{}](), ""},
		{"interface holding a struct as JSON", reflect.ValueOf([]interface{}{point{3, 4}}).Index(0), reflect.TypeFor[interface{}](), `{"x":3,"y":4}`},
		{"interface holding a number as text", reflect.ValueOf([]interface{}{5}).Index(0), reflect.TypeFor[interface{}](), "5"},
	}
	js := new(JSONSerializer)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := js.ToString(tt.v, tt.typ, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	s, cs, components := compiled(t, "return", reflect.TypeFor[map[string]uint8]())
	_, err := js.ToString(reflect.ValueOf(map[string]uint8{"a": 1}), reflect.TypeFor[map[string]uint8](), &metadata.ReturnMetadata{Schema: s, CompiledSchema: cs}, components)
	if err != nil {
		t.Errorf("a good map result failed its schema: %v", err)
	}
	strict := &metadata.Schema{Type: metadata.StringOrArray{"integer"}, Maximum: new(float64)}
	cs, err = metadata.Compile("return", strict, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.ToString(reflect.ValueOf(3), reflect.TypeFor[int](), &metadata.ReturnMetadata{Schema: strict, CompiledSchema: cs}, nil); err == nil ||
		err.Error() != "value did not match schema:\n1. return: Must be less than or equal to 0" {
		t.Errorf("got %v", err)
	}
}
