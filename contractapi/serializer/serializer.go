// Package serializer turns transaction arguments from strings into Go values
// and transaction results back into strings, checking both against the
// metadata schemas.
package serializer

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/chaincodekit/chaincodekit/contractapi/internal/types"
	"github.com/chaincodekit/chaincodekit/contractapi/metadata"
)

// TransactionSerializer converts arguments and results of transaction
// functions. A chaincode may replace the JSON one through
// ContractChaincode.TransactionSerializer.
type TransactionSerializer interface {
	// FromString converts the argument string into a value of type t and
	// checks it against the parameter's schema when paramMetadata is given.
	FromString(value string, t reflect.Type, paramMetadata *metadata.ParameterMetadata, components *metadata.ComponentMetadata) (reflect.Value, error)
	// ToString converts a result of declared type t into the response
	// payload and checks it against the return schema when returns is given.
	ToString(result reflect.Value, t reflect.Type, returns *metadata.ReturnMetadata, components *metadata.ComponentMetadata) (string, error)
}

// JSONSerializer is the default TransactionSerializer: scalars travel as
// their text, time.Time as RFC 3339, []byte as raw bytes, and arrays,
// slices, maps and structs as JSON.
type JSONSerializer struct{}

// FromString implements TransactionSerializer.
func (js *JSONSerializer) FromString(value string, t reflect.Type, paramMetadata *metadata.ParameterMetadata, components *metadata.ComponentMetadata) (reflect.Value, error) {
	v, err := convert(value, t)
	if err != nil {
		return reflect.Value{}, fmt.Errorf("conversion error. %w", err)
	}
	if paramMetadata != nil && paramMetadata.CompiledSchema != nil {
		if err := check(paramMetadata.CompiledSchema, t, value, v); err != nil {
			return reflect.Value{}, err
		}
	}
	return v, nil
}

// ToString implements TransactionSerializer. A nil pointer, slice, map or
// interface result gives the empty string and is not checked.
func (js *JSONSerializer) ToString(result reflect.Value, t reflect.Type, returns *metadata.ReturnMetadata, components *metadata.ComponentMetadata) (string, error) {
	if !result.IsValid() || (nillable(result.Kind()) && result.IsNil()) {
		return "", nil
	}
	var s string
	switch {
	case t == types.TimeType:
		s = result.Interface().(time.Time).Format(time.RFC3339)
	case types.IsBytes(t):
		s = string(bytesOf(result))
	case marshalled(t) || (t.Kind() == reflect.Interface && marshalled(result.Elem().Type())):
		b, err := json.Marshal(result.Interface())
		if err != nil {
			return "", fmt.Errorf("marshal result of type %s: %w", t, err)
		}
		s = string(b)
	default:
		s = fmt.Sprint(result.Interface())
	}
	if returns != nil && returns.CompiledSchema != nil {
		if err := check(returns.CompiledSchema, t, s, result); err != nil {
			return "", err
		}
	}
	return s, nil
}

func bytesOf(v reflect.Value) []byte {
	if v.Kind() == reflect.Slice {
		return v.Bytes()
	}
	b := make([]byte, v.Len())
	reflect.Copy(reflect.ValueOf(b), v)
	return b
}

// convert turns an argument string into a value of type t.
func convert(value string, t reflect.Type) (reflect.Value, error) {
	switch {
	case t == types.TimeType:
		tm, err := time.Parse(time.RFC3339, value)
		if err != nil {
			return reflect.Value{}, fmt.Errorf("value %q is not an RFC 3339 time: %w", value, err)
		}
		return reflect.ValueOf(tm), nil
	case types.IsBytes(t):
		v := reflect.New(t).Elem()
		if t.Kind() == reflect.Slice {
			v.SetBytes([]byte(value))
		} else {
			reflect.Copy(v, reflect.ValueOf([]byte(value)))
		}
		return v, nil
	case marshalled(t):
		p := reflect.New(t)
		if err := json.Unmarshal([]byte(value), p.Interface()); err != nil {
			return reflect.Value{}, fmt.Errorf("value %s was not passed in expected format %s", value, t)
		}
		return p.Elem(), nil
	case types.IsBasic(t.Kind()):
		return types.ConvertBasic(value, t)
	}
	return reflect.Value{}, fmt.Errorf("type %s cannot be converted from a string", t)
}

// check validates a value against a compiled schema. Structs are checked in
// the form they were sent (so missing and unknown properties show), times as
// their string, anything else as its JSON encoding.
func check(cs *metadata.CompiledSchema, t reflect.Type, text string, v reflect.Value) error {
	var doc any
	var err error
	switch {
	case t == types.TimeType:
		doc = text
	case types.IsBytes(t):
		// a byte array marshals as a JSON list; check it as the base64
		// string a byte slice gives, which is what its schema describes
		doc = base64.StdEncoding.EncodeToString(bytesOf(v))
	case t.Kind() == reflect.Struct || (t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct):
		doc, err = metadata.DecodeJSON([]byte(text))
	default:
		var b []byte
		b, err = json.Marshal(v.Interface())
		if err == nil {
			doc, err = metadata.DecodeJSON(b)
		}
	}
	if err != nil {
		return fmt.Errorf("value of type %s cannot be checked against its schema: %w", t, err)
	}
	return cs.Validate(doc)
}

func nillable(k reflect.Kind) bool {
	switch k {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func:
		return true
	}
	return false
}

// marshalled reports whether values of t travel as JSON.
func marshalled(t reflect.Type) bool {
	if types.IsBytes(t) {
		return false
	}
	switch t.Kind() {
	case reflect.Array, reflect.Slice, reflect.Map, reflect.Struct:
		return true
	case reflect.Pointer:
		return marshalled(t.Elem())
	}
	return false
}
