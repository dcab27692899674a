package main

import (
	"errors"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// restrict sets a key's endorsement policy: restrict <key> <role> <orgs...>,
// where an org prefixed with "-" is removed instead.
func restrict(stub shim.ChaincodeStubInterface, params []string) *peer.Response {
	key := params[0]
	current, err := stub.GetStateValidationParameter(key)
	if err != nil {
		return shim.Error(err.Error())
	}
	var ep statebased.KeyEndorsementPolicy
	ep, err = statebased.NewStateEP(current)
	if err != nil {
		return shim.Error(err.Error())
	}
	role := statebased.RoleTypePeer
	if params[1] == "member" {
		role = statebased.RoleTypeMember
	} else if params[1] != "peer" {
		role = statebased.RoleType(strings.ToUpper(params[1]))
	}
	for _, org := range params[2:] {
		if removed, ok := strings.CutPrefix(org, "-"); ok {
			ep.DelOrgs(removed)
			continue
		}
		if err := ep.AddOrgs(role, org); err != nil {
			var unknown *statebased.RoleTypeDoesNotExistError
			if errors.As(err, &unknown) {
				return shim.Error("no such role " + string(unknown.RoleType))
			}
			return shim.Error(err.Error())
		}
	}
	policy, err := ep.Policy()
	if err != nil {
		return shim.Error(err.Error())
	}
	if err := stub.SetStateValidationParameter(key, policy); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(policy)
}

// endorsers lists the organisations that must endorse changes to a key.
func endorsers(stub shim.ChaincodeStubInterface, params []string) *peer.Response {
	current, err := stub.GetStateValidationParameter(params[0])
	if err != nil {
		return shim.Error(err.Error())
	}
	ep, err := statebased.NewStateEP(current)
	if err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success([]byte(strings.Join(ep.ListOrgs(), ",")))
}
