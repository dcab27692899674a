// Command secureddeal is a two-organisation asset sale on the contract API
// whose price only the two parties see, and whose transfer both of their
// peers must endorse. It is the scenario of fabric-samples'
// secured-agreement, written anew for peersim's several organisations
// (peersim node start --orgs Org1MSP,Org2MSP,Org3MSP; peersimtest.WithOrgs).
// Any two organisations of the channel may trade, and the buyer may sell
// again to a third.
//
// Each organisation keeps what only it may know in its implicit
// collection, _implicit_org_<MSPID>: Fabric stores the clear value on that
// organisation's peers only, every other peer holds its hash, and a write
// to it needs that organisation's peer among the endorsers. So:
//
//   - the seller's asking price and the buyer's bid are each in their own
//     organisation's implicit collection, given in the transient map so
//     that they never appear in the transaction;
//   - TransferAsset compares the two by their hashes, which every peer can
//     read, and moves the asset only when they are equal; it deletes the
//     seller's price and writes the buyer's proof of purchase, so it needs
//     the endorsements of both organisations' peers;
//   - the receipt of the sale is written to the implicit collections of the
//     two parties, and of no one else, under a key of its own (the asset
//     and the transaction ID): a resale adds a receipt for its two parties
//     and leaves the earlier ones where they were. No collection needs to
//     be defined, so the chaincode has no collections config.
//
// Functions (called by name, arguments as JSON values):
//
//	CreateAsset(id, description)   transient "asset_properties": kept in the creator's implicit collection
//	ReadAsset(id) Asset             the public record: description and owning organisation
//	ReadAssetProperties(id) string  the client organisation's private properties (evaluate on its own peer)
//	AgreeToSell(id)                 transient "asset_price": the owner's asking price
//	AgreeToBuy(id)                  transient "asset_price": a bid by another organisation
//	ReadPrice(id) string            the client organisation's asking price (as owner) or bid (evaluate on its own peer)
//	TransferAsset(id, buyerMSP)     transient "asset_price" and "asset_properties": sell to buyerMSP
//	ReadDeals(id) []Deal            the receipts of the sales of id the client's organisation was party to, oldest first (evaluate on its own peer)
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"slices"
	"strings"

	"github.com/chaincodekit/chaincodekit/contractapi"
	"github.com/chaincodekit/chaincodekit/shim/cid"
)

// Transient map keys.
const (
	TransientPrice      = "asset_price"
	TransientProperties = "asset_properties"
)

// Asset is the public record of an asset.
type Asset struct {
	ID          string `json:"assetID"`
	Description string `json:"description"`
	OwnerOrg    string `json:"ownerOrg"`
}

// Price is what a seller asks or a buyer bids, as the transient
// "asset_price" carries it: the two parties must send the same bytes, e.g.
// {"asset_id":"asset1","price":1000,"trade_id":"t-42"}.
type Price struct {
	AssetID string `json:"asset_id"`
	Price   int    `json:"price"`
	TradeID string `json:"trade_id"`
}

// Deal is the receipt of a sale, kept in the implicit collections of its
// seller and buyer only.
type Deal struct {
	AssetID string `json:"assetID"`
	Seller  string `json:"seller"`
	Buyer   string `json:"buyer"`
	Price   int    `json:"price"`
	TradeID string `json:"tradeID"`
	// TxID is the transaction of the sale, which keys the receipt.
	TxID string `json:"txID"`
	// Time is the transaction's timestamp, in UTC to the nanosecond
	// (timeLayout), which orders the receipts of an asset.
	Time string `json:"time"`
}

// timeLayout is RFC 3339 with a fixed width, so that receipts' times
// sort as strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// SmartContract holds the transaction functions.
type SmartContract struct {
	contractapi.Contract
}

// implicit names an organisation's implicit collection.
func implicit(mspID string) string { return "_implicit_org_" + mspID }

// Private keys in the implicit collections.
func sellKey(id string) string       { return "sell:" + id }
func bidKey(id string) string        { return "bid:" + id }
func propertiesKey(id string) string { return "properties:" + id }

// dealType is the object type of the receipts' composite keys, (dealType,
// asset ID, transaction ID): one key per sale, so that a resale does not
// overwrite the receipt of an earlier one.
const dealType = "deal"

// clientOrg is the MSP ID of the submitting client.
func clientOrg(ctx contractapi.TransactionContextInterface) (string, error) {
	msp, err := cid.GetMSPID(ctx.GetStub())
	if err != nil {
		return "", fmt.Errorf("read the client's MSP ID: %w", err)
	}
	return msp, nil
}

// transient returns the transient entry key, which must be present.
func transient(ctx contractapi.TransactionContextInterface, key string) ([]byte, error) {
	m, err := ctx.GetStub().GetTransient()
	if err != nil {
		return nil, fmt.Errorf("read the transient map: %w", err)
	}
	v, ok := m[key]
	if !ok || len(v) == 0 {
		return nil, fmt.Errorf("the transient map has no %q: send it with the proposal (it stays out of the transaction)", key)
	}
	return v, nil
}

// CreateAsset records a new asset owned by the client's organisation and
// keeps its private properties in that organisation's implicit collection.
func (s *SmartContract) CreateAsset(ctx contractapi.TransactionContextInterface, id, description string) error {
	if id == "" {
		return errors.New("the asset ID is empty")
	}
	props, err := transient(ctx, TransientProperties)
	if err != nil {
		return err
	}
	if _, err := s.ReadAsset(ctx, id); err == nil {
		return fmt.Errorf("asset %s already exists", id)
	}
	org, err := clientOrg(ctx)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(Asset{ID: id, Description: description, OwnerOrg: org})
	if err != nil {
		return err
	}
	if err := ctx.GetStub().PutState(id, raw); err != nil {
		return fmt.Errorf("put asset %s: %w", id, err)
	}
	return ctx.GetStub().PutPrivateData(implicit(org), propertiesKey(id), props)
}

// ReadAsset returns the public record of asset id.
func (s *SmartContract) ReadAsset(ctx contractapi.TransactionContextInterface, id string) (*Asset, error) {
	raw, err := ctx.GetStub().GetState(id)
	if err != nil {
		return nil, fmt.Errorf("read asset %s: %w", id, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("asset %s does not exist", id)
	}
	var a Asset
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("decode asset %s: %w", id, err)
	}
	return &a, nil
}

// ReadAssetProperties returns the private properties the client's
// organisation holds for asset id. Only that organisation's peer has them:
// evaluate it there.
func (s *SmartContract) ReadAssetProperties(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	org, err := clientOrg(ctx)
	if err != nil {
		return "", err
	}
	raw, err := ctx.GetStub().GetPrivateData(implicit(org), propertiesKey(id))
	if err != nil {
		return "", fmt.Errorf("read the properties of %s in %s: %w", id, implicit(org), err)
	}
	if raw == nil {
		return "", fmt.Errorf("%s holds no properties of asset %s", org, id)
	}
	return string(raw), nil
}

// AgreeToSell records the owner's asking price in its implicit collection.
func (s *SmartContract) AgreeToSell(ctx contractapi.TransactionContextInterface, id string) error {
	return s.agree(ctx, id, true)
}

// AgreeToBuy records a bid by the client's organisation in its implicit
// collection.
func (s *SmartContract) AgreeToBuy(ctx contractapi.TransactionContextInterface, id string) error {
	return s.agree(ctx, id, false)
}

// agree records the transient price of asset id in the client
// organisation's implicit collection: as the asking price when seller
// (the client's organisation must own the asset), else as a bid (it must
// not).
func (s *SmartContract) agree(ctx contractapi.TransactionContextInterface, id string, seller bool) error {
	a, err := s.ReadAsset(ctx, id)
	if err != nil {
		return err
	}
	org, err := clientOrg(ctx)
	if err != nil {
		return err
	}
	key := bidKey(id)
	switch {
	case seller && org != a.OwnerOrg:
		return fmt.Errorf("only the owner %s may sell asset %s, not %s", a.OwnerOrg, id, org)
	case seller:
		key = sellKey(id)
	case org == a.OwnerOrg:
		return fmt.Errorf("%s already owns asset %s", org, id)
	}
	price, err := s.price(ctx, id)
	if err != nil {
		return err
	}
	return ctx.GetStub().PutPrivateData(implicit(org), key, price)
}

// ReadPrice returns what the client's organisation agreed for asset id:
// its asking price when it owns the asset, else its bid. Like the
// properties, only that organisation's peer holds it: evaluate it there.
func (s *SmartContract) ReadPrice(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	a, err := s.ReadAsset(ctx, id)
	if err != nil {
		return "", err
	}
	org, err := clientOrg(ctx)
	if err != nil {
		return "", err
	}
	key, what := bidKey(id), "bid"
	if org == a.OwnerOrg {
		key, what = sellKey(id), "asking price"
	}
	raw, err := ctx.GetStub().GetPrivateData(implicit(org), key)
	if err != nil {
		return "", fmt.Errorf("read the %s of %s for asset %s: %w", what, org, id, err)
	}
	if raw == nil {
		return "", fmt.Errorf("%s has no %s for asset %s", org, what, id)
	}
	return string(raw), nil
}

// price reads and checks the transient price of asset id.
func (s *SmartContract) price(ctx contractapi.TransactionContextInterface, id string) ([]byte, error) {
	raw, err := transient(ctx, TransientPrice)
	if err != nil {
		return nil, err
	}
	var p Price
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("transient %q is not a price: %w", TransientPrice, err)
	}
	if p.AssetID != id || p.Price <= 0 || p.TradeID == "" {
		return nil, fmt.Errorf("transient %q must name asset %s, a positive price and a trade_id: got %s", TransientPrice, id, raw)
	}
	return raw, nil
}

// TransferAsset sells asset id to buyerMSP when the price the seller sends
// is the one it asked and the buyer bid: all three compared by their
// hashes, which every peer holds. It moves the private properties to the
// buyer's implicit collection, removes the seller's price and properties,
// and writes the receipt to both parties' implicit collections. Writing to
// both organisations' implicit collections needs both of their peers'
// endorsements.
func (s *SmartContract) TransferAsset(ctx contractapi.TransactionContextInterface, id, buyerMSP string) error {
	a, err := s.ReadAsset(ctx, id)
	if err != nil {
		return err
	}
	seller, err := clientOrg(ctx)
	if err != nil {
		return err
	}
	if seller != a.OwnerOrg {
		return fmt.Errorf("only the owner %s may transfer asset %s, not %s", a.OwnerOrg, id, seller)
	}
	if buyerMSP == seller {
		return fmt.Errorf("%s cannot sell asset %s to itself", seller, id)
	}
	price, err := s.price(ctx, id)
	if err != nil {
		return err
	}
	props, err := transient(ctx, TransientProperties)
	if err != nil {
		return err
	}
	stub := ctx.GetStub()
	want := sha256.Sum256(price)
	for _, c := range []struct{ coll, key, who string }{
		{implicit(seller), sellKey(id), "the seller's asking price"},
		{implicit(buyerMSP), bidKey(id), "the buyer's bid"},
	} {
		h, err := stub.GetPrivateDataHash(c.coll, c.key)
		if err != nil {
			return fmt.Errorf("read the hash of %s: %w", c.who, err)
		}
		if h == nil {
			return fmt.Errorf("asset %s has no %s", id, c.who)
		}
		if !bytes.Equal(h, want[:]) {
			return fmt.Errorf("the price sent is not %s", c.who)
		}
	}
	propsHash, err := stub.GetPrivateDataHash(implicit(seller), propertiesKey(id))
	if err != nil {
		return fmt.Errorf("read the hash of the asset's properties: %w", err)
	}
	if got := sha256.Sum256(props); !bytes.Equal(propsHash, got[:]) {
		return fmt.Errorf("the properties sent are not those %s holds for asset %s", seller, id)
	}
	a.OwnerOrg = buyerMSP
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if err := stub.PutState(id, raw); err != nil {
		return fmt.Errorf("put asset %s: %w", id, err)
	}
	var p Price
	if err := json.Unmarshal(price, &p); err != nil {
		return err
	}
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return fmt.Errorf("read the transaction's timestamp: %w", err)
	}
	txID := stub.GetTxID()
	deal, err := json.Marshal(Deal{AssetID: id, Seller: seller, Buyer: buyerMSP, Price: p.Price, TradeID: p.TradeID,
		TxID: txID, Time: ts.AsTime().UTC().Format(timeLayout)})
	if err != nil {
		return err
	}
	dealKey, err := stub.CreateCompositeKey(dealType, []string{id, txID})
	if err != nil {
		return fmt.Errorf("key the receipt of asset %s: %w", id, err)
	}
	for _, w := range []func() error{
		func() error { return stub.PutPrivateData(implicit(buyerMSP), propertiesKey(id), props) },
		func() error { return stub.DelPrivateData(implicit(seller), propertiesKey(id)) },
		func() error { return stub.DelPrivateData(implicit(seller), sellKey(id)) },
		func() error { return stub.DelPrivateData(implicit(buyerMSP), bidKey(id)) },
		// The receipt, for the two parties only: a third organisation's
		// peer holds its hash, never its value.
		func() error { return stub.PutPrivateData(implicit(seller), dealKey, deal) },
		func() error { return stub.PutPrivateData(implicit(buyerMSP), dealKey, deal) },
	} {
		if err := w(); err != nil {
			return fmt.Errorf("transfer asset %s: %w", id, err)
		}
	}
	return nil
}

// ReadDeals returns the receipts of the sales of asset id that the
// client's organisation was party to, as seller or buyer, oldest first
// (by their transactions' timestamps).
// They are in its implicit collection, whose values only its own peer
// holds: evaluate it there. An organisation that was party to no sale of
// the asset has none, whoever else it asks.
func (s *SmartContract) ReadDeals(ctx contractapi.TransactionContextInterface, id string) ([]Deal, error) {
	org, err := clientOrg(ctx)
	if err != nil {
		return nil, err
	}
	it, err := ctx.GetStub().GetPrivateDataByPartialCompositeKey(implicit(org), dealType, []string{id})
	if err != nil {
		return nil, fmt.Errorf("read the receipts of asset %s in %s: %w", id, implicit(org), err)
	}
	defer it.Close()
	var deals []Deal
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("read the receipts of asset %s in %s: %w", id, implicit(org), err)
		}
		var d Deal
		if err := json.Unmarshal(kv.GetValue(), &d); err != nil {
			return nil, fmt.Errorf("decode the receipt %q: %w", kv.GetKey(), err)
		}
		deals = append(deals, d)
	}
	if len(deals) == 0 {
		return nil, fmt.Errorf("%s holds no receipt of asset %s: it was party to none of its sales, or this is not its peer", org, id)
	}
	slices.SortFunc(deals, func(a, b Deal) int {
		if c := strings.Compare(a.Time, b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.TxID, b.TxID)
	})
	return deals, nil
}

func main() {
	cc, err := contractapi.NewChaincode(&SmartContract{})
	if err != nil {
		log.Fatalf("create the secureddeal chaincode: %v", err)
	}
	if err := cc.Start(); err != nil {
		log.Fatalf("start the secureddeal chaincode: %v", err)
	}
}
