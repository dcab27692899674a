package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"strings"
	"unicode"

	"github.com/chaincodekit/chaincodekit/contractapi/internal/types"
)

// Schema is one JSON schema in the metadata: the schema of a parameter, of a
// return value or of a struct property. It models the keywords the contract
// API writes and checks; any other keyword read from a metadata file is kept
// in Extra so the document survives a round trip.
type Schema struct {
	Ref                  string            `json:"$ref,omitempty"`
	ID                   string            `json:"$id,omitempty"`
	Type                 StringOrArray     `json:"type,omitempty"`
	Format               string            `json:"format,omitempty"`
	Title                string            `json:"title,omitempty"`
	Description          string            `json:"description,omitempty"`
	Default              any               `json:"default,omitempty"`
	Enum                 []any             `json:"enum,omitempty"`
	MultipleOf           *float64          `json:"multipleOf,omitempty"`
	Minimum              *float64          `json:"minimum,omitempty"`
	Maximum              *float64          `json:"maximum,omitempty"`
	ExclusiveMinimum     *float64          `json:"exclusiveMinimum,omitempty"`
	ExclusiveMaximum     *float64          `json:"exclusiveMaximum,omitempty"`
	MinLength            *int64            `json:"minLength,omitempty"`
	MaxLength            *int64            `json:"maxLength,omitempty"`
	Pattern              string            `json:"pattern,omitempty"`
	MinItems             *int64            `json:"minItems,omitempty"`
	MaxItems             *int64            `json:"maxItems,omitempty"`
	Items                *SchemaOrArray    `json:"items,omitempty"`
	Properties           map[string]Schema `json:"properties,omitempty"`
	Required             []string          `json:"required,omitempty"`
	AdditionalProperties *SchemaOrBool     `json:"additionalProperties,omitempty"`

	// Extra holds keywords this package does not model, by name, as read.
	Extra map[string]json.RawMessage `json:"-"`
}

type schemaAlias Schema

// MarshalJSON writes the modelled keywords followed by Extra.
func (s Schema) MarshalJSON() ([]byte, error) {
	known, err := json.Marshal(schemaAlias(s))
	if err != nil {
		return nil, err
	}
	if len(s.Extra) == 0 {
		return known, nil
	}
	all := map[string]json.RawMessage{}
	if err := json.Unmarshal(known, &all); err != nil {
		return nil, err
	}
	for k, v := range s.Extra {
		if _, ok := all[k]; !ok {
			all[k] = v
		}
	}
	return json.Marshal(all)
}

// UnmarshalJSON reads the modelled keywords and keeps the others in Extra.
func (s *Schema) UnmarshalJSON(data []byte) error {
	var a schemaAlias
	if err := json.Unmarshal(data, &a); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	for _, k := range modelledKeywords {
		delete(all, k)
	}
	if len(all) > 0 {
		a.Extra = all
	}
	*s = Schema(a)
	return nil
}

var modelledKeywords = []string{"$ref", "$id", "type", "format", "title", "description", "default", "enum",
	"multipleOf", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
	"pattern", "minItems", "maxItems", "items", "properties", "required", "additionalProperties"}

// StringOrArray is a JSON schema "type": one name or a list of names.
type StringOrArray []string

// MarshalJSON writes a single name as a string and several as an array.
func (s StringOrArray) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return json.Marshal(s[0])
	}
	return json.Marshal([]string(s))
}

// UnmarshalJSON accepts a string or an array of strings.
func (s *StringOrArray) UnmarshalJSON(data []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte(`"`)) {
		var one string
		if err := json.Unmarshal(data, &one); err != nil {
			return err
		}
		*s = StringOrArray{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return fmt.Errorf("schema type must be a string or an array of strings: %w", err)
	}
	*s = many
	return nil
}

// SchemaOrBool is "additionalProperties": either a schema the extra
// properties must match, or a plain yes/no.
type SchemaOrBool struct {
	Allows bool
	Schema *Schema
}

// MarshalJSON writes the schema when there is one, else the boolean.
func (s SchemaOrBool) MarshalJSON() ([]byte, error) {
	if s.Schema != nil {
		return json.Marshal(s.Schema)
	}
	return json.Marshal(s.Allows)
}

// UnmarshalJSON accepts a boolean or a schema object.
func (s *SchemaOrBool) UnmarshalJSON(data []byte) error {
	var b bool
	if err := json.Unmarshal(data, &b); err == nil {
		*s = SchemaOrBool{Allows: b}
		return nil
	}
	var sch Schema
	if err := json.Unmarshal(data, &sch); err != nil {
		return fmt.Errorf("additionalProperties must be a boolean or a schema: %w", err)
	}
	*s = SchemaOrBool{Allows: true, Schema: &sch}
	return nil
}

// SchemaOrArray is "items": one schema for every element, or one per position.
type SchemaOrArray struct {
	Schema  *Schema
	Schemas []Schema
}

// MarshalJSON writes the single schema when there is one, else the list.
func (s SchemaOrArray) MarshalJSON() ([]byte, error) {
	if s.Schema != nil {
		return json.Marshal(s.Schema)
	}
	return json.Marshal(s.Schemas)
}

// UnmarshalJSON accepts a schema object or an array of them.
func (s *SchemaOrArray) UnmarshalJSON(data []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")) {
		return json.Unmarshal(data, &s.Schemas)
	}
	s.Schema = new(Schema)
	return json.Unmarshal(data, s.Schema)
}

func float(f float64) *float64 { return &f }

// basicSchema gives the schema Fabric writes for a scalar kind; the sizes and
// formats match fabric-contract-api-go so metadata documents compare equal.
func basicSchema(k reflect.Kind) (*Schema, bool) {
	switch k {
	case reflect.Bool:
		return &Schema{Type: StringOrArray{"boolean"}}, true
	case reflect.String:
		return &Schema{Type: StringOrArray{"string"}}, true
	case reflect.Interface:
		return &Schema{}, true
	case reflect.Int, reflect.Int64:
		return &Schema{Type: StringOrArray{"integer"}, Format: "int64"}, true
	case reflect.Int8:
		return &Schema{Type: StringOrArray{"integer"}, Format: "int8"}, true
	case reflect.Int16:
		return &Schema{Type: StringOrArray{"integer"}, Format: "int16"}, true
	case reflect.Int32:
		return &Schema{Type: StringOrArray{"integer"}, Format: "int32"}, true
	case reflect.Uint8:
		return &Schema{Type: StringOrArray{"integer"}, Format: "int32", Minimum: float(0), Maximum: float(math.MaxUint8)}, true
	case reflect.Uint16:
		return &Schema{Type: StringOrArray{"integer"}, Format: "int64", Minimum: float(0), Maximum: float(math.MaxUint16)}, true
	case reflect.Uint32:
		return &Schema{Type: StringOrArray{"integer"}, Format: "int64", Minimum: float(0), Maximum: float(math.MaxUint32)}, true
	case reflect.Uint, reflect.Uint64:
		return &Schema{Type: StringOrArray{"number"}, Format: "double", MultipleOf: float(1), Minimum: float(0), Maximum: float(math.MaxUint64)}, true
	case reflect.Float32:
		return &Schema{Type: StringOrArray{"number"}, Format: "float"}, true
	case reflect.Float64:
		return &Schema{Type: StringOrArray{"number"}, Format: "double"}, true
	}
	return nil, false
}

// GetSchema returns the JSON schema of a parameter or return type. A struct
// (or pointer to one) becomes a reference to "#/components/schemas/<Name>"
// and its object schema is added to components if it is not there yet.
func GetSchema(field reflect.Type, components *ComponentMetadata) (*Schema, error) {
	return schemaOf(field, components, false)
}

// schemaOf builds the schema of t. Inside a component (nested) Fabric writes
// struct references as the bare type name, resolved against the components'
// $id; at the top level it writes the full JSON pointer.
func schemaOf(t reflect.Type, components *ComponentMetadata, nested bool) (*Schema, error) {
	if types.IsBytes(t) {
		return &Schema{Type: StringOrArray{"string"}, Format: "byte"}, nil
	}
	if s, ok := basicSchema(t.Kind()); ok {
		return s, nil
	}
	if t == types.TimeType {
		return &Schema{Type: StringOrArray{"string"}, Format: "date-time"}, nil
	}
	switch t.Kind() {
	case reflect.Array:
		if t.Len() < 1 {
			return nil, fmt.Errorf("array type %s: arrays must have length greater than 0", t)
		}
		fallthrough
	case reflect.Slice:
		items, err := schemaOf(t.Elem(), components, nested)
		if err != nil {
			return nil, err
		}
		return &Schema{Type: StringOrArray{"array"}, Items: &SchemaOrArray{Schema: items}}, nil
	case reflect.Map:
		values, err := schemaOf(t.Elem(), components, nested)
		if err != nil {
			return nil, err
		}
		return &Schema{Type: StringOrArray{"object"}, AdditionalProperties: &SchemaOrBool{Allows: true, Schema: values}}, nil
	case reflect.Pointer:
		if t.Elem().Kind() != reflect.Struct {
			break
		}
		t = t.Elem()
		fallthrough
	case reflect.Struct:
		if err := addComponent(t, components); err != nil {
			return nil, err
		}
		if nested {
			return &Schema{Ref: t.Name()}, nil
		}
		return &Schema{Ref: "#/components/schemas/" + t.Name()}, nil
	}
	return nil, fmt.Errorf("%s was not a valid type", t)
}

// addComponent writes the object schema of struct type t into components
// under its type name. The name is reserved before the fields are walked so a
// struct that refers to itself terminates.
func addComponent(t reflect.Type, components *ComponentMetadata) error {
	if _, ok := components.Schemas[t.Name()]; ok {
		return nil
	}
	if components.Schemas == nil {
		components.Schemas = map[string]ObjectMetadata{}
	}
	obj := ObjectMetadata{ID: t.Name(), Properties: map[string]Schema{}, Required: []string{}}
	components.Schemas[t.Name()] = obj
	for i := range t.NumField() {
		if err := addField(t.Field(i), &obj, components); err != nil {
			delete(components.Schemas, t.Name())
			return fmt.Errorf("struct %s: %w", t, err)
		}
	}
	components.Schemas[t.Name()] = obj
	return nil
}

// addField adds one struct field to obj. The property name comes from the
// `metadata` tag, then the `json` tag, then the field name; ",optional" in the
// metadata tag leaves it out of required; "-" or an unexported untagged field
// is skipped. Embedded structs contribute their own fields.
func addField(f reflect.StructField, obj *ObjectMetadata, components *ComponentMetadata) error {
	if f.Anonymous {
		if f.Type.Kind() == reflect.Struct {
			for i := range f.Type.NumField() {
				if err := addField(f.Type.Field(i), obj, components); err != nil {
					return err
				}
			}
		}
		return nil
	}
	name, opts, _ := strings.Cut(f.Tag.Get("metadata"), ",")
	required := true
	for o := range strings.SplitSeq(opts, ",") {
		if strings.TrimSpace(o) == "optional" {
			required = false
		}
	}
	if name == "-" || (name == "" && unicode.IsLower([]rune(f.Name)[0])) {
		return nil
	}
	if name == "" {
		name, _, _ = strings.Cut(f.Tag.Get("json"), ",")
	}
	if name == "" || name == "-" {
		name = f.Name
	}
	s, err := schemaOf(f.Type, components, true)
	if err != nil {
		return fmt.Errorf("field %s: %w", f.Name, err)
	}
	if required {
		obj.Required = append(obj.Required, name)
	}
	obj.Properties[name] = *s
	return nil
}

// objectSchema views a component as a plain schema for validation. Like the
// component document itself it has no "type", so (as with Fabric) a null
// where a struct is expected passes; decoding into the struct then decides.
func (o ObjectMetadata) objectSchema() *Schema {
	return &Schema{
		ID:                   o.ID,
		Properties:           maps.Clone(o.Properties),
		Required:             o.Required,
		AdditionalProperties: &SchemaOrBool{Allows: o.AdditionalProperties},
	}
}
