package endorser

import (
	"fmt"
	"maps"
	"slices"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// validationParameter is the metadata key of a key-level endorsement
// policy.
var validationParameter = peer.MetaDataKeys_VALIDATION_PARAMETER.String()

// nsInterest is what one namespace's writes need, as Fabric's endorser
// collates it: whether the chaincode's policy is needed (a key without a
// key-level policy was written, or nothing was), the key-level policies
// of the keys written, and the collections whose policy is needed (a key
// without a key-level policy was written, or the collection was read)
// with whether each was read.
type nsInterest struct {
	chaincodePolicy bool
	written         bool
	keyPolicies     []*common.SignaturePolicyEnvelope
	collections     map[string]bool // collection -> read
}

// interest returns the ChaincodeInterest of a user chaincode's simulation
// results, which Fabric's Gateway plans the endorsements from, as Fabric's
// endorser builds it: one ChaincodeCall per chaincode whose public state
// the transaction touched, with the committed key-level policies
// (VALIDATION_PARAMETER) of the keys it wrote and DisregardNamespacePolicy
// when every key written has one; one ChaincodeCall per collection
// read, or written with a key that has no key-level policy, NoPrivateReads
// when it was not read. System namespaces are left out. The key-level
// policies are read when the response is signed, not in the simulation's
// snapshot.
func (e *Endorser) interest(up *identity.UnpackedProposal, l *ledger.Ledger, res *ledger.SimulationResults) (*peer.ChaincodeInterest, error) {
	system := func(ns string) bool {
		_, sys := e.cfg.System[ns]
		return sys || ns == ledger.LSCCNamespace || ns == ledger.LifecycleNamespace
	}
	if !slices.ContainsFunc(res.Public.GetNsRwset(), func(ns *rwset.NsReadWriteSet) bool { return !system(ns.GetNamespace()) }) {
		return &peer.ChaincodeInterest{}, nil
	}
	creator := ""
	if up.Creator != nil {
		creator = up.Creator.MSPID()
	}
	sim, err := l.NewSimulator(up.TxID(), creator)
	if err != nil {
		return nil, fmt.Errorf("read key-level policies: %w", err)
	}
	defer sim.Done()
	private, err := privateKeys(res.Private)
	if err != nil {
		return nil, err
	}
	byNS := map[string]*nsInterest{}
	var order []string
	for _, ns := range res.Public.GetNsRwset() {
		name := ns.GetNamespace()
		if system(name) {
			continue
		}
		kv := &kvrwset.KVRWSet{}
		if err := proto.Unmarshal(ns.GetRwset(), kv); err != nil {
			return nil, fmt.Errorf("read-write set of %s: %w", name, err)
		}
		ni := &nsInterest{collections: map[string]bool{}}
		byNS[name] = ni
		order = append(order, name)
		keys := map[string]bool{}
		for _, w := range kv.GetWrites() {
			keys[w.GetKey()] = true
		}
		for _, w := range kv.GetMetadataWrites() {
			keys[w.GetKey()] = true
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			ni.written = true
			meta, err := sim.GetStateMetadata(name, k)
			if err != nil {
				return nil, fmt.Errorf("metadata of key %q in %s: %w", k, name, err)
			}
			if err := ni.addKey(meta[validationParameter]); err != nil {
				return nil, fmt.Errorf("validation parameter of key %q in %s: %w", k, name, err)
			}
		}
		for _, c := range ns.GetCollectionHashedRwset() {
			coll := c.GetCollectionName()
			h := &kvrwset.HashedRWSet{}
			if err := proto.Unmarshal(c.GetHashedRwset(), h); err != nil {
				return nil, fmt.Errorf("hashed read-write set of %s/%s: %w", name, coll, err)
			}
			if len(h.GetHashedReads()) > 0 {
				ni.collections[coll] = true
			}
			if len(h.GetHashedWrites())+len(h.GetMetadataWrites()) == 0 {
				continue
			}
			ni.written = true
			keys, ok := private[name][coll]
			// Without the clear keys their policies cannot be looked up:
			// the collection's policy stands for them.
			needed := !ok
			for _, k := range keys {
				has, err := ni.addPrivateKey(sim, name, coll, k)
				if err != nil {
					return nil, err
				}
				needed = needed || !has
			}
			if _, read := ni.collections[coll]; needed && !read {
				ni.collections[coll] = false
			}
		}
	}
	out := &peer.ChaincodeInterest{}
	for _, name := range order {
		ni := byNS[name]
		if !ni.written {
			ni.chaincodePolicy = true // read only: the chaincode's policy
		}
		if ni.chaincodePolicy || len(ni.keyPolicies) > 0 {
			out.Chaincodes = append(out.Chaincodes, &peer.ChaincodeCall{
				Name:                     name,
				KeyPolicies:              ni.keyPolicies,
				DisregardNamespacePolicy: !ni.chaincodePolicy,
			})
		}
		for _, coll := range slices.Sorted(maps.Keys(ni.collections)) {
			out.Chaincodes = append(out.Chaincodes, &peer.ChaincodeCall{
				Name:            name,
				CollectionNames: []string{coll},
				NoPrivateReads:  !ni.collections[coll],
			})
		}
	}
	return out, nil
}

// addKey records a public key written: its policy, or the need for the
// chaincode's.
func (ni *nsInterest) addKey(vp []byte) error {
	if vp == nil {
		ni.chaincodePolicy = true
		return nil
	}
	env := &common.SignaturePolicyEnvelope{}
	if err := proto.Unmarshal(vp, env); err != nil {
		return err
	}
	ni.keyPolicies = append(ni.keyPolicies, env)
	return nil
}

// privateKeys returns the keys written (values or metadata) in each
// collection of the private read-write set, by namespace and collection,
// sorted.
func privateKeys(pvt *rwset.TxPvtReadWriteSet) (map[string]map[string][]string, error) {
	out := map[string]map[string][]string{}
	for _, ns := range pvt.GetNsPvtRwset() {
		colls := map[string][]string{}
		out[ns.GetNamespace()] = colls
		for _, c := range ns.GetCollectionPvtRwset() {
			kv := &kvrwset.KVRWSet{}
			if err := proto.Unmarshal(c.GetRwset(), kv); err != nil {
				return nil, fmt.Errorf("private read-write set of %s/%s: %w", ns.GetNamespace(), c.GetCollectionName(), err)
			}
			keys := map[string]bool{}
			for _, w := range kv.GetWrites() {
				keys[w.GetKey()] = true
			}
			for _, w := range kv.GetMetadataWrites() {
				keys[w.GetKey()] = true
			}
			colls[c.GetCollectionName()] = slices.Sorted(maps.Keys(keys))
		}
	}
	return out, nil
}

// addPrivateKey records the key-level policy of a private key written and
// reports whether it has one; a key whose metadata the creator may not
// read counts as one without a policy.
func (ni *nsInterest) addPrivateKey(sim *ledger.Simulator, ns, coll, key string) (bool, error) {
	meta, err := sim.GetPrivateDataMetadata(ns, coll, key)
	if err != nil {
		return false, nil
	}
	vp := meta[validationParameter]
	if vp == nil {
		return false, nil
	}
	if err := ni.addKey(vp); err != nil {
		return false, fmt.Errorf("validation parameter of key %q in %s/%s: %w", key, ns, coll, err)
	}
	return true, nil
}
