package ledger

import (
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
)

// DisseminationError is Fabric's refusal to disseminate a collection's
// private data when fewer peers are eligible for it than the collection's
// requiredPeerCount. Its text is that of Fabric's gossip distributor; it
// wraps ErrDissemination.
type DisseminationError struct {
	Namespace, Collection string
	// Required is the collection's requiredPeerCount, Eligible the number
	// of peers other than the endorser that may receive the data.
	Required, Eligible int
}

func (e *DisseminationError) Error() string {
	return fmt.Sprintf("could not build private data dissemination plan for chaincode %s and collection %s: required to disseminate to at least %d peers, but know of only %d eligible peers",
		e.Namespace, e.Collection, e.Required, e.Eligible)
}

// Unwrap returns ErrDissemination.
func (e *DisseminationError) Unwrap() error { return ErrDissemination }

// CheckDissemination reports whether the endorser of an organisation could
// disseminate pvt, a transaction's private write set, as Fabric's endorser
// does after simulating it (through gossip's private data distributor,
// before it endorses): for every collection written, the eligible peers
// must be at least the collection's requiredPeerCount, else it returns a
// *DisseminationError. Eligible peers are the peers of the collection's
// member organisations among Config.PeerMSPIDs, one per organisation,
// other than the endorsing peer: the organisation endorserMSPID does not
// count itself. Implicit collections require no peer (Fabric's default
// implicit collection dissemination policy).
//
// On a ledger serving one organisation, or none (empty PeerMSPIDs), no
// other peer is known, so any collection with a requiredPeerCount of 1 or
// more fails, as on a Fabric network of a single peer ("required to
// disseminate to at least 1 peers, but know of only 0 eligible peers").
// Single-organisation peersim has always ignored requiredPeerCount: the
// caller decides whether to apply this check.
//
// Collections are read from the committed chaincode definitions; a
// collection the definition does not name is an error wrapping
// ErrCollectionNotDefined.
func (l *Ledger) CheckDissemination(endorserMSPID string, pvt *rwset.TxPvtReadWriteSet) error {
	if len(pvt.GetNsPvtRwset()) == 0 {
		return nil
	}
	snap, err := l.st.snapshot()
	if err != nil {
		return fmt.Errorf("check dissemination on %s: %w", l.channel, err)
	}
	defer snap.release()
	for _, nsp := range pvt.GetNsPvtRwset() {
		ns := nsp.GetNamespace()
		var colls map[string]*collectionInfo
		for _, cp := range nsp.GetCollectionPvtRwset() {
			name := cp.GetCollectionName()
			info, err := l.disseminationCollection(snap, ns, name, &colls)
			if err != nil {
				return fmt.Errorf("check dissemination on %s: %w", l.channel, err)
			}
			eligible := 0
			for _, id := range l.cfg.PeerMSPIDs {
				if id != endorserMSPID && info.isMember(id) {
					eligible++
				}
			}
			if eligible < info.requiredPeers {
				return &DisseminationError{Namespace: ns, Collection: name, Required: info.requiredPeers, Eligible: eligible}
			}
		}
	}
	return nil
}

// disseminationCollection returns collection coll of chaincode ns, parsing
// the definition's collections into *colls on first use.
func (l *Ledger) disseminationCollection(snap snapshot, ns, coll string, colls *map[string]*collectionInfo) (*collectionInfo, error) {
	if isImplicit(coll) {
		return implicitCollection(coll), nil
	}
	if *colls == nil {
		def, err := l.readDefinition(snap, ns)
		if errors.Is(err, ErrChaincodeNotDefined) {
			return nil, fmt.Errorf("collection %s of %s: %w: %w", coll, ns, ErrCollectionNotDefined, err)
		}
		if err != nil {
			return nil, fmt.Errorf("collection %s of %s: %w", coll, ns, err)
		}
		if *colls, err = parseCollections(def.Collections); err != nil {
			return nil, fmt.Errorf("collections of %s: %w", ns, err)
		}
	}
	info, ok := (*colls)[coll]
	if !ok {
		return nil, fmt.Errorf("collection %s of %s: %w", coll, ns, ErrCollectionNotDefined)
	}
	return info, nil
}
