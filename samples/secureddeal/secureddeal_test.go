package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/contractapi"
	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// deal is a three-organisation channel: Org1MSP sells, Org2MSP buys,
// Org3MSP watches.
type deal struct {
	seller, buyer, outsider *peersimtest.Chaincode
	price, props            []byte
	buy                     string // the buyer's MSP ID
}

func newDeal(t *testing.T) *deal {
	t.Helper()
	collections, err := os.ReadFile("collections_config.json")
	if err != nil {
		t.Fatal(err)
	}
	p := peersimtest.New(t, peersimtest.WithOrgs("Org1MSP", "Org2MSP", "Org3MSP"))
	chaincode, err := contractapi.NewChaincode(&SmartContract{})
	if err != nil {
		t.Fatal(err)
	}
	cc := p.Deploy(t, "secureddeal", chaincode, peersimtest.Collections(collections),
		peersimtest.Policy("OR('Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')"))
	return &deal{
		seller:   cc.As(p.UserOf(t, "Org1MSP", "User1")),
		buyer:    cc.As(p.UserOf(t, "Org2MSP", "User1")),
		outsider: cc.As(p.UserOf(t, "Org3MSP", "User1")),
		price:    []byte(`{"asset_id":"asset1","price":1000,"trade_id":"t-42"}`),
		props:    []byte(`{"color":"blue","serial":"SN-1"}`),
		buy:      "Org2MSP",
	}
}

func mustCommit(t *testing.T, what string, r *peersimtest.Result) {
	t.Helper()
	if r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("%s: %v", what, r)
	}
}

// agree creates asset1 and has both parties agree on d.price.
func (d *deal) agree(t *testing.T) {
	t.Helper()
	mustCommit(t, "create", d.seller.Tx("CreateAsset", "asset1", "a blue bike").WithTransient(TransientProperties, d.props).
		EndorsedBy("Org1MSP").Submit(t))
	mustCommit(t, "agree to sell", d.seller.Tx("AgreeToSell", "asset1").WithTransient(TransientPrice, d.price).
		EndorsedBy("Org1MSP").Submit(t))
	mustCommit(t, "agree to buy", d.buyer.Tx("AgreeToBuy", "asset1").WithTransient(TransientPrice, d.price).
		EndorsedBy("Org2MSP").Submit(t))
}

func (d *deal) transfer(t *testing.T, price []byte, orgs ...string) *peersimtest.Result {
	t.Helper()
	return d.seller.Tx("TransferAsset", "asset1", d.buy).WithTransient(TransientPrice, price).
		WithTransient(TransientProperties, d.props).EndorsedBy(orgs...).Submit(t)
}

func TestTheAgreedPriceStaysWithEachParty(t *testing.T) {
	d := newDeal(t)
	d.agree(t)
	// The asking price is in Org1MSP's implicit collection: its peer holds
	// it, the others only its hash, so nothing in the transaction or on
	// their peers shows it.
	r := d.seller.Tx("ReadAssetProperties", "asset1").Evaluate(t)
	if r.Status != 200 || string(r.Payload) != string(d.props) {
		t.Fatalf("the seller reads its properties: %v", r)
	}
	for _, org := range []string{"Org2MSP", "Org3MSP"} {
		r := d.seller.Tx("ReadAssetProperties", "asset1").EndorsedBy(org).Evaluate(t)
		if r.Status != 500 || !strings.Contains(r.Message, "private data matching public hash version is not available") {
			t.Errorf("the seller's properties read on %s's peer: %v", org, r)
		}
	}
}

func TestBothPartiesPeersMustEndorseTheTransfer(t *testing.T) {
	d := newDeal(t)
	d.agree(t)
	tests := []struct {
		name string
		orgs []string
	}{
		{"the seller's peer alone", []string{"Org1MSP"}},
		{"the buyer's peer alone", []string{"Org2MSP"}},
		{"the seller's and an outsider's", []string{"Org1MSP", "Org3MSP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := d.transfer(t, d.price, tt.orgs...); r.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
				t.Fatalf("transfer endorsed by %v: %v, want ENDORSEMENT_POLICY_FAILURE", tt.orgs, r)
			}
		})
	}
	mustCommit(t, "transfer endorsed by both parties", d.transfer(t, d.price, "Org1MSP", "Org2MSP"))

	var a Asset
	r := d.outsider.Tx("ReadAsset", "asset1").Evaluate(t)
	if err := json.Unmarshal(r.Payload, &a); err != nil || a.OwnerOrg != "Org2MSP" {
		t.Fatalf("the asset after the transfer: %v (%v)", r, err)
	}
	// The properties moved to the buyer; the receipt is for the two
	// parties only.
	if r := d.buyer.Tx("ReadAssetProperties", "asset1").Evaluate(t); string(r.Payload) != string(d.props) {
		t.Errorf("the buyer reads the properties: %v", r)
	}
	for _, c := range []*peersimtest.Chaincode{d.seller, d.buyer} {
		r := c.Tx("ReadDeal", "asset1").Evaluate(t)
		var got Deal
		if err := json.Unmarshal(r.Payload, &got); err != nil || got.Price != 1000 || got.Buyer != "Org2MSP" || got.Seller != "Org1MSP" {
			t.Errorf("a party reads the deal: %v (%v)", r, err)
		}
	}
	if r := d.outsider.Tx("ReadDeal", "asset1").Evaluate(t); r.Status != 500 || !strings.Contains(r.Message, "does not have read access") {
		t.Errorf("the outsider reads the deal: %v, want a refusal", r)
	}
}

func TestATransferAtAnotherPriceIsRefused(t *testing.T) {
	d := newDeal(t)
	d.agree(t)
	cheaper := []byte(`{"asset_id":"asset1","price":900,"trade_id":"t-42"}`)
	r := d.transfer(t, cheaper, "Org1MSP", "Org2MSP")
	if r.Endorsed || !strings.Contains(r.Message, "the price sent is not the seller's asking price") {
		t.Fatalf("transfer at another price: %v", r)
	}
	// Only the owner may sell.
	r = d.buyer.Tx("TransferAsset", "asset1", "Org3MSP").WithTransient(TransientPrice, d.price).
		WithTransient(TransientProperties, d.props).Submit(t)
	if r.Endorsed || !strings.Contains(r.Message, "only the owner Org1MSP may transfer asset asset1, not Org2MSP") {
		t.Fatalf("transfer by the buyer: %v", r)
	}
}
