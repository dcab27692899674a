package syscc

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/chaincodekit/chaincodekit/peersim/ledger"
)

// InitializedKey is the key in a chaincode's own namespace where the
// version that ran its Init is recorded, for a _lifecycle definition with
// InitRequired. It is Fabric's reserved key, which no chaincode can write
// (a shim's keys never start with a null byte followed by U+10FFFF).
const InitializedKey = "\x00" + string(utf8.MaxRune) + "initialized"

// StateReadWriter reads and writes public state in a transaction; a
// *ledger.Simulator is one, and the chaincode handler's simulator too.
type StateReadWriter interface {
	GetState(ns, key string) ([]byte, error)
	SetState(ns, key string, value []byte) error
}

// CheckInit applies Fabric 2.x's init-exactly-once rule to an invocation
// of def: it returns whether the invocation runs the chaincode's Init
// (isInit, accepted) and, when it does, records the initialisation of
// def's version in rw. Both the read and the write of InitializedKey are
// part of the transaction, so two racing inits conflict at validation
// (MVCC) and only one commits. A definition without InitRequired (every
// lscc one) refuses isInit, as Fabric refuses it for legacy chaincode.
func CheckInit(rw StateReadWriter, def *ledger.ChaincodeDefinition, isInit bool) (init bool, _ error) {
	needsInit := false
	if def.InitRequired {
		v, err := rw.GetState(def.Name, InitializedKey)
		if err != nil {
			return false, fmt.Errorf("could not get 'initialized' key: %w", err)
		}
		needsInit = !bytes.Equal(v, []byte(def.Version))
	}
	switch {
	case isInit && !def.InitRequired:
		return false, fmt.Errorf("chaincode '%s' does not require initialization but called as init", def.Name)
	case isInit && !needsInit:
		return false, fmt.Errorf("chaincode '%s' is already initialized but called as init", def.Name)
	case isInit:
		if err := rw.SetState(def.Name, InitializedKey, []byte(def.Version)); err != nil {
			return false, fmt.Errorf("could not set 'initialized' key: %w", err)
		}
		return true, nil
	case needsInit:
		return false, fmt.Errorf("chaincode '%s' has not been initialized for this version, must call as init first", def.Name)
	}
	return false, nil
}

// Approval returns the package ID organisation mspID approved for
// chaincode name at sequence on l's channel, and whether it approved that
// sequence at all (an approval may name no package). It reads the clear
// private data of the organisation's implicit collection, so it answers
// only on a peer of that organisation.
func Approval(l *ledger.Ledger, mspID, name string, sequence int64) (packageID string, approved bool, _ error) {
	sim, err := l.NewSimulatorAt(mspID, "", mspID)
	if err != nil {
		return "", false, err
	}
	defer sim.Done()
	a, err := readApproval(sim, mspID, name, sequence)
	if err != nil || a == nil {
		return "", false, err
	}
	return a.packageID, true, nil
}

// ApprovedPackageIDs returns the package IDs organisation mspID named in
// its approvals on l's channel, of any chaincode and sequence.
func ApprovedPackageIDs(l *ledger.Ledger, mspID string) ([]string, error) {
	sim, err := l.NewSimulatorAt(mspID, "", mspID)
	if err != nil {
		return nil, err
	}
	defer sim.Done()
	refs, err := approvalRefs(sim, mspID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range refs {
		a, err := readApproval(sim, mspID, r.name, r.seq)
		if err != nil {
			return nil, err
		}
		if a != nil && a.packageID != "" {
			out = append(out, a.packageID)
		}
	}
	return out, nil
}

// approvalRef names one approval: chaincode name and sequence.
type approvalRef struct {
	name string
	seq  int64
}

// approvalRefs lists the approvals of mspID in sim's channel, in key order.
func approvalRefs(sim *ledger.Simulator, mspID string) ([]approvalRef, error) {
	prefix := metadataKey("namespaces", "")
	it, err := sim.GetPrivateDataRangeScanIterator(ledger.LifecycleNamespace, implicitCollection(mspID), prefix, prefix+"\xff")
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var refs []approvalRef
	for {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		if kv == nil {
			return refs, nil
		}
		pn := strings.TrimPrefix(kv.GetKey(), prefix)
		i := strings.LastIndexByte(pn, '#')
		if i < 0 {
			return nil, fmt.Errorf("could not extract chaincode name and sequence number from private name: %s", pn)
		}
		seq, err := strconv.ParseInt(pn[i+1:], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("could not extract chaincode name and sequence number from private name: %s", pn)
		}
		refs = append(refs, approvalRef{pn[:i], seq})
	}
}
