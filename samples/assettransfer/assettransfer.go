// Command assettransfer is a contract-style chaincode (package
// contractapi): JSON assets owned by client identities, with
//
//   - ownership bound to the submitter: an asset's owner is the creator's
//     unique ID (cid GetID) and MSP ID, and only the owner may transfer or
//     delete it;
//   - attribute-based access: only identities whose certificate carries
//     the attribute abac.creator=true may create assets
//     (cid.AssertAttributeValue);
//   - chaincode events: CreateAsset emits AssetCreated and TransferAsset
//     emits AssetTransferred, each with the asset as JSON payload; a client
//     receives them once the transaction is committed.
//
// Functions (called by name, arguments as JSON values):
//
//	InitLedger()
//	CreateAsset(id, color, size, appraisedValue)
//	ReadAsset(id) Asset
//	AssetExists(id) bool
//	TransferAsset(id, newOwnerID, newOwnerMSP)
//	DeleteAsset(id)
//	GetAllAssets() []Asset
package main

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/chaincodekit/chaincodekit/contractapi"
	"github.com/chaincodekit/chaincodekit/shim/cid"
)

// CreatorAttribute is the certificate attribute that allows CreateAsset.
const CreatorAttribute = "abac.creator"

// Event names.
const (
	EventCreated     = "AssetCreated"
	EventTransferred = "AssetTransferred"
)

// Asset is the JSON document stored under its ID.
type Asset struct {
	ID             string `json:"ID"`
	Color          string `json:"color"`
	Size           int    `json:"size"`
	Owner          string `json:"owner"`
	OwnerMSP       string `json:"ownerMSP"`
	AppraisedValue int    `json:"appraisedValue"`
}

// SmartContract holds the transaction functions.
type SmartContract struct {
	contractapi.Contract
}

// CreateAsset creates an asset owned by the submitter. The submitter's
// certificate must carry abac.creator=true.
func (s *SmartContract) CreateAsset(ctx contractapi.TransactionContextInterface, id, color string, size, appraisedValue int) error {
	stub := ctx.GetStub()
	if err := cid.AssertAttributeValue(stub, CreatorAttribute, "true"); err != nil {
		return fmt.Errorf("submitter may not create assets: %w", err)
	}
	exists, err := s.AssetExists(ctx, id)
	if err != nil {
		return err
	}
	if exists {
		return fmt.Errorf("asset %s already exists", id)
	}
	owner, err := cid.GetID(stub)
	if err != nil {
		return fmt.Errorf("read submitter ID: %w", err)
	}
	msp, err := cid.GetMSPID(stub)
	if err != nil {
		return fmt.Errorf("read submitter MSP ID: %w", err)
	}
	asset := Asset{ID: id, Color: color, Size: size, Owner: owner, OwnerMSP: msp, AppraisedValue: appraisedValue}
	return putWithEvent(ctx, &asset, EventCreated)
}

// initialAssets are what InitLedger creates: the fabric-samples starting set.
var initialAssets = []Asset{
	{ID: "asset1", Color: "blue", Size: 5, AppraisedValue: 300},
	{ID: "asset2", Color: "red", Size: 5, AppraisedValue: 400},
	{ID: "asset3", Color: "green", Size: 10, AppraisedValue: 500},
}

// InitLedger creates the starting assets that do not exist yet, owned by
// the submitter, who must be allowed to create assets. Calling it again
// changes nothing.
func (s *SmartContract) InitLedger(ctx contractapi.TransactionContextInterface) error {
	for _, a := range initialAssets {
		exists, err := s.AssetExists(ctx, a.ID)
		if err != nil {
			return err
		}
		if exists {
			continue
		}
		if err := s.CreateAsset(ctx, a.ID, a.Color, a.Size, a.AppraisedValue); err != nil {
			return err
		}
	}
	return nil
}

// ReadAsset returns the asset stored under id.
func (s *SmartContract) ReadAsset(ctx contractapi.TransactionContextInterface, id string) (*Asset, error) {
	raw, err := ctx.GetStub().GetState(id)
	if err != nil {
		return nil, fmt.Errorf("read asset %s: %w", id, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("asset %s does not exist", id)
	}
	asset := new(Asset)
	if err := json.Unmarshal(raw, asset); err != nil {
		return nil, fmt.Errorf("asset %s is not valid JSON: %w", id, err)
	}
	return asset, nil
}

// AssetExists reports whether an asset is stored under id.
func (s *SmartContract) AssetExists(ctx contractapi.TransactionContextInterface, id string) (bool, error) {
	raw, err := ctx.GetStub().GetState(id)
	if err != nil {
		return false, fmt.Errorf("read asset %s: %w", id, err)
	}
	return raw != nil, nil
}

// TransferAsset gives an asset to another identity. Only its owner, from
// the owner's organisation, may do so.
func (s *SmartContract) TransferAsset(ctx contractapi.TransactionContextInterface, id, newOwnerID, newOwnerMSP string) error {
	asset, err := s.ReadAsset(ctx, id)
	if err != nil {
		return err
	}
	if err := checkOwner(ctx, asset); err != nil {
		return err
	}
	asset.Owner, asset.OwnerMSP = newOwnerID, newOwnerMSP
	return putWithEvent(ctx, asset, EventTransferred)
}

// DeleteAsset removes an asset; only its owner may.
func (s *SmartContract) DeleteAsset(ctx contractapi.TransactionContextInterface, id string) error {
	asset, err := s.ReadAsset(ctx, id)
	if err != nil {
		return err
	}
	if err := checkOwner(ctx, asset); err != nil {
		return err
	}
	return ctx.GetStub().DelState(id)
}

// GetAllAssets returns every asset, in key order.
func (s *SmartContract) GetAllAssets(ctx contractapi.TransactionContextInterface) ([]*Asset, error) {
	it, err := ctx.GetStub().GetStateByRange("", "")
	if err != nil {
		return nil, fmt.Errorf("list assets: %w", err)
	}
	defer it.Close()
	assets := []*Asset{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("list assets: %w", err)
		}
		asset := new(Asset)
		if err := json.Unmarshal(kv.GetValue(), asset); err != nil {
			return nil, fmt.Errorf("asset %s is not valid JSON: %w", kv.GetKey(), err)
		}
		assets = append(assets, asset)
	}
	return assets, nil
}

// checkOwner refuses a submitter that is not the asset's owner.
func checkOwner(ctx contractapi.TransactionContextInterface, asset *Asset) error {
	id, err := ctx.GetClientIdentity().GetID()
	if err != nil {
		return fmt.Errorf("read submitter ID: %w", err)
	}
	msp, err := ctx.GetClientIdentity().GetMSPID()
	if err != nil {
		return fmt.Errorf("read submitter MSP ID: %w", err)
	}
	if id != asset.Owner || msp != asset.OwnerMSP {
		return fmt.Errorf("submitter is not the owner of asset %s", asset.ID)
	}
	return nil
}

// putWithEvent stores the asset and sets the transaction's event. A
// transaction carries at most one event: a later SetEvent replaces it.
func putWithEvent(ctx contractapi.TransactionContextInterface, asset *Asset, event string) error {
	raw, err := json.Marshal(asset)
	if err != nil {
		return err
	}
	if err := ctx.GetStub().PutState(asset.ID, raw); err != nil {
		return fmt.Errorf("store asset %s: %w", asset.ID, err)
	}
	return ctx.GetStub().SetEvent(event, raw)
}

// NewChaincode returns the chaincode, for main and for tests.
func NewChaincode() (*contractapi.ContractChaincode, error) {
	return contractapi.NewChaincode(&SmartContract{})
}

func main() {
	cc, err := NewChaincode()
	if err != nil {
		log.Fatalf("assettransfer: %v", err)
	}
	if err := cc.Start(); err != nil {
		log.Fatalf("assettransfer: %v", err)
	}
}
