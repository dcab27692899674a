// Command privatedata shows private data collections on the raw shim.
// It is instantiated with collections_config.json, which defines two
// collections:
//
//   - assetDetails, whose members are Org1MSP (the peersim peer's
//     organisation): the peer keeps the clear values, for blockToLive = 3
//     blocks after the write, then purges them on its own;
//   - org2Appraisals, whose only member is Org2MSP, with memberOnlyRead:
//     the Org1 peer stores only the hashes of its values, and a client of
//     Org1 may not read it, but anyone can check a claimed value against the
//     on-chain hash.
//
// Private values never travel in the transaction's arguments (which every
// channel member sees): they come in the proposal's transient map.
//
//	createAsset <id>        transient "asset": {"color":..,"size":..,"owner":..}
//	readAsset <id>          the asset's details from assetDetails
//	deleteAsset <id>        delete from assetDetails
//	purgeAsset <id>         purge from assetDetails: value and history of hashes
//	appraise <id>           transient "appraisal": the appraisal, stored in org2Appraisals
//	readAppraisal <id>      read org2Appraisals (refused for non-members)
//	verifyAppraisal <id>    transient "appraisal": "true" when its SHA-256 matches the stored hash
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log"

	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Collection names, as in collections_config.json.
const (
	DetailsCollection   = "assetDetails"
	AppraisalCollection = "org2Appraisals"
)

// Transient map keys.
const (
	TransientAsset     = "asset"
	TransientAppraisal = "appraisal"
)

// Details are an asset's private details.
type Details struct {
	Color string `json:"color"`
	Size  int    `json:"size"`
	Owner string `json:"owner"`
}

// PrivateData is the chaincode.
type PrivateData struct{}

// Init does nothing.
func (PrivateData) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

// Invoke dispatches on the function name; every function takes one
// argument, the asset ID.
func (PrivateData) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	if len(args) != 1 || args[0] == "" {
		return shim.Error(fmt.Sprintf("%s needs 1 argument, the asset ID; got %q", fn, args))
	}
	id := args[0]
	var (
		payload []byte
		err     error
	)
	switch fn {
	case "createAsset":
		err = createAsset(stub, id)
	case "readAsset":
		payload, err = read(stub, DetailsCollection, id)
	case "deleteAsset":
		err = stub.DelPrivateData(DetailsCollection, id)
	case "purgeAsset":
		err = stub.PurgePrivateData(DetailsCollection, id)
	case "appraise":
		err = appraise(stub, id)
	case "readAppraisal":
		payload, err = read(stub, AppraisalCollection, id)
	case "verifyAppraisal":
		payload, err = verifyAppraisal(stub, id)
	default:
		err = fmt.Errorf("unknown function %q", fn)
	}
	if err != nil {
		return shim.Error(fmt.Sprintf("%s %s: %v", fn, id, err))
	}
	return shim.Success(payload)
}

// createAsset stores the details given in the transient map.
func createAsset(stub shim.ChaincodeStubInterface, id string) error {
	raw, err := transient(stub, TransientAsset)
	if err != nil {
		return err
	}
	var d Details
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("transient %q is not asset JSON: %w", TransientAsset, err)
	}
	if d.Color == "" || d.Owner == "" || d.Size <= 0 {
		return fmt.Errorf("transient %q needs color, owner and a positive size", TransientAsset)
	}
	// Reading the hash, not the value, works for members and non-members
	// alike and records only a hashed read.
	hash, err := stub.GetPrivateDataHash(DetailsCollection, id)
	if err != nil {
		return err
	}
	if hash != nil {
		return fmt.Errorf("asset already exists")
	}
	clean, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return stub.PutPrivateData(DetailsCollection, id, clean)
}

// appraise stores the transient appraisal, byte for byte, in a
// collection this peer is not a member of: the peer endorses the write,
// but keeps only its hash.
func appraise(stub shim.ChaincodeStubInterface, id string) error {
	raw, err := transient(stub, TransientAppraisal)
	if err != nil {
		return err
	}
	return stub.PutPrivateData(AppraisalCollection, id, raw)
}

func read(stub shim.ChaincodeStubInterface, collection, id string) ([]byte, error) {
	raw, err := stub.GetPrivateData(collection, id)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("no private data in %s", collection)
	}
	return raw, nil
}

// verifyAppraisal compares the SHA-256 of a claimed appraisal with the
// hash the ledger holds for the key.
func verifyAppraisal(stub shim.ChaincodeStubInterface, id string) ([]byte, error) {
	claimed, err := transient(stub, TransientAppraisal)
	if err != nil {
		return nil, err
	}
	onChain, err := stub.GetPrivateDataHash(AppraisalCollection, id)
	if err != nil {
		return nil, err
	}
	if onChain == nil {
		return nil, fmt.Errorf("no appraisal recorded")
	}
	sum := sha256.Sum256(claimed)
	if bytes.Equal(sum[:], onChain) {
		return []byte("true"), nil
	}
	return []byte("false"), nil
}

func transient(stub shim.ChaincodeStubInterface, key string) ([]byte, error) {
	tm, err := stub.GetTransient()
	if err != nil {
		return nil, err
	}
	v, ok := tm[key]
	if !ok || len(v) == 0 {
		return nil, fmt.Errorf("transient map has no %q entry", key)
	}
	return v, nil
}

func main() {
	if err := shim.Start(PrivateData{}); err != nil {
		log.Fatalf("privatedata: %v", err)
	}
}
