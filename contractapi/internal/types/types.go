// Package types knows which Go types a transaction function may take and
// return, and turns argument strings into values of the basic kinds.
package types

import (
	"fmt"
	"reflect"
	"strconv"
	"time"
)

// TimeType is the reflect type of time.Time, which travels as an RFC 3339 string.
var TimeType = reflect.TypeFor[time.Time]()

// ErrorType is the reflect type of the error interface.
var ErrorType = reflect.TypeFor[error]()

// IsBytes reports whether t is a slice or array of bytes, which travels as raw bytes.
func IsBytes(t reflect.Type) bool {
	return (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t.Elem().Kind() == reflect.Uint8
}

// IsBasic reports whether k is one of the scalar kinds a parameter may have:
// bool, the sized and unsized ints and uints, the floats, string, or interface.
func IsBasic(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.String, reflect.Interface,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// BasicKindNames lists the basic kinds in alphabetical order, for error messages.
func BasicKindNames() []string {
	return []string{"bool", "float32", "float64", "int", "int16", "int32", "int64", "int8",
		"interface", "string", "uint", "uint16", "uint32", "uint64", "uint8"}
}

// ConvertBasic parses s into a value of type t, whose kind must satisfy
// IsBasic. An empty string gives the zero value, as Fabric does. A named type
// (type Colour string) gets a value of that named type.
func ConvertBasic(s string, t reflect.Type) (reflect.Value, error) {
	v := reflect.New(t).Elem()
	if s == "" {
		if t.Kind() == reflect.Interface {
			v.Set(reflect.ValueOf(s))
		}
		return v, nil
	}
	switch k := t.Kind(); k {
	case reflect.String:
		v.SetString(s)
	case reflect.Interface:
		if !reflect.TypeFor[string]().AssignableTo(t) {
			return reflect.Value{}, fmt.Errorf("cannot convert passed value %s to %s", s, t)
		}
		v.Set(reflect.ValueOf(s))
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return reflect.Value{}, fmt.Errorf("cannot convert passed value %s to bool", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, t.Bits())
		if err != nil {
			return reflect.Value{}, fmt.Errorf("cannot convert passed value %s to %s", s, k)
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, t.Bits())
		if err != nil {
			return reflect.Value{}, fmt.Errorf("cannot convert passed value %s to %s", s, k)
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, t.Bits())
		if err != nil {
			return reflect.Value{}, fmt.Errorf("cannot convert passed value %s to %s", s, k)
		}
		v.SetFloat(f)
	default:
		return reflect.Value{}, fmt.Errorf("type %s is not a basic type", t)
	}
	return v, nil
}
