package main

import (
	"crypto/x509"
	"encoding/json"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// The shim's stub is all cid needs.
var _ cid.ChaincodeStubInterface = shim.ChaincodeStubInterface(nil)

// whoami reports the submitter, through the package functions and through a
// ClientIdentity.
func whoami(stub shim.ChaincodeStubInterface, _ []string) *peer.Response {
	id, err := cid.GetID(stub)
	if err != nil {
		return shim.Error(err.Error())
	}
	mspID, err := cid.GetMSPID(stub)
	if err != nil {
		return shim.Error(err.Error())
	}
	role, found, err := cid.GetAttributeValue(stub, "role")
	if err != nil {
		return shim.Error(err.Error())
	}
	auditor := cid.AssertAttributeValue(stub, "role", "auditor") == nil
	client, err := cid.HasOUValue(stub, "client")
	if err != nil {
		return shim.Error(err.Error())
	}
	var cert *x509.Certificate
	cert, err = cid.GetX509Certificate(stub)
	if err != nil {
		return shim.Error(err.Error())
	}

	var ci cid.ClientIdentity
	c, err := cid.New(stub)
	if err != nil {
		return shim.Error(err.Error())
	}
	ci = c
	if _, err := ci.GetID(); err != nil {
		return shim.Error(err.Error())
	}
	if _, err := ci.GetMSPID(); err != nil {
		return shim.Error(err.Error())
	}
	if _, _, err := ci.GetAttributeValue("hf.EnrollmentID"); err != nil {
		return shim.Error(err.Error())
	}
	if err := ci.AssertAttributeValue("hf.Type", "client"); err != nil {
		return shim.Error(err.Error())
	}
	if _, err := ci.GetX509Certificate(); err != nil {
		return shim.Error(err.Error())
	}
	var clientID *cid.ClientID = c
	peerOU, err := clientID.HasOUValue("peer")
	if err != nil {
		return shim.Error(err.Error())
	}

	out, err := json.Marshal(map[string]any{
		"id": id, "msp": mspID, "role": role, "hasRole": found, "auditor": auditor,
		"client": client, "peer": peerOU, "cn": cert.Subject.CommonName,
	})
	if err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(out)
}
