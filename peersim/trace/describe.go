package trace

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// SetProposal records what the client asked: creator is MSPID/name of the
// signer; of the transient map only the keys are kept.
func (t *Trace) SetProposal(creator, chaincode string, input *peer.ChaincodeInput, transient map[string][]byte) {
	p := Proposal{Creator: creator, Chaincode: chaincode, IsInit: input.GetIsInit()}
	args := input.GetArgs()
	if len(args) > 0 {
		p.Function = ValueOf(args[0]).String()
		for _, a := range args[1:] {
			p.Args = append(p.Args, ValueOf(a))
		}
	}
	p.TransientKeys = slices.Sorted(maps.Keys(transient))
	t.Proposal = p
}

// SetResponse records the endorser's answer: the response, the signer and,
// from the proposal response payload, the read-write set and the event.
func (t *Trace) SetResponse(resp *peer.ProposalResponse, endorser string) error {
	r := resp.GetResponse()
	t.Response = Response{Status: r.GetStatus(), Message: r.GetMessage(), Payload: ValueOf(r.GetPayload())}
	t.Endorsed = resp.GetEndorsement() != nil
	if t.Endorsed {
		t.Endorser = endorser
	}
	if len(resp.GetPayload()) == 0 {
		return nil
	}
	prp := &peer.ProposalResponsePayload{}
	if err := proto.Unmarshal(resp.GetPayload(), prp); err != nil {
		return fmt.Errorf("trace of %s: decode the proposal response payload: %w", t.TxID, err)
	}
	action := &peer.ChaincodeAction{}
	if err := proto.Unmarshal(prp.GetExtension(), action); err != nil {
		return fmt.Errorf("trace of %s: decode the chaincode action: %w", t.TxID, err)
	}
	if ev := action.GetEvents(); len(ev) > 0 {
		e := &peer.ChaincodeEvent{}
		if err := proto.Unmarshal(ev, e); err != nil {
			return fmt.Errorf("trace of %s: decode the chaincode event: %w", t.TxID, err)
		}
		if e.GetEventName() != "" {
			t.Event = &Event{Name: e.GetEventName(), Payload: ValueOf(e.GetPayload())}
		}
	}
	if len(action.GetResults()) == 0 {
		return nil
	}
	txrw := &rwset.TxReadWriteSet{}
	if err := proto.Unmarshal(action.GetResults(), txrw); err != nil {
		return fmt.Errorf("trace of %s: decode the read-write set: %w", t.TxID, err)
	}
	for _, ns := range txrw.GetNsRwset() {
		n, err := namespaceOf(ns)
		if err != nil {
			return fmt.Errorf("trace of %s: %w", t.TxID, err)
		}
		t.RWSet = append(t.RWSet, n)
	}
	return nil
}

// namespaceOf shows one namespace's read-write set.
func namespaceOf(ns *rwset.NsReadWriteSet) (Namespace, error) {
	kv := &kvrwset.KVRWSet{}
	if err := proto.Unmarshal(ns.GetRwset(), kv); err != nil {
		return Namespace{}, fmt.Errorf("decode the read-write set of namespace %s: %w", ns.GetNamespace(), err)
	}
	n := Namespace{Namespace: ns.GetNamespace(), RangeQueries: len(kv.GetRangeQueriesInfo())}
	for _, r := range kv.GetReads() {
		rd := Read{Key: r.GetKey()}
		if v := r.GetVersion(); v != nil {
			rd.Version = fmt.Sprintf("%d:%d", v.GetBlockNum(), v.GetTxNum())
		}
		n.Reads = append(n.Reads, rd)
	}
	for _, w := range kv.GetWrites() {
		wr := Write{Key: w.GetKey(), Delete: w.GetIsDelete()}
		if !w.GetIsDelete() {
			v := ValueOf(w.GetValue())
			wr.Value = &v
		}
		n.Writes = append(n.Writes, wr)
	}
	for _, c := range ns.GetCollectionHashedRwset() {
		h := &kvrwset.HashedRWSet{}
		if err := proto.Unmarshal(c.GetHashedRwset(), h); err != nil {
			return Namespace{}, fmt.Errorf("decode the hashed read-write set of %s/%s: %w", ns.GetNamespace(), c.GetCollectionName(), err)
		}
		n.Collections = append(n.Collections, Collection{Name: c.GetCollectionName(), Reads: len(h.GetHashedReads()), Writes: len(h.GetHashedWrites())})
	}
	return n, nil
}
