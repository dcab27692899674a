package contractapi

import (
	"github.com/chaincodekit/chaincodekit/shim"
)

// fakeStub is a hand-written stub: the call's arguments, a creator, and a
// small state map. Methods the contract API never calls are left to the
// embedded nil interface and panic if a test strays onto them.
type fakeStub struct {
	shim.ChaincodeStubInterface
	args       []string
	creator    []byte
	creatorErr error
	state      map[string][]byte
	// GetStateFunc, when set, replaces the map lookup.
	GetStateFunc func(key string) ([]byte, error)
}

func newStub(args ...string) *fakeStub {
	return &fakeStub{args: args, state: map[string][]byte{}}
}

func (s *fakeStub) GetFunctionAndParameters() (string, []string) {
	if len(s.args) == 0 {
		return "", nil
	}
	return s.args[0], s.args[1:]
}

func (s *fakeStub) GetArgs() [][]byte {
	out := make([][]byte, len(s.args))
	for i, a := range s.args {
		out[i] = []byte(a)
	}
	return out
}

func (s *fakeStub) GetStringArgs() []string     { return s.args }
func (s *fakeStub) GetTxID() string             { return "txid-1" }
func (s *fakeStub) GetChannelID() string        { return "mychannel" }
func (s *fakeStub) GetCreator() ([]byte, error) { return s.creator, s.creatorErr }
func (s *fakeStub) PutState(k string, v []byte) error {
	s.state[k] = v
	return nil
}

func (s *fakeStub) GetState(k string) ([]byte, error) {
	if s.GetStateFunc != nil {
		return s.GetStateFunc(k)
	}
	return s.state[k], nil
}
