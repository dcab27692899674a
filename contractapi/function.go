package contractapi

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/chaincodekit/chaincodekit/contractapi/internal/types"
	"github.com/chaincodekit/chaincodekit/contractapi/metadata"
	"github.com/chaincodekit/chaincodekit/contractapi/serializer"
	"github.com/chaincodekit/chaincodekit/contractapi/utils"
)

// callType says how a transaction is tagged in the metadata.
type callType int

const (
	callSubmit callType = iota + 1
	callEvaluate
)

// hookKind names the three per-contract hooks.
type hookKind string

const (
	hookBefore  hookKind = "Before"
	hookAfter   hookKind = "After"
	hookUnknown hookKind = "Unknown"
)

// txFunction is a transaction function or hook, checked once at NewChaincode
// and called by reflection for each transaction.
type txFunction struct {
	name     string
	fn       reflect.Value
	callType callType
	takesCtx bool
	params   []reflect.Type
	success  reflect.Type // nil when nothing but an error (or nothing) is returned
	hasError bool
}

// newTxFunction checks the signature of fn against the rules for parameters
// (optional context first, then supported types) and returns (a value, an
// error, both, or nothing).
func newTxFunction(name string, fn reflect.Value, ctxType reflect.Type, ct callType) (*txFunction, error) {
	ft := fn.Type()
	f := &txFunction{name: name, fn: fn, callType: ct}
	for i := range ft.NumIn() {
		in := ft.In(i)
		typeErr := checkType(in, nil, false)
		isCtx := in == ctxType
		if typeErr != nil && !isCtx && i == 0 && in.Kind() == reflect.Interface {
			if !ctxType.Implements(in) {
				return nil, fmt.Errorf("%s contains invalid transaction context interface type. Set transaction context for contract does not meet interface used in method: %s does not implement %s", name, ctxType, in)
			}
			isCtx = true
		}
		switch {
		case typeErr != nil && !isCtx:
			return nil, fmt.Errorf("%s contains invalid parameter type. %w", name, typeErr)
		case isCtx && i != 0:
			return nil, fmt.Errorf("functions requiring the TransactionContext must require it as the first parameter. %s takes it in as parameter %d", name, i)
		case isCtx:
			f.takesCtx = true
		default:
			f.params = append(f.params, in)
		}
	}
	switch ft.NumOut() {
	case 0:
	case 1:
		out := ft.Out(0)
		if err := checkType(out, nil, true); err != nil {
			return nil, fmt.Errorf("%s contains invalid single return type. %w", name, err)
		}
		if out == types.ErrorType {
			f.hasError = true
		} else {
			f.success = out
		}
	case 2:
		first, second := ft.Out(0), ft.Out(1)
		if err := checkType(first, nil, true); err != nil && first != types.ErrorType {
			return nil, fmt.Errorf("%s contains invalid first return type. %w", name, err)
		}
		if second != types.ErrorType {
			return nil, fmt.Errorf("%s contains invalid second return type. Type %s is not valid. Expected error", name, second)
		}
		f.success, f.hasError = first, true
	default:
		return nil, fmt.Errorf("functions may only return a maximum of two values. %s returns %d", name, ft.NumOut())
	}
	return f, nil
}

// newHook checks a before, after or unknown-transaction hook. Before and
// unknown hooks take only the context; an after hook may also take one
// interface{} parameter, the transaction function's result.
func newHook(fn interface{}, ctxType reflect.Type, kind hookKind) (*txFunction, error) {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func {
		return nil, fmt.Errorf("error creating %s. cannot create new contract function from %s. Can only use func", kind, v.Kind())
	}
	f, err := newTxFunction("Function", v, ctxType, 0)
	if err != nil {
		return nil, fmt.Errorf("error creating %s. %w", kind, err)
	}
	switch {
	case kind != hookAfter && len(f.params) > 0:
		return nil, fmt.Errorf("%s transactions may not take any params other than the transaction context", kind)
	case kind == hookAfter && len(f.params) > 1:
		return nil, errors.New("after transactions must take at most one non-context param")
	case kind == hookAfter && len(f.params) == 1 && f.params[0].Kind() != reflect.Interface:
		return nil, errors.New("after transaction must take type interface{} as their only non-context param")
	}
	return f, nil
}

// checkType reports whether t may be a parameter (or, with allowError, a
// return) type. seen holds the struct types already being checked, so
// recursive structs terminate.
func checkType(t reflect.Type, seen map[reflect.Type]bool, allowError bool) error {
	switch t.Kind() {
	case reflect.Array:
		if t.Len() < 1 {
			return errors.New("arrays must have length greater than 0")
		}
		return checkType(t.Elem(), seen, false)
	case reflect.Slice:
		return checkType(t.Elem(), seen, false)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return fmt.Errorf("map key type %s is not valid. Expected string", t.Key())
		}
		return checkType(t.Elem(), seen, false)
	}
	if seen[t] {
		return nil
	}
	st := t
	if t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct {
		st = t.Elem()
	}
	if st.Kind() == reflect.Struct {
		if seen == nil {
			seen = map[reflect.Type]bool{}
		}
		seen[st], seen[reflect.PointerTo(st)] = true, true
		for i := range st.NumField() {
			field := st.Field(i)
			if r := []rune(field.Name); len(r) > 0 && !unicode.IsUpper(r[0]) && field.Tag.Get("metadata") == "" {
				continue
			}
			if err := checkType(field.Type, seen, false); err != nil {
				return err
			}
		}
		return nil
	}
	valid := types.IsBasic(t.Kind())
	if t.Kind() == reflect.Interface {
		valid = t.NumMethod() == 0 || (allowError && t == types.ErrorType)
	}
	if !valid {
		errStr := ""
		if allowError {
			errStr = " error,"
		}
		return fmt.Errorf("type %s is not valid. Expected a struct or one of the basic types%s %s or an array/slice of these",
			t, errStr, sentence(types.BasicKindNames()))
	}
	return nil
}

// sentence joins items as "a, b and c".
func sentence(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// call converts args, calls the function and serializes its result. tx, when
// not nil, supplies parameter and return schemas to check against.
func (f *txFunction) call(ctx reflect.Value, args []string, tx *metadata.TransactionMetadata, components *metadata.ComponentMetadata, ser serializer.TransactionSerializer) (string, interface{}, error) {
	var paramMD []metadata.ParameterMetadata
	var returnMD *metadata.ReturnMetadata
	if tx != nil {
		paramMD, returnMD = tx.Parameters, &tx.Returns
		if len(paramMD) != len(f.params) {
			return "", nil, fmt.Errorf("incorrect number of params in supplementary metadata. Expected %d, received %d", len(f.params), len(paramMD))
		}
	}
	if len(args) != len(f.params) {
		return "", nil, fmt.Errorf("incorrect number of params. Expected %d, received %d", len(f.params), len(args))
	}
	in := make([]reflect.Value, 0, len(args)+1)
	if f.takesCtx {
		in = append(in, ctx)
	}
	for i, t := range f.params {
		var pm *metadata.ParameterMetadata
		name := fmt.Sprintf("param%d", i)
		if paramMD != nil {
			pm = &paramMD[i]
			name = pm.Name
		}
		v, err := ser.FromString(args[i], t, pm, components)
		if err != nil {
			return "", nil, fmt.Errorf("error managing parameter %s. %w", name, err)
		}
		in = append(in, v)
	}
	return f.invoke(in, returnMD, components, ser)
}

// callHook calls a hook with the context and, for an after hook taking a
// parameter, the transaction's result (a nil *utils.UndefinedInterface when
// the function returned no value).
func (f *txFunction) callHook(ctx reflect.Value, kind hookKind, result interface{}, ser serializer.TransactionSerializer) (string, interface{}, error) {
	var in []reflect.Value
	if f.takesCtx {
		in = append(in, ctx)
	}
	if kind == hookAfter && len(f.params) == 1 {
		if result == nil {
			in = append(in, reflect.Zero(reflect.TypeFor[*utils.UndefinedInterface]()))
		} else {
			in = append(in, reflect.ValueOf(result))
		}
	}
	return f.invoke(in, nil, nil, ser)
}

func (f *txFunction) invoke(in []reflect.Value, returnMD *metadata.ReturnMetadata, components *metadata.ComponentMetadata, ser serializer.TransactionSerializer) (string, interface{}, error) {
	var out []reflect.Value
	if f.fn.Type().IsVariadic() {
		out = f.fn.CallSlice(in)
	} else {
		out = f.fn.Call(in)
	}
	var payload string
	var result interface{}
	if f.success != nil {
		v := out[0]
		if ser != nil {
			s, err := ser.ToString(v, f.success, returnMD, components)
			if err != nil {
				return "", nil, fmt.Errorf("error handling success response. %w", err)
			}
			payload = s
		}
		result = v.Interface()
	}
	if f.hasError {
		if e := out[len(out)-1]; !e.IsNil() {
			return payload, result, e.Interface().(error)
		}
	}
	return payload, result, nil
}
