package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// LSCCNamespace is the reserved world-state namespace that holds chaincode
// definitions, one key per chaincode name, as Fabric 1.4's lscc did. A
// definition is written by Simulator.PutChaincodeDefinition inside the
// instantiate or upgrade transaction, so it commits atomically with Init's
// writes and an instantiate that loses an MVCC race changes nothing.
const LSCCNamespace = "lscc"

// LifecycleNamespace is the reserved namespace of Fabric 2.x's _lifecycle
// system chaincode. A committed definition is the public key
// LifecycleDefinitionKey(name); the approvals of each organisation live in
// that organisation's implicit collection of the same namespace. A
// _lifecycle definition of a name takes precedence over an lscc one, as in
// a Fabric 2.x peer.
const LifecycleNamespace = "_lifecycle"

// lifecycleDefinitionPrefix starts the public key of a committed _lifecycle
// definition.
const lifecycleDefinitionPrefix = "namespaces/"

// LifecycleDefinitionKey is the public key of chaincode name's committed
// definition in LifecycleNamespace.
func LifecycleDefinitionKey(name string) string { return lifecycleDefinitionPrefix + name }

var chaincodeNamePattern = regexp.MustCompile(`^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$`)

// ChaincodeDefinition is what the ledger knows about a chaincode on the
// channel.
type ChaincodeDefinition struct {
	Name    string
	Version string
	// EndorsementPolicy is the chaincode-level endorsement policy; nil
	// leaves the decision to the PolicyChecker.
	EndorsementPolicy *peer.ApplicationPolicy
	// Collections are the private data collections; nil or empty means the
	// chaincode has none (implicit per-org collections always exist).
	Collections *peer.CollectionConfigPackage
	// Sequence is the _lifecycle sequence of the definition, 1 or more;
	// 0 marks a definition made by lscc.
	Sequence int64
	// InitRequired is the _lifecycle flag that the first invocation must be
	// an Init (--isInit); always false for lscc.
	InitRequired bool
	// EndorsementPlugin and ValidationPlugin are the _lifecycle plugin
	// names ("escc", "vscc"); empty for lscc.
	EndorsementPlugin string
	ValidationPlugin  string
}

type storedDefinition struct {
	Name              string `json:"name"`
	Version           string `json:"version"`
	Policy            []byte `json:"endorsement_policy,omitempty"`
	Collections       []byte `json:"collections,omitempty"`
	Sequence          int64  `json:"sequence,omitempty"`
	InitRequired      bool   `json:"init_required,omitempty"`
	EndorsementPlugin string `json:"endorsement_plugin,omitempty"`
	ValidationPlugin  string `json:"validation_plugin,omitempty"`
}

func (d *ChaincodeDefinition) validate() error {
	if d == nil {
		return fmt.Errorf("nil chaincode definition: %w", ErrInvalidArgument)
	}
	if !chaincodeNamePattern.MatchString(d.Name) {
		return fmt.Errorf("chaincode name %q: must match %s: %w", d.Name, chaincodeNamePattern, ErrInvalidArgument)
	}
	if d.Version == "" {
		return fmt.Errorf("chaincode %s: empty version: %w", d.Name, ErrInvalidArgument)
	}
	if d.Sequence < 0 {
		return fmt.Errorf("chaincode %s: sequence %d is negative: %w", d.Name, d.Sequence, ErrInvalidArgument)
	}
	if _, err := parseCollections(d.Collections); err != nil {
		return fmt.Errorf("chaincode %s: %w", d.Name, err)
	}
	return nil
}

func (d *ChaincodeDefinition) encode() ([]byte, error) {
	sd := storedDefinition{Name: d.Name, Version: d.Version, Sequence: d.Sequence, InitRequired: d.InitRequired,
		EndorsementPlugin: d.EndorsementPlugin, ValidationPlugin: d.ValidationPlugin}
	var err error
	if d.EndorsementPolicy != nil {
		if sd.Policy, err = proto.Marshal(d.EndorsementPolicy); err != nil {
			return nil, fmt.Errorf("marshal endorsement policy of %s: %w", d.Name, err)
		}
	}
	if d.Collections != nil {
		if sd.Collections, err = proto.Marshal(d.Collections); err != nil {
			return nil, fmt.Errorf("marshal collections of %s: %w", d.Name, err)
		}
	}
	return json.Marshal(sd)
}

func decodeDefinition(b []byte) (*ChaincodeDefinition, error) {
	var sd storedDefinition
	if err := json.Unmarshal(b, &sd); err != nil {
		return nil, fmt.Errorf("decode chaincode definition: %v: %w", err, ErrCorrupt)
	}
	d := &ChaincodeDefinition{Name: sd.Name, Version: sd.Version, Sequence: sd.Sequence, InitRequired: sd.InitRequired,
		EndorsementPlugin: sd.EndorsementPlugin, ValidationPlugin: sd.ValidationPlugin}
	if sd.Policy != nil {
		d.EndorsementPolicy = &peer.ApplicationPolicy{}
		if err := proto.Unmarshal(sd.Policy, d.EndorsementPolicy); err != nil {
			return nil, fmt.Errorf("decode endorsement policy of %s: %v: %w", sd.Name, err, ErrCorrupt)
		}
	}
	if sd.Collections != nil {
		d.Collections = &peer.CollectionConfigPackage{}
		if err := proto.Unmarshal(sd.Collections, d.Collections); err != nil {
			return nil, fmt.Errorf("decode collections of %s: %v: %w", sd.Name, err, ErrCorrupt)
		}
	}
	return d, nil
}

// ChaincodeDefinition returns the committed definition of chaincode name,
// or ErrChaincodeNotDefined. The definition is the caller's to modify.
func (l *Ledger) ChaincodeDefinition(name string) (*ChaincodeDefinition, error) {
	d, err := l.SharedChaincodeDefinition(name)
	return d.clone(), err
}

// SharedChaincodeDefinition is ChaincodeDefinition without the copy, for
// a caller that only reads the definition: it is the ledger's own, shared
// with every other reader, and must not be modified, nor its policy or
// collections.
func (l *Ledger) SharedChaincodeDefinition(name string) (*ChaincodeDefinition, error) {
	snap, err := l.st.snapshot()
	if err != nil {
		return nil, fmt.Errorf("chaincode definition %s: %w", name, err)
	}
	defer snap.release()
	return l.readDefinition(snap, name)
}

// ChaincodeDefined reports whether chaincode name has a committed
// definition, without copying it as ChaincodeDefinition does.
func (l *Ledger) ChaincodeDefined(name string) (bool, error) {
	snap, err := l.st.snapshot()
	if err != nil {
		return false, fmt.Errorf("chaincode definition %s: %w", name, err)
	}
	defer snap.release()
	_, err = l.readDefinition(snap, name)
	if errors.Is(err, ErrChaincodeNotDefined) {
		return false, nil
	}
	return err == nil, err
}

// readDefinition returns the committed definition of chaincode name as
// snap holds it, shared with the ledger's definition cache: the caller must
// not modify it.
func (l *Ledger) readDefinition(snap snapshot, name string) (*ChaincodeDefinition, error) {
	raw, err := snap.get(bucketState, stateKey(LifecycleNamespace, LifecycleDefinitionKey(name)))
	if err == nil && raw == nil {
		raw, err = snap.get(bucketState, stateKey(LSCCNamespace, name))
	}
	if err != nil {
		return nil, fmt.Errorf("chaincode definition %s: %w", name, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("chaincode %s: %w", name, ErrChaincodeNotDefined)
	}
	rec, err := decodeStateRecord(raw)
	if err != nil {
		return nil, fmt.Errorf("chaincode definition %s: %w", name, err)
	}
	return l.defs.decode(rec.Value)
}

// ChaincodeDefinitions returns every committed chaincode definition, lscc's
// and _lifecycle's (which wins for a name both define), in name order.
func (l *Ledger) ChaincodeDefinitions() ([]*ChaincodeDefinition, error) {
	snap, err := l.st.snapshot()
	if err != nil {
		return nil, fmt.Errorf("chaincode definitions of %s: %w", l.channel, err)
	}
	defer snap.release()
	byName := map[string]*ChaincodeDefinition{}
	for _, ns := range []string{LSCCNamespace, LifecycleNamespace} {
		prefix := stateKey(ns, "")
		if ns == LifecycleNamespace {
			prefix = stateKey(ns, lifecycleDefinitionPrefix)
		}
		if err := scanDefinitions(snap, prefix, byName); err != nil {
			return nil, fmt.Errorf("chaincode definitions of %s: %w", l.channel, err)
		}
	}
	defs := make([]*ChaincodeDefinition, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		defs = append(defs, byName[name])
	}
	return defs, nil
}

// scanDefinitions decodes every definition under prefix into byName.
func scanDefinitions(snap snapshot, prefix []byte, byName map[string]*ChaincodeDefinition) error {
	cur := snap.scan(bucketState, prefix, prefixEnd(prefix))
	defer cur.close()
	for {
		_, raw, ok, err := cur.next()
		if err != nil || !ok {
			return err
		}
		rec, err := decodeStateRecord(raw)
		if err != nil {
			return err
		}
		d, err := decodeDefinition(rec.Value)
		if err != nil {
			return err
		}
		byName[d.Name] = d
	}
}
