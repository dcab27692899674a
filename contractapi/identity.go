package contractapi

import (
	"crypto/x509"

	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/chaincodekit/chaincodekit/shim/cid"
)

// clientIdentity reads the submitter from the stub. When the creator is
// missing or malformed it returns an identity whose methods all report why,
// so a transaction that asks gets an error rather than a nil-pointer panic,
// and one that never asks is unaffected.
func clientIdentity(stub shim.ChaincodeStubInterface) cid.ClientIdentity {
	id, err := cid.New(stub)
	if err != nil {
		return unreadableIdentity{err: err}
	}
	return id
}

// unreadableIdentity is the identity of a transaction whose creator could not
// be parsed; every method returns the parse error.
type unreadableIdentity struct{ err error }

func (u unreadableIdentity) GetID() (string, error)                         { return "", u.err }
func (u unreadableIdentity) GetMSPID() (string, error)                      { return "", u.err }
func (u unreadableIdentity) GetAttributeValue(string) (string, bool, error) { return "", false, u.err }
func (u unreadableIdentity) AssertAttributeValue(string, string) error      { return u.err }
func (u unreadableIdentity) GetX509Certificate() (*x509.Certificate, error) { return nil, u.err }
