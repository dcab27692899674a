package metadata

import (
	"encoding/json"
	"strings"
	"testing"
)

func mustSchema(t *testing.T, doc string) *Schema {
	t.Helper()
	var s Schema
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		t.Fatalf("schema %s: %v", doc, err)
	}
	return &s
}

func TestValidate(t *testing.T) {
	components := &ComponentMetadata{Schemas: map[string]ObjectMetadata{
		"Point": {ID: "Point", Required: []string{"x"}, Properties: map[string]Schema{
			"x":    {Type: StringOrArray{"integer"}},
			"next": {Ref: "Point"},
		}},
	}}
	tests := []struct {
		name   string
		schema string
		value  string
		errors []string
	}{
		{"a string matches string", `{"type":"string"}`, `"a"`, nil},
		{"a number is not a string", `{"type":"string"}`, `1`, []string{"v: Invalid type. Expected: string, given: integer"}},
		{"a fraction is not an integer", `{"type":"integer"}`, `1.5`, []string{"v: Invalid type. Expected: integer, given: number"}},
		{"a whole number written with a point is an integer", `{"type":"integer"}`, `2.0`, nil},
		{"an integer is a number", `{"type":"number"}`, `2`, nil},
		{"null is not a boolean", `{"type":"boolean"}`, `null`, []string{"v: Invalid type. Expected: boolean, given: null"}},
		{"a type list accepts any of its types", `{"type":["string","null"]}`, `null`, nil},
		{"an empty schema accepts anything", `{}`, `{"a":[1,"b",null]}`, nil},
		{"minimum", `{"type":"integer","minimum":0}`, `-1`, []string{"v: Must be greater than or equal to 0"}},
		{"maximum", `{"type":"integer","maximum":255}`, `256`, []string{"v: Must be less than or equal to 255"}},
		{"the uint64 maximum is exact", `{"type":"number","maximum":18446744073709551615}`, `18446744073709551616`, nil},
		{"exclusive bounds", `{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1}`, `1`, []string{"v: Must be less than 1"}},
		{"multipleOf 1 rejects fractions", `{"type":"number","multipleOf":1}`, `2.5`, []string{"v: Must be a multiple of 1"}},
		{"multipleOf accepts multiples", `{"type":"number","multipleOf":0.5}`, `2.5`, nil},
		{"enum accepts a listed value", `{"enum":["red","green"]}`, `"green"`, nil},
		{"enum compares numbers by value", `{"enum":[1,2]}`, `2.0`, nil},
		{"enum rejects others", `{"enum":["red","green"]}`, `"blue"`, []string{`v: must be one of the following: "red", "green"`}},
		{"date-time is checked", `{"type":"string","format":"date-time"}`, `"2024-01-02"`, []string{"v: Does not match format 'date-time'"}},
		{"a good date-time passes", `{"type":"string","format":"date-time"}`, `"2024-01-02T03:04:05Z"`, nil},
		{"other formats are annotations", `{"type":"string","format":"byte"}`, `"%%%"`, nil},
		{"string lengths count characters", `{"type":"string","minLength":2,"maxLength":3}`, `"ééééé"`, []string{"v: String length must be less than or equal to 3"}},
		{"pattern", `{"type":"string","pattern":"^[a-z]+$"}`, `"A1"`, []string{"v: Does not match pattern '^[a-z]+$'"}},
		{"array items are checked with their index", `{"type":"array","items":{"type":"integer"}}`, `[1,"2",3,"4"]`,
			[]string{"v.1: Invalid type. Expected: integer, given: string", "v.3: Invalid type. Expected: integer, given: string"}},
		{"array sizes", `{"type":"array","minItems":2}`, `[1]`, []string{"v: Array must have at least 2 items"}},
		{"required and additional properties", `{"type":"object","required":["a","b"],"properties":{"a":{"type":"string"}},"additionalProperties":false}`,
			`{"a":"x","c":1}`, []string{"v: Additional property c is not allowed", "v: b is required"}},
		{"additional properties may have a schema", `{"type":"object","additionalProperties":{"type":"integer"}}`, `{"a":1,"b":"x"}`,
			[]string{"v.b: Invalid type. Expected: integer, given: string"}},
		{"a component reference by pointer", `{"$ref":"#/components/schemas/Point"}`, `{"x":1,"next":{"x":"no"}}`,
			[]string{"v.next.x: Invalid type. Expected: integer, given: string"}},
		{"a nested component reference by $id", `{"type":"array","items":{"$ref":"Point"}}`, `[{"next":{"x":1}}]`,
			[]string{"v.0: x is required"}},
		{"components reject unknown properties unless they allow them", `{"$ref":"#/components/schemas/Point"}`, `{"x":1,"y":2}`,
			[]string{"v: Additional property y is not allowed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := Compile("v", mustSchema(t, tt.schema), components)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			err = cs.ValidateJSON([]byte(tt.value))
			if tt.errors == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			want := "value did not match schema:"
			for i, e := range tt.errors {
				want += "\n" + string(rune('1'+i)) + ". " + e
			}
			if err == nil || err.Error() != want {
				t.Fatalf("got %v\nwant %s", err, want)
			}
		})
	}
}

func TestCompileRejects(t *testing.T) {
	components := &ComponentMetadata{Schemas: map[string]ObjectMetadata{
		"Loop": {ID: "Loop", Properties: map[string]Schema{"bad": {Pattern: "("}}},
	}}
	tests := []struct {
		name    string
		schema  string
		message string
	}{
		{"an unsupported keyword", `{"type":"object","properties":{"a":{"oneOf":[{"type":"string"}]}}}`, `v.a: keyword "oneOf" is not supported`},
		{"an unknown type", `{"type":"int"}`, `v: type "int" is not a JSON schema type`},
		{"a bad pattern", `{"type":"string","pattern":"["}`, `v: pattern "[" is not a valid regular expression`},
		{"a bad pattern inside a component", `{"$ref":"#/components/schemas/Loop"}`, `v.bad: pattern "(" is not a valid regular expression`},
		{"a missing component", `{"items":{"$ref":"#/components/schemas/Nope"}}`, `v.items: $ref "#/components/schemas/Nope" names no schema in components.schemas`},
		{"a reference elsewhere in the document", `{"$ref":"#/definitions/x"}`, `$ref "#/definitions/x" is not supported`},
		{"a non-positive multipleOf", `{"multipleOf":0}`, "multipleOf 0 must be greater than 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile("v", mustSchema(t, tt.schema), components)
			if err == nil || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("got %v, want an error containing %q", err, tt.message)
			}
		})
	}
	if _, err := Compile("v", nil, nil); err == nil {
		t.Error("a nil schema compiled")
	}
}

func TestSchemaJSONRoundTripKeepsUnknownKeywords(t *testing.T) {
	in := `{"type":["string","null"],"format":"date-time","examples":["x"],"x-note":{"a":1},"items":[{"type":"string"}],"additionalProperties":{"type":"integer"}}`
	s := mustSchema(t, in)
	if len(s.Type) != 2 || s.Items == nil || len(s.Items.Schemas) != 1 || s.AdditionalProperties.Schema == nil {
		t.Fatalf("parsed %+v", s)
	}
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal([]byte(in), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("round trip changed the schema:\n in  %s\n out %s", ja, jb)
	}
	if _, err := Compile("v", mustSchema(t, `{"additionalProperties":true}`), nil); err != nil {
		t.Error(err)
	}
	var bad Schema
	if err := json.Unmarshal([]byte(`{"type":3}`), &bad); err == nil {
		t.Error("a numeric type was accepted")
	}
}
