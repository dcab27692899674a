package main

import (
	"os"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

func deploy(t *testing.T) *peersimtest.Chaincode {
	t.Helper()
	collections, err := os.ReadFile("collections_config.json")
	if err != nil {
		t.Fatal(err)
	}
	p := peersimtest.New(t)
	return p.Deploy(t, "privatedata", PrivateData{}, peersimtest.Collections(collections))
}

const details = `{"color":"blue","size":5,"owner":"tom"}`

func create(t *testing.T, cc *peersimtest.Chaincode, id string) *peersimtest.Result {
	t.Helper()
	r := cc.Tx("createAsset", id).WithTransient(TransientAsset, []byte(details)).Submit(t)
	if r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("createAsset %s: %v", id, r)
	}
	return r
}

func TestPrivateValuesStayOutOfTheTransaction(t *testing.T) {
	t.Parallel()
	cc := deploy(t)
	r := create(t, cc, "asset1")
	// The public read-write set holds only hashes of the collection's
	// writes: neither the key nor the value appears in clear.
	raw, err := proto.Marshal(r.RWSet)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"asset1", "tom"} {
		if contains(raw, secret) {
			t.Errorf("the transaction's read-write set contains %q in clear", secret)
		}
	}
	coll := hashedCollection(t, r.RWSet, "privatedata", DetailsCollection)
	if coll == nil || len(coll.GetHashedRwset()) == 0 {
		t.Fatalf("no hashed writes for collection %s in %v", DetailsCollection, r.RWSet)
	}
	if got := string(cc.Evaluate(t, "readAsset", "asset1").Payload); got != details {
		t.Errorf("readAsset: %q, want %q", got, details)
	}
}

func TestPrivateDataFunctions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		tx        func(cc *peersimtest.Chaincode) peersimtest.Tx
		submit    bool
		status    int32
		message   string
		payload   string
		afterRead string // readAsset asset1 afterwards; "" means not found
	}{
		{
			name:      "a member reads the details",
			tx:        func(cc *peersimtest.Chaincode) peersimtest.Tx { return cc.Tx("readAsset", "asset1") },
			status:    200,
			payload:   details,
			afterRead: details,
		},
		{
			name:      "create without transient data is refused",
			tx:        func(cc *peersimtest.Chaincode) peersimtest.Tx { return cc.Tx("createAsset", "asset2") },
			submit:    true,
			status:    500,
			message:   `createAsset asset2: transient map has no "asset" entry`,
			afterRead: details,
		},
		{
			name: "create refuses an ID that exists",
			tx: func(cc *peersimtest.Chaincode) peersimtest.Tx {
				return cc.Tx("createAsset", "asset1").WithTransient(TransientAsset, []byte(details))
			},
			submit:    true,
			status:    500,
			message:   "createAsset asset1: asset already exists",
			afterRead: details,
		},
		{
			name: "create refuses incomplete details",
			tx: func(cc *peersimtest.Chaincode) peersimtest.Tx {
				return cc.Tx("createAsset", "asset2").WithTransient(TransientAsset, []byte(`{"color":"red"}`))
			},
			submit:    true,
			status:    500,
			message:   `createAsset asset2: transient "asset" needs color, owner and a positive size`,
			afterRead: details,
		},
		{
			name:   "delete removes the details",
			tx:     func(cc *peersimtest.Chaincode) peersimtest.Tx { return cc.Tx("deleteAsset", "asset1") },
			submit: true,
			status: 200,
		},
		{
			name:   "purge removes the details",
			tx:     func(cc *peersimtest.Chaincode) peersimtest.Tx { return cc.Tx("purgeAsset", "asset1") },
			submit: true,
			status: 200,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cc := deploy(t)
			create(t, cc, "asset1")
			var r *peersimtest.Result
			if tc.submit {
				r = tc.tx(cc).Submit(t)
			} else {
				r = tc.tx(cc).Evaluate(t)
			}
			if r.Status != tc.status || r.Message != tc.message || (tc.payload != "" && string(r.Payload) != tc.payload) {
				t.Errorf("got %v, want status %d message %q payload %q", r, tc.status, tc.message, tc.payload)
			}
			if tc.submit && tc.status == 200 && r.Code != peer.TxValidationCode_VALID {
				t.Errorf("committed %s, want VALID", r.Code)
			}
			after := cc.Evaluate(t, "readAsset", "asset1")
			if got := string(after.Payload); got != tc.afterRead {
				t.Errorf("readAsset afterwards: %v, want payload %q", after, tc.afterRead)
			}
		})
	}
}

// A non-member organisation's collection: this peer (Org1) endorses the
// write and keeps its hash, but Org1 clients may not read it, and anyone
// can check a claimed value against the hash.
func TestNonMemberCollection(t *testing.T) {
	t.Parallel()
	cc := deploy(t)
	appraisal := []byte(`{"value":1200}`)
	if r := cc.Tx("appraise", "asset1").WithTransient(TransientAppraisal, appraisal).Submit(t); r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("appraise: %v", r)
	}
	r := cc.Evaluate(t, "readAppraisal", "asset1")
	want := "tx creator does not have read access permission on privatedata in chaincodeName:privatedata collectionName: org2Appraisals"
	if r.Status != 500 || !strings.HasSuffix(r.Message, want) {
		t.Errorf("readAppraisal by an Org1 client: got %v, want status 500 %q", r, want)
	}
	tests := []struct {
		name    string
		claimed []byte
		want    string
	}{
		{name: "the true value matches the hash", claimed: appraisal, want: "true"},
		{name: "another value does not", claimed: []byte(`{"value":1}`), want: "false"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := cc.Tx("verifyAppraisal", "asset1").WithTransient(TransientAppraisal, tc.claimed).Evaluate(t)
			if r.Status != 200 || string(r.Payload) != tc.want {
				t.Errorf("verifyAppraisal: got %v, want %q", r, tc.want)
			}
		})
	}
	// Checking the hash records a hashed read, with the key's hash only.
	coll := hashedCollection(t, cc.Tx("verifyAppraisal", "asset1").WithTransient(TransientAppraisal, appraisal).Evaluate(t).RWSet, "privatedata", AppraisalCollection)
	if coll == nil {
		t.Fatalf("verifyAppraisal recorded no hashed read of %s", AppraisalCollection)
	}
}

// blockToLive 3: details written in block N can be read up to block N+3
// and are purged when block N+4 commits, as on a Fabric peer.
func TestDetailsExpireAfterBlockToLive(t *testing.T) {
	t.Parallel()
	cc := deploy(t)
	written := create(t, cc, "asset1").BlockNumber
	filler := func(i int) uint64 {
		t.Helper()
		// Each submitted transaction is one block (peersimtest's default).
		r := cc.Tx("appraise", "filler").WithTransient(TransientAppraisal, []byte{byte(i)}).Submit(t)
		if r.Code != peer.TxValidationCode_VALID {
			t.Fatalf("filler transaction: %v", r)
		}
		return r.BlockNumber
	}
	for i := 1; i <= 3; i++ {
		if b := filler(i); b != written+uint64(i) {
			t.Fatalf("filler %d went to block %d, want %d", i, b, written+uint64(i))
		}
		if r := cc.Evaluate(t, "readAsset", "asset1"); string(r.Payload) != details {
			t.Fatalf("at block %d (written at %d) readAsset = %v, want the details", written+uint64(i), written, r)
		}
	}
	filler(4)
	if r := cc.Evaluate(t, "readAsset", "asset1"); r.Status != 500 {
		t.Errorf("at block %d (written at %d) readAsset = %v, want the details purged", written+4, written, r)
	}
}

func hashedCollection(t *testing.T, rws *rwset.TxReadWriteSet, ns, coll string) *rwset.CollectionHashedReadWriteSet {
	t.Helper()
	for _, n := range rws.GetNsRwset() {
		if n.GetNamespace() != ns {
			continue
		}
		for _, c := range n.GetCollectionHashedRwset() {
			if c.GetCollectionName() == coll {
				return c
			}
		}
	}
	return nil
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }
