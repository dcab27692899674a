package shim

import (
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	fabshim "github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// signatures lists "Name func(...)" for the exported methods of t and, for a
// struct, "Name type" for its exported fields. Both shims' packages are
// named shim, so the type strings of equivalent signatures are equal.
func signatures(t reflect.Type) []string {
	var out []string
	for m := range t.Methods() {
		if m.IsExported() {
			out = append(out, m.Name+" "+m.Type.String())
		}
	}
	s := t
	if s.Kind() == reflect.Pointer {
		s = s.Elem()
	}
	if s.Kind() == reflect.Struct {
		for f := range s.Fields() {
			if f.IsExported() {
				out = append(out, f.Name+" "+f.Type.String())
			}
		}
	}
	slices.Sort(out)
	return out
}

// The compatibility test in shim/compattest calls every method, which
// compiles even when a parameter type differs (an untyped constant fits
// int and int32 alike). A chaincode's own mock of the stub, or a method
// value stored in a typed variable, needs the exact signatures: this test
// compares them with Fabric's.
func TestExportedAPIHasFabricsExactSignatures(t *testing.T) {
	tests := []struct {
		name          string
		ours, fabrics reflect.Type
		// exact: an interface must have no extra method either, or the
		// mocks chaincodes write of it stop compiling.
		exact bool
	}{
		{"ChaincodeStubInterface", reflect.TypeFor[ChaincodeStubInterface](), reflect.TypeFor[fabshim.ChaincodeStubInterface](), true},
		{"Chaincode", reflect.TypeFor[Chaincode](), reflect.TypeFor[fabshim.Chaincode](), true},
		{"CommonIteratorInterface", reflect.TypeFor[CommonIteratorInterface](), reflect.TypeFor[fabshim.CommonIteratorInterface](), true},
		{"StateQueryIteratorInterface", reflect.TypeFor[StateQueryIteratorInterface](), reflect.TypeFor[fabshim.StateQueryIteratorInterface](), true},
		{"HistoryQueryIteratorInterface", reflect.TypeFor[HistoryQueryIteratorInterface](), reflect.TypeFor[fabshim.HistoryQueryIteratorInterface](), true},
		{"PeerChaincodeStream", reflect.TypeFor[PeerChaincodeStream](), reflect.TypeFor[fabshim.PeerChaincodeStream](), true},
		{"ClientStream", reflect.TypeFor[ClientStream](), reflect.TypeFor[fabshim.ClientStream](), true},
		{"*ChaincodeStub", reflect.TypeFor[*ChaincodeStub](), reflect.TypeFor[*fabshim.ChaincodeStub](), false},
		{"*CommonIterator", reflect.TypeFor[*CommonIterator](), reflect.TypeFor[*fabshim.CommonIterator](), false},
		{"*StateQueryIterator", reflect.TypeFor[*StateQueryIterator](), reflect.TypeFor[*fabshim.StateQueryIterator](), false},
		{"*HistoryQueryIterator", reflect.TypeFor[*HistoryQueryIterator](), reflect.TypeFor[*fabshim.HistoryQueryIterator](), false},
		{"*ChaincodeServer", reflect.TypeFor[*ChaincodeServer](), reflect.TypeFor[*fabshim.ChaincodeServer](), false},
		{"TLSProperties", reflect.TypeFor[TLSProperties](), reflect.TypeFor[fabshim.TLSProperties](), false},
		{"Start", reflect.TypeOf(Start), reflect.TypeOf(fabshim.Start), true},
		{"StartInProc", reflect.TypeOf(StartInProc), reflect.TypeOf(fabshim.StartInProc), true},
		{"Success", reflect.TypeOf(Success), reflect.TypeOf(fabshim.Success), true},
		{"Error", reflect.TypeOf(Error), reflect.TypeOf(fabshim.Error), true},
		{"GetMSPID", reflect.TypeOf(GetMSPID), reflect.TypeOf(fabshim.GetMSPID), true},
		{"CreateCompositeKey", reflect.TypeOf(CreateCompositeKey), reflect.TypeOf(fabshim.CreateCompositeKey), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.ours.Kind() == reflect.Func {
				if got, want := tt.ours.String(), tt.fabrics.String(); got != want {
					t.Errorf("signature is %s, Fabric's is %s", got, want)
				}
				return
			}
			ours, fabrics := signatures(tt.ours), signatures(tt.fabrics)
			if tt.exact {
				if diff := cmp.Diff(fabrics, ours); diff != "" {
					t.Errorf("differs from Fabric's (-fabric +ours):\n%s", diff)
				}
				return
			}
			for _, sig := range fabrics {
				if !slices.Contains(ours, sig) {
					t.Errorf("Fabric's %s has %s; ours does not", tt.name, sig)
				}
			}
		})
	}
}

func TestStatusConstantsAreFabrics(t *testing.T) {
	tests := []struct {
		name          string
		ours, fabrics int32
	}{
		{"OK", OK, fabshim.OK},
		{"ERRORTHRESHOLD", ERRORTHRESHOLD, fabshim.ERRORTHRESHOLD},
		{"ERROR", ERROR, fabshim.ERROR},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.ours != tt.fabrics {
				t.Errorf("%s is %d, Fabric's is %d", tt.name, tt.ours, tt.fabrics)
			}
		})
	}
}
