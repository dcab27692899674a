package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/contractapi"
	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

var orgs = []string{"Org1MSP", "Org2MSP", "Org3MSP"}

// deal is a three-organisation channel: Org1MSP sells, Org2MSP buys,
// Org3MSP watches (and, in the resale, buys from Org2MSP).
type deal struct {
	p                       *peersimtest.Peer
	cc                      *peersimtest.Chaincode
	seller, buyer, outsider *peersimtest.Chaincode
	as                      map[string]*peersimtest.Chaincode // a client of each organisation
	price, props            []byte
	buy                     string // the buyer's MSP ID
}

func newDeal(t *testing.T) *deal {
	t.Helper()
	p := peersimtest.New(t, peersimtest.WithOrgs(orgs...))
	chaincode, err := contractapi.NewChaincode(&SmartContract{})
	if err != nil {
		t.Fatal(err)
	}
	// No collections config: the implicit collections need none.
	cc := p.Deploy(t, "secureddeal", chaincode, peersimtest.Policy("OR('Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')"))
	as := map[string]*peersimtest.Chaincode{}
	for _, org := range orgs {
		as[org] = cc.As(p.UserOf(t, org, "User1"))
	}
	return &deal{
		p: p, cc: cc, as: as,
		seller: as["Org1MSP"], buyer: as["Org2MSP"], outsider: as["Org3MSP"],
		price: []byte(`{"asset_id":"asset1","price":1000,"trade_id":"t-42"}`),
		props: []byte(`{"color":"blue","serial":"SN-1"}`),
		buy:   "Org2MSP",
	}
}

func mustCommit(t *testing.T, what string, r *peersimtest.Result) {
	t.Helper()
	if r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("%s: %v", what, r)
	}
}

// agree creates asset1 and has both parties agree on d.price; it returns
// the results of AgreeToSell and AgreeToBuy.
func (d *deal) agree(t *testing.T) (sell, buy *peersimtest.Result) {
	t.Helper()
	mustCommit(t, "create", d.seller.Tx("CreateAsset", "asset1", "a blue bike").WithTransient(TransientProperties, d.props).
		EndorsedBy("Org1MSP").Submit(t))
	sell = d.seller.Tx("AgreeToSell", "asset1").WithTransient(TransientPrice, d.price).EndorsedBy("Org1MSP").Submit(t)
	mustCommit(t, "agree to sell", sell)
	buy = d.buyer.Tx("AgreeToBuy", "asset1").WithTransient(TransientPrice, d.price).EndorsedBy("Org2MSP").Submit(t)
	mustCommit(t, "agree to buy", buy)
	return sell, buy
}

func (d *deal) transfer(t *testing.T, price []byte, orgs ...string) *peersimtest.Result {
	t.Helper()
	return d.seller.Tx("TransferAsset", "asset1", d.buy).WithTransient(TransientPrice, price).
		WithTransient(TransientProperties, d.props).EndorsedBy(orgs...).Submit(t)
}

// hashedWrites returns the private writes of the transaction by collection,
// as the transaction carries them: key and value hashes only.
func hashedWrites(t *testing.T, r *peersimtest.Result) map[string][]*kvrwset.KVWriteHash {
	t.Helper()
	out := map[string][]*kvrwset.KVWriteHash{}
	for _, ns := range r.RWSet.GetNsRwset() {
		if ns.GetNamespace() != "secureddeal" {
			continue
		}
		for _, c := range ns.GetCollectionHashedRwset() {
			h := &kvrwset.HashedRWSet{}
			if err := proto.Unmarshal(c.GetHashedRwset(), h); err != nil {
				t.Fatalf("hashed read-write set of %s: %v", c.GetCollectionName(), err)
			}
			out[c.GetCollectionName()] = append(out[c.GetCollectionName()], h.GetHashedWrites()...)
		}
	}
	return out
}

func sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }

func TestTheAgreedPriceStaysWithEachParty(t *testing.T) {
	d := newDeal(t)
	sell, buy := d.agree(t)

	// The transactions carry only hashes of the price: a hashed write to
	// the party's implicit collection, nothing in the public write set.
	for _, c := range []struct {
		name string
		r    *peersimtest.Result
		org  string
		key  string
	}{
		{"AgreeToSell", sell, "Org1MSP", sellKey("asset1")},
		{"AgreeToBuy", buy, "Org2MSP", bidKey("asset1")},
	} {
		if kv := c.r.KVRWSet("secureddeal"); len(kv.GetWrites()) != 0 {
			t.Errorf("%s writes public state: %v", c.name, kv.GetWrites())
		}
		got := hashedWrites(t, c.r)
		want := []*kvrwset.KVWriteHash{{KeyHash: sum([]byte(c.key)), ValueHash: sum(d.price)}}
		if len(got) != 1 || !slices.EqualFunc(got[implicit(c.org)], want, func(a, b *kvrwset.KVWriteHash) bool { return proto.Equal(a, b) }) {
			t.Errorf("%s's private writes: %v, want the hashes of %s in %s only", c.name, got, c.key, implicit(c.org))
		}
		raw, err := proto.Marshal(c.r.RWSet)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, d.price) || bytes.Contains(raw, []byte(c.key)) {
			t.Errorf("%s's read-write set holds the price or its key in clear", c.name)
		}
	}
	// Nor is it anywhere in the committed blocks.
	for i, b := range d.p.Blocks(t, d.cc.Channel()) {
		if bytes.Contains(b, d.price) {
			t.Errorf("block %d holds the price in clear", i)
		}
	}

	// Each party reads its own on its own peer; every other organisation's
	// peer has only the hash and refuses, as Fabric does.
	for _, c := range []struct {
		client *peersimtest.Chaincode
		org    string
	}{{d.seller, "Org1MSP"}, {d.buyer, "Org2MSP"}} {
		if r := c.client.Tx("ReadPrice", "asset1").EndorsedBy(c.org).Evaluate(t); r.Status != 200 || !bytes.Equal(r.Payload, d.price) {
			t.Errorf("%s reads its price on its peer: %v", c.org, r)
		}
		for _, other := range orgs {
			if other == c.org {
				continue
			}
			r := c.client.Tx("ReadPrice", "asset1").EndorsedBy(other).Evaluate(t)
			if r.Status != 500 || !strings.Contains(r.Message, "private data matching public hash version is not available") {
				t.Errorf("%s's price read on %s's peer: %v, want unavailable", c.org, other, r)
			}
		}
	}
	// The outsider has agreed nothing, and reads only its own collection.
	if r := d.outsider.Tx("ReadPrice", "asset1").EndorsedBy("Org3MSP").Evaluate(t); r.Status != 500 || !strings.Contains(r.Message, "Org3MSP has no bid for asset asset1") {
		t.Errorf("the outsider reads a price: %v", r)
	}

	// The same for the properties.
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

// readDeals reads the receipts of asset1 as org's client on org's peer.
func (d *deal) readDeals(t *testing.T, org string) ([]Deal, *peersimtest.Result) {
	t.Helper()
	r := d.as[org].Tx("ReadDeals", "asset1").EndorsedBy(org).Evaluate(t)
	if r.Status != 200 {
		return nil, r
	}
	var deals []Deal
	if err := json.Unmarshal(r.Payload, &deals); err != nil {
		t.Fatalf("%s's receipts: %v (%v)", org, r, err)
	}
	return deals, r
}

// mustHaveNoReceipt checks that org's client finds no receipt of asset1 on
// any peer.
func (d *deal) mustHaveNoReceipt(t *testing.T, org string) {
	t.Helper()
	for _, on := range orgs {
		r := d.as[org].Tx("ReadDeals", "asset1").EndorsedBy(on).Evaluate(t)
		if r.Status != 500 || !strings.Contains(r.Message, org+" holds no receipt of asset asset1") {
			t.Errorf("%s reads receipts on %s's peer: %v, want none", org, on, r)
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
	sale := d.transfer(t, d.price, "Org1MSP", "Org2MSP")
	mustCommit(t, "transfer endorsed by both parties", sale)
	if !slices.Equal(sale.EndorsedBy, []string{"Org1MSP", "Org2MSP"}) {
		t.Errorf("the sale was endorsed by %v", sale.EndorsedBy)
	}

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
	for _, org := range []string{"Org1MSP", "Org2MSP"} {
		deals, r := d.readDeals(t, org)
		want := []Deal{{AssetID: "asset1", Seller: "Org1MSP", Buyer: "Org2MSP", Price: 1000, TradeID: "t-42", TxID: sale.TxID}}
		if len(deals) != 1 || deals[0].Time == "" {
			t.Fatalf("%s reads the receipts: %v", org, r)
		}
		deals[0].Time = ""
		if !slices.Equal(deals, want) {
			t.Errorf("%s reads the receipts: %+v, want %+v", org, deals, want)
		}
	}
	d.mustHaveNoReceipt(t, "Org3MSP")
}

func TestAResaleKeepsEachReceiptWithItsTwoParties(t *testing.T) {
	d := newDeal(t)
	d.agree(t)
	first := d.transfer(t, d.price, "Org1MSP", "Org2MSP")
	mustCommit(t, "the first sale, Org1MSP to Org2MSP", first)

	// Org2MSP sells the asset on to Org3MSP, at another price.
	price := []byte(`{"asset_id":"asset1","price":2000,"trade_id":"t-43"}`)
	mustCommit(t, "Org2MSP agrees to sell", d.buyer.Tx("AgreeToSell", "asset1").WithTransient(TransientPrice, price).
		EndorsedBy("Org2MSP").Submit(t))
	mustCommit(t, "Org3MSP agrees to buy", d.outsider.Tx("AgreeToBuy", "asset1").WithTransient(TransientPrice, price).
		EndorsedBy("Org3MSP").Submit(t))
	resale := d.buyer.Tx("TransferAsset", "asset1", "Org3MSP").WithTransient(TransientPrice, price).
		WithTransient(TransientProperties, d.props)
	// The former owner's peer cannot stand in for the new buyer's.
	if r := resale.EndorsedBy("Org2MSP", "Org1MSP").Submit(t); r.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
		t.Fatalf("the resale endorsed by Org2MSP and Org1MSP: %v, want ENDORSEMENT_POLICY_FAILURE", r)
	}
	second := resale.EndorsedBy("Org2MSP", "Org3MSP").Submit(t)
	mustCommit(t, "the resale, Org2MSP to Org3MSP", second)

	// The resale writes to its two parties' implicit collections only:
	// Org1MSP's peer does not even get a hash of its receipt.
	var colls []string
	for c := range hashedWrites(t, second) {
		colls = append(colls, c)
	}
	slices.Sort(colls)
	if want := []string{implicit("Org2MSP"), implicit("Org3MSP")}; !slices.Equal(colls, want) {
		t.Errorf("the resale writes to %v, want %v", colls, want)
	}

	firstDeal := Deal{AssetID: "asset1", Seller: "Org1MSP", Buyer: "Org2MSP", Price: 1000, TradeID: "t-42", TxID: first.TxID}
	secondDeal := Deal{AssetID: "asset1", Seller: "Org2MSP", Buyer: "Org3MSP", Price: 2000, TradeID: "t-43", TxID: second.TxID}
	for _, c := range []struct {
		org  string
		want []Deal
	}{
		{"Org1MSP", []Deal{firstDeal}},             // a party to the first sale only
		{"Org2MSP", []Deal{firstDeal, secondDeal}}, // to both, oldest first
		{"Org3MSP", []Deal{secondDeal}},            // to the second only
	} {
		deals, r := d.readDeals(t, c.org)
		for i := range deals {
			deals[i].Time = ""
		}
		if !slices.Equal(deals, c.want) {
			t.Errorf("%s reads the receipts: %+v (%v), want %+v", c.org, deals, r, c.want)
		}
		// On the other peers it finds nothing: they hold only hashes.
		for _, on := range orgs {
			if on == c.org {
				continue
			}
			r := d.as[c.org].Tx("ReadDeals", "asset1").EndorsedBy(on).Evaluate(t)
			if r.Status != 500 || !strings.Contains(r.Message, c.org+" holds no receipt of asset asset1") {
				t.Errorf("%s reads receipts on %s's peer: %v, want none", c.org, on, r)
			}
		}
	}
	// Neither price is in the blocks in clear.
	for i, b := range d.p.Blocks(t, d.cc.Channel()) {
		if bytes.Contains(b, d.price) || bytes.Contains(b, price) || bytes.Contains(b, []byte(`"price":`)) {
			t.Errorf("block %d holds a price in clear", i)
		}
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
