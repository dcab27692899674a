package peersimtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"

	"github.com/chaincodekit/chaincodekit/peersim/client"
	"github.com/chaincodekit/chaincodekit/peersim/determinism"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/trace"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Tx is a transaction being built. Its methods return modified copies, so
// a Tx can be reused as a template.
type Tx struct {
	cc        *Chaincode
	args      [][]byte
	signer    *identity.SigningIdentity
	channel   string
	transient map[string][]byte
	isInit    bool
	// endorsers: EndorsedBy; nil is every organisation of the channel.
	endorsers []string
	// checkDeterminism: WithDeterminismCheck (determinism.go).
	checkDeterminism bool
}

// As signs the transaction with id (default User1).
func (tx Tx) As(id *identity.SigningIdentity) Tx {
	tx.signer = id
	return tx
}

// WithTransient adds an entry to the proposal's transient map: given to
// the chaincode (GetTransient), never recorded in the transaction.
func (tx Tx) WithTransient(key string, value []byte) Tx {
	m := maps.Clone(tx.transient)
	if m == nil {
		m = map[string][]byte{}
	}
	m[key] = value
	tx.transient = m
	return tx
}

// OnChannel sends the transaction on another channel, where the chaincode
// must also be instantiated.
func (tx Tx) OnChannel(name string) Tx {
	tx.channel = name
	return tx
}

// EndorsedBy sends the proposal to the virtual peers of these
// organisations only (see WithOrgs), in this order, to test a transaction
// endorsed by too few of them: Submit then commits it
// ENDORSEMENT_POLICY_FAILURE when the policy needs more. By default every
// organisation of the channel endorses, the signer's first; Evaluate asks
// the first one only, as a query goes to one peer.
func (tx Tx) EndorsedBy(mspIDs ...string) Tx {
	tx.endorsers = slices.Clone(mspIDs)
	return tx
}

// AsInit sends the transaction as the chaincode's Init: the first invoke
// of a _lifecycle definition that requires initialisation, as `peer
// chaincode invoke --isInit` sends it. The peer refuses it for a
// definition that does not require init or is already initialised.
func (tx Tx) AsInit() Tx {
	tx.isInit = true
	return tx
}

// Result is what the peer answered to a transaction.
type Result struct {
	// TxID is the transaction ID.
	TxID string
	// Channel is the channel it was sent on.
	Channel string
	// Status, Message and Payload are the chaincode's response (or the
	// peer's, when it refused the proposal before running the chaincode).
	Status  int32
	Message string
	Payload []byte
	// Event is the chaincode event (SetEvent) as endorsed, nil if none was
	// set. Event listeners on a peer receive it only once the transaction
	// commits VALID.
	Event *peer.ChaincodeEvent
	// RWSet is the public read-write set of the simulation (with the
	// hashes of private data); nil when the peer returned none.
	RWSet *rwset.TxReadWriteSet
	// Endorsed reports whether the peer signed the response (status < 400);
	// with several organisations, whether every one asked did.
	Endorsed bool
	// EndorsedBy lists the organisations whose peers signed the response,
	// in the order asked.
	EndorsedBy []string
	// Committed reports whether the transaction was ordered and committed,
	// valid or not. Evaluate never commits; Submit does not order a
	// transaction that was not endorsed, as Fabric's clients do not.
	Committed bool
	// Code is the validation code once committed; NOT_VALIDATED otherwise.
	Code peer.TxValidationCode
	// BlockNumber is the block the transaction was committed in.
	BlockNumber uint64
	// Trace is the peer's trace of the transaction (peersim tx trace): its
	// proposal, every message the chaincode exchanged with the peer, the
	// read-write set, the endorsement and, once committed, the block and
	// validation code with its reason. Print it with Trace.Render(os.Stdout)
	// when a test fails.
	Trace *trace.Trace
}

// KVRWSet returns the public reads and writes of namespace ns (a
// chaincode name), or nil when the read-write set has none.
func (r *Result) KVRWSet(ns string) *kvrwset.KVRWSet {
	for _, n := range r.RWSet.GetNsRwset() {
		if n.GetNamespace() != ns {
			continue
		}
		kv := &kvrwset.KVRWSet{}
		if err := proto.Unmarshal(n.GetRwset(), kv); err != nil {
			return nil
		}
		return kv
	}
	return nil
}

// Namespaces lists the namespaces of the read-write set, in its order.
func (r *Result) Namespaces() []string {
	var out []string
	for _, n := range r.RWSet.GetNsRwset() {
		out = append(out, n.GetNamespace())
	}
	return out
}

func (r *Result) String() string {
	if r == nil {
		return "<nil result>"
	}
	s := fmt.Sprintf("tx %s on %s: status %d", r.TxID, r.Channel, r.Status)
	if r.Message != "" {
		s += fmt.Sprintf(" message %q", r.Message)
	}
	s += fmt.Sprintf(" payload %q", r.Payload)
	if r.Event != nil {
		s += fmt.Sprintf(" event %q", r.Event.GetEventName())
	}
	if r.Committed {
		s += fmt.Sprintf(", committed %s in block %d", r.Code, r.BlockNumber)
	} else {
		s += ", not committed"
	}
	return s
}

// Endorsement is an endorsed (or refused) proposal not yet submitted.
type Endorsement struct {
	// Result holds the endorsement's answer; Committed is false.
	Result
	peer   *Peer
	signer *identity.SigningIdentity
	prop   *peer.Proposal
	resps  []*peer.ProposalResponse // one per organisation asked
}

// Evaluate sends the proposal and returns the answer without ordering it,
// as a query does: nothing is written.
func (tx Tx) Evaluate(t TB) *Result {
	t.Helper()
	e := tx.endorse(t, true)
	return &e.Result
}

// Submit endorses the transaction, orders it and returns once the peer has
// committed it (Result.Code says whether valid). A proposal the peer did
// not endorse is not ordered.
func (tx Tx) Submit(t TB) *Result {
	t.Helper()
	return tx.Endorse(t).Submit(t)
}

// Endorse sends the proposal and returns the endorsement, to be submitted
// later with Endorsement.Submit.
func (tx Tx) Endorse(t TB) *Endorsement {
	t.Helper()
	return tx.endorse(t, false)
}

// endorsers returns the organisations to endorse on: EndorsedBy's, or
// every member of the channel with the signer's first.
func (tx Tx) endorsingOrgs(t TB, signer *identity.SigningIdentity) []string {
	t.Helper()
	if tx.endorsers != nil {
		for _, id := range tx.endorsers {
			tx.cc.peer.OrgOf(t, id)
		}
		return tx.endorsers
	}
	members := tx.cc.peer.members(tx.channel)
	if i := slices.Index(members, signer.MSPID()); i > 0 {
		members = append(append([]string{signer.MSPID()}, members[:i]...), members[i+1:]...)
	}
	return members
}

func (tx Tx) endorse(t TB, evaluate bool) *Endorsement {
	t.Helper()
	p := tx.cc.peer
	signer := tx.signer
	if signer == nil {
		signer = p.User(t, "User1")
	}
	orgs := tx.endorsingOrgs(t, signer)
	if evaluate && len(orgs) > 1 {
		orgs = orgs[:1]
	}
	inv := identity.Invocation{ChannelID: tx.channel, Chaincode: tx.cc.name, Args: tx.args, Transient: tx.transient, IsInit: tx.isInit}
	prop, txID, err := signer.NewProposal(inv)
	if err != nil {
		t.Fatalf("peersimtest: proposal for %s: %v", tx.cc.name, err)
	}
	sp, err := signer.SignProposal(prop)
	if err != nil {
		t.Fatalf("peersimtest: sign proposal for %s: %v", tx.cc.name, err)
	}
	ctx, cancel := p.context()
	defer cancel()
	if tx.checkDeterminism {
		ctx = determinism.Request(ctx)
	}
	e := &Endorsement{peer: p, signer: signer, prop: prop}
	var endorsedBy []string
	for _, org := range orgs {
		r, err := peer.NewEndorserClient(p.orgConns[org]).ProcessProposal(ctx, sp)
		if err != nil {
			t.Fatalf("peersimtest: endorse %s on %s by %s: %v", tx.cc.name, tx.channel, org, err)
		}
		e.resps = append(e.resps, r)
		if r.GetEndorsement() != nil {
			endorsedBy = append(endorsedBy, org)
		}
	}
	// The Result shows the first refusal, else the first organisation's
	// answer.
	resp := e.resps[0]
	for _, r := range e.resps {
		if r.GetEndorsement() == nil {
			resp = r
			break
		}
	}
	e.Result = Result{
		TxID: txID, Channel: tx.channel,
		Status: resp.GetResponse().GetStatus(), Message: resp.GetResponse().GetMessage(), Payload: resp.GetResponse().GetPayload(),
		Endorsed:   len(endorsedBy) == len(orgs),
		EndorsedBy: endorsedBy,
		Code:       peer.TxValidationCode_NOT_VALIDATED,
	}
	if err := e.decodeAction(); err != nil {
		t.Fatalf("peersimtest: endorsement of %s: %v", txID, err)
	}
	e.Trace = p.trace(tx.channel, txID)
	return e
}

// decodeAction reads the event and read-write set out of the proposal
// response payload.
func (e *Endorsement) decodeAction() error {
	resp := e.resps[0]
	if len(resp.GetPayload()) == 0 {
		return nil
	}
	prp := &peer.ProposalResponsePayload{}
	if err := proto.Unmarshal(resp.GetPayload(), prp); err != nil {
		return fmt.Errorf("proposal response payload: %w", err)
	}
	action := &peer.ChaincodeAction{}
	if err := proto.Unmarshal(prp.GetExtension(), action); err != nil {
		return fmt.Errorf("chaincode action: %w", err)
	}
	if len(action.GetResults()) > 0 {
		e.RWSet = &rwset.TxReadWriteSet{}
		if err := proto.Unmarshal(action.GetResults(), e.RWSet); err != nil {
			return fmt.Errorf("read-write set: %w", err)
		}
	}
	if len(action.GetEvents()) > 0 {
		e.Event = &peer.ChaincodeEvent{}
		if err := proto.Unmarshal(action.GetEvents(), e.Event); err != nil {
			return fmt.Errorf("chaincode event: %w", err)
		}
	}
	return nil
}

// Submit orders the endorsed transaction and returns once the peer has
// committed it. An endorsement the peer refused is returned as it is, not
// committed.
func (e *Endorsement) Submit(t TB) *Result {
	t.Helper()
	return SubmitAll(t, e)[0]
}

// SubmitAll orders the endorsed transactions one after the other, as
// quickly as the orderer takes them, and returns once the peer has
// committed all of them; results are in argument order. With WithBatch
// they can land in one block, where a later transaction that read what an
// earlier one wrote fails MVCC validation. All endorsements must come
// from the same Peer; refused endorsements are returned uncommitted.
func SubmitAll(t TB, es ...*Endorsement) []*Result {
	t.Helper()
	results := make([]*Result, len(es))
	var pending []int
	for i, e := range es {
		r := e.Result
		results[i] = &r
		if r.Endorsed {
			pending = append(pending, i)
		}
	}
	if len(pending) == 0 {
		return results
	}
	p := es[pending[0]].peer
	byChannel := map[string][]int{}
	for _, i := range pending {
		if es[i].peer != p {
			t.Fatalf("peersimtest: SubmitAll: endorsements %d and %d come from different peers", pending[0], i)
		}
		byChannel[es[i].Channel] = append(byChannel[es[i].Channel], i)
	}
	ctx, cancel := p.context()
	defer cancel()
	for channel, idx := range byChannel {
		envs := make([]*common.Envelope, len(idx))
		for j, i := range idx {
			env, err := client.NewSignedTx(es[i].prop, es[i].signer, es[i].resps...)
			if err != nil {
				t.Fatalf("peersimtest: transaction %s: %v", es[i].TxID, err)
			}
			envs[j] = env
		}
		commits, err := p.order(ctx, es[idx[0]].signer, channel, envs)
		if err != nil {
			t.Fatalf("peersimtest: submit on %s: %v", channel, err)
		}
		for _, i := range idx {
			c := commits[results[i].TxID]
			results[i].Committed, results[i].Code, results[i].BlockNumber = true, c.code, c.block
			results[i].Trace = p.trace(channel, results[i].TxID)
		}
	}
	return results
}

// trace returns the peer's trace of txID on channel, nil if it has none.
func (p *Peer) trace(channel, txID string) *trace.Trace {
	if t, ok := p.peer.Trace(channel, txID); ok {
		return &t
	}
	return nil
}

type commit struct {
	block uint64
	code  peer.TxValidationCode
}

// order broadcasts envs and waits on DeliverFiltered for their validation
// codes, by txid. The deliver stream seeks from the newest block, and its
// first answer (that block, already committed) is awaited before anything
// is broadcast: otherwise the peer could resolve "newest" only after some
// of envs were committed in several blocks and skip the earlier ones. The
// channel always has a block by then, since the chaincode that endorsed
// envs was instantiated on it.
func (p *Peer) order(ctx context.Context, signer *identity.SigningIdentity, channel string, envs []*common.Envelope) (map[string]commit, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	seek, err := client.NewSeekEnvelope(signer, channel, &orderer.SeekInfo{
		Start:    &orderer.SeekPosition{Type: &orderer.SeekPosition_Newest{Newest: &orderer.SeekNewest{}}},
		Stop:     &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: math.MaxUint64}}},
		Behavior: orderer.SeekInfo_BLOCK_UNTIL_READY,
	}, nil)
	if err != nil {
		return nil, err
	}
	events, err := peer.NewDeliverClient(p.clientConn).DeliverFiltered(ctx)
	if err != nil {
		return nil, fmt.Errorf("open deliver: %w", err)
	}
	if err := events.Send(seek); err != nil {
		return nil, fmt.Errorf("send deliver request: %w", err)
	}
	first, err := events.Recv()
	if err != nil {
		return nil, fmt.Errorf("wait for the newest block of %s: %w", channel, err)
	}
	if st, ok := first.GetType().(*peer.DeliverResponse_Status); ok {
		return nil, fmt.Errorf("the peer refused to deliver %s: status %s", channel, st.Status)
	}
	bc, err := orderer.NewAtomicBroadcastClient(p.clientConn).Broadcast(ctx)
	if err != nil {
		return nil, fmt.Errorf("open broadcast: %w", err)
	}
	waiting := map[string]bool{}
	for _, env := range envs {
		if err := bc.Send(env); err != nil {
			return nil, fmt.Errorf("broadcast: %w", err)
		}
		ack, err := bc.Recv()
		if err != nil {
			return nil, fmt.Errorf("broadcast answer: %w", err)
		}
		if ack.GetStatus() != common.Status_SUCCESS {
			return nil, fmt.Errorf("ordering refused a transaction: %s %s", ack.GetStatus(), ack.GetInfo())
		}
		txID, err := envelopeTxID(env)
		if err != nil {
			return nil, err
		}
		waiting[txID] = true
	}
	_ = bc.CloseSend()
	out := map[string]commit{}
	for len(waiting) > 0 {
		resp, err := events.Recv()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the peer closed the deliver stream before the transactions committed")
		}
		if err != nil {
			return nil, fmt.Errorf("wait for the commit: %w", err)
		}
		switch r := resp.GetType().(type) {
		case *peer.DeliverResponse_FilteredBlock:
			for _, ftx := range r.FilteredBlock.GetFilteredTransactions() {
				if waiting[ftx.GetTxid()] {
					delete(waiting, ftx.GetTxid())
					out[ftx.GetTxid()] = commit{block: r.FilteredBlock.GetNumber(), code: ftx.GetTxValidationCode()}
				}
			}
		case *peer.DeliverResponse_Status:
			return nil, fmt.Errorf("the peer ended deliver with status %s before the transactions committed", r.Status)
		}
	}
	return out, nil
}

// envelopeTxID reads the transaction ID from an envelope's channel header.
func envelopeTxID(env *common.Envelope) (string, error) {
	payload := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), payload); err != nil {
		return "", fmt.Errorf("transaction envelope: %w", err)
	}
	ch := &common.ChannelHeader{}
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), ch); err != nil {
		return "", fmt.Errorf("transaction channel header: %w", err)
	}
	return ch.GetTxId(), nil
}
