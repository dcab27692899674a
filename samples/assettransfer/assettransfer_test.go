package main

import (
	"encoding/json"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/chaincodekit/chaincodekit/shim/cid"
	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

type fixture struct {
	cc      *peersimtest.Chaincode
	creator *identity.SigningIdentity // carries abac.creator=true
	user1   *identity.SigningIdentity // no attributes
}

// setup deploys the chaincode and creates asset1, owned by the creator.
func setup(t *testing.T) fixture {
	t.Helper()
	p := peersimtest.New(t)
	chaincode, err := NewChaincode()
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{
		cc:      p.Deploy(t, "assettransfer", chaincode),
		creator: p.Issue(t, "creator", map[string]string{CreatorAttribute: "true"}),
		user1:   p.User(t, "User1"),
	}
	if r := f.cc.Tx("CreateAsset", "asset1", "blue", "5", "300").As(f.creator).Submit(t); r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("CreateAsset asset1: %v", r)
	}
	return f
}

func readAsset(t *testing.T, cc *peersimtest.Chaincode, id string) *Asset {
	t.Helper()
	r := cc.Evaluate(t, "ReadAsset", id)
	if r.Status != 200 {
		return nil
	}
	a := new(Asset)
	if err := json.Unmarshal(r.Payload, a); err != nil {
		t.Fatalf("ReadAsset %s: %v", id, err)
	}
	return a
}

// creatorStub lets the test compute cid.GetID for an identity.
type creatorStub []byte

func (s creatorStub) GetCreator() ([]byte, error) { return s, nil }

func idOf(t *testing.T, id *identity.SigningIdentity) string {
	t.Helper()
	v, err := cid.GetID(creatorStub(id.Serialize()))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCreateAssetBindsTheOwnerAndEmitsAnEvent(t *testing.T) {
	t.Parallel()
	f := setup(t)
	r := f.cc.Tx("CreateAsset", "asset2", "red", "7", "500").As(f.creator).Submit(t)
	if r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("CreateAsset: %v", r)
	}
	want := &Asset{ID: "asset2", Color: "red", Size: 7, Owner: idOf(t, f.creator), OwnerMSP: "Org1MSP", AppraisedValue: 500}
	if d := cmp.Diff(want, readAsset(t, f.cc, "asset2")); d != "" {
		t.Errorf("stored asset (-want +got):\n%s", d)
	}
	if r.Event.GetEventName() != EventCreated {
		t.Fatalf("event %q, want %q", r.Event.GetEventName(), EventCreated)
	}
	var evt Asset
	if err := json.Unmarshal(r.Event.GetPayload(), &evt); err != nil || evt.ID != "asset2" {
		t.Errorf("event payload %q: want the asset as JSON", r.Event.GetPayload())
	}
}

func TestAssetTransfer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		as         func(fixture) *identity.SigningIdentity
		args       func(t *testing.T, f fixture) []string
		wantStatus int32
		wantMsg    string
		wantEvent  string
		// wantOwner names who owns asset1 afterwards; wantMSP is its MSP
		// ("" means Org1MSP).
		wantOwner func(fixture) *identity.SigningIdentity
		wantMSP   string
	}{
		{
			name:       "an identity without abac.creator cannot create",
			as:         func(f fixture) *identity.SigningIdentity { return f.user1 },
			args:       func(*testing.T, fixture) []string { return []string{"CreateAsset", "asset9", "red", "1", "1"} },
			wantStatus: 500,
			wantMsg:    "submitter may not create assets: attribute 'abac.creator' was not found",
			wantOwner:  func(f fixture) *identity.SigningIdentity { return f.creator },
		},
		{
			name:       "an asset ID cannot be created twice",
			as:         func(f fixture) *identity.SigningIdentity { return f.creator },
			args:       func(*testing.T, fixture) []string { return []string{"CreateAsset", "asset1", "red", "1", "1"} },
			wantStatus: 500,
			wantMsg:    "asset asset1 already exists",
			wantOwner:  func(f fixture) *identity.SigningIdentity { return f.creator },
		},
		{
			name: "the owner transfers the asset",
			as:   func(f fixture) *identity.SigningIdentity { return f.creator },
			args: func(t *testing.T, f fixture) []string {
				return []string{"TransferAsset", "asset1", idOf(t, f.user1), "Org1MSP"}
			},
			wantStatus: 200,
			wantEvent:  EventTransferred,
			wantOwner:  func(f fixture) *identity.SigningIdentity { return f.user1 },
		},
		{
			name: "someone else cannot transfer it",
			as:   func(f fixture) *identity.SigningIdentity { return f.user1 },
			args: func(t *testing.T, f fixture) []string {
				return []string{"TransferAsset", "asset1", idOf(t, f.user1), "Org1MSP"}
			},
			wantStatus: 500,
			wantMsg:    "submitter is not the owner of asset asset1",
			wantOwner:  func(f fixture) *identity.SigningIdentity { return f.creator },
		},
		{
			name: "the owner's ID from another MSP is not the owner",
			as:   func(f fixture) *identity.SigningIdentity { return f.creator },
			args: func(t *testing.T, f fixture) []string {
				return []string{"TransferAsset", "asset1", idOf(t, f.creator), "Org2MSP"}
			},
			wantStatus: 200,
			wantEvent:  EventTransferred,
			wantOwner:  func(f fixture) *identity.SigningIdentity { return f.creator },
			wantMSP:    "Org2MSP",
		},
		{
			name:       "someone else cannot delete it",
			as:         func(f fixture) *identity.SigningIdentity { return f.user1 },
			args:       func(*testing.T, fixture) []string { return []string{"DeleteAsset", "asset1"} },
			wantStatus: 500,
			wantMsg:    "submitter is not the owner of asset asset1",
			wantOwner:  func(f fixture) *identity.SigningIdentity { return f.creator },
		},
		{
			name:       "a missing asset cannot be transferred",
			as:         func(f fixture) *identity.SigningIdentity { return f.creator },
			args:       func(*testing.T, fixture) []string { return []string{"TransferAsset", "nope", "x", "Org1MSP"} },
			wantStatus: 500,
			wantMsg:    "asset nope does not exist",
			wantOwner:  func(f fixture) *identity.SigningIdentity { return f.creator },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			args := tc.args(t, f)
			r := f.cc.Tx(args[0], args[1:]...).As(tc.as(f)).Submit(t)
			if r.Status != tc.wantStatus || (tc.wantMsg != "" && r.Message != tc.wantMsg) {
				t.Errorf("got %v, want status %d message %q", r, tc.wantStatus, tc.wantMsg)
			}
			if got := r.Event.GetEventName(); got != tc.wantEvent {
				t.Errorf("event %q, want %q", got, tc.wantEvent)
			}
			wantMSP := tc.wantMSP
			if wantMSP == "" {
				wantMSP = "Org1MSP"
			}
			a, owner := readAsset(t, f.cc, "asset1"), tc.wantOwner(f)
			if a == nil || a.Owner != idOf(t, owner) || a.OwnerMSP != wantMSP {
				t.Errorf("asset1 afterwards: %+v, want owned by %s of %s", a, owner.Name(), wantMSP)
			}
		})
	}
}

func TestTransferredAwayAssetIsOutOfReach(t *testing.T) {
	t.Parallel()
	f := setup(t)
	// Giving the asset to the creator's ID in another organisation: the
	// creator, in Org1MSP, no longer owns it.
	if r := f.cc.Tx("TransferAsset", "asset1", idOf(t, f.creator), "Org2MSP").As(f.creator).Submit(t); r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("transfer: %v", r)
	}
	if r := f.cc.Tx("DeleteAsset", "asset1").As(f.creator).Submit(t); r.Status != 500 || r.Message != "submitter is not the owner of asset asset1" {
		t.Errorf("delete after transfer: got %v, want refused", r)
	}
}

func TestOwnerDeletesAndListsAssets(t *testing.T) {
	t.Parallel()
	f := setup(t)
	if r := f.cc.Tx("CreateAsset", "asset2", "red", "7", "500").As(f.creator).Submit(t); r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("CreateAsset asset2: %v", r)
	}
	var all []Asset
	if err := json.Unmarshal(f.cc.Evaluate(t, "GetAllAssets").Payload, &all); err != nil || len(all) != 2 || all[0].ID != "asset1" || all[1].ID != "asset2" {
		t.Fatalf("GetAllAssets: %+v (%v), want asset1 and asset2", all, err)
	}
	if r := f.cc.Tx("DeleteAsset", "asset1").As(f.creator).Submit(t); r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("DeleteAsset: %v", r)
	}
	if r := f.cc.Evaluate(t, "AssetExists", "asset1"); string(r.Payload) != "false" {
		t.Errorf("AssetExists after delete: %v, want false", r)
	}
}

func TestInitLedgerCreatesTheStartingAssetsOnce(t *testing.T) {
	t.Parallel()
	f := setup(t) // asset1 exists already, owned by the creator
	if r := f.cc.Tx("TransferAsset", "asset1", "someone", "Org2MSP").As(f.creator).Submit(t); r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("TransferAsset: %v", r)
	}
	if r := f.cc.Tx("InitLedger").As(f.user1).Submit(t); r.Status != 500 {
		t.Fatalf("InitLedger by a user without %s = %v, want refused", CreatorAttribute, r)
	}
	for range 2 {
		if r := f.cc.Tx("InitLedger").As(f.creator).Submit(t); r.Code != peer.TxValidationCode_VALID {
			t.Fatalf("InitLedger: %v", r)
		}
	}
	if a := readAsset(t, f.cc, "asset1"); a == nil || a.Owner != "someone" {
		t.Errorf("asset1 after InitLedger = %+v, want it left with its owner", a)
	}
	for _, id := range []string{"asset2", "asset3"} {
		if a := readAsset(t, f.cc, id); a == nil || a.Owner != idOf(t, f.creator) {
			t.Errorf("%s after InitLedger = %+v, want it owned by the creator", id, a)
		}
	}
}
