package ledger

import (
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const testChannel = "testchannel"

// fakePolicy is a PolicyChecker with function fields; nil fields accept.
type fakePolicy struct {
	creator      func(creator, payload, sig []byte) error
	endorsements func(p Policy, prp []byte, es []*peer.Endorsement) error
}

func (f *fakePolicy) CheckCreator(c, p, s []byte) error {
	if f.creator == nil {
		return nil
	}
	return f.creator(c, p, s)
}

func (f *fakePolicy) CheckEndorsements(p Policy, prp []byte, es []*peer.Endorsement) error {
	if f.endorsements == nil {
		return nil
	}
	return f.endorsements(p, prp, es)
}

type testOpts struct {
	backend string
	dir     string
	policy  PolicyChecker
	mutate  func(*Config)
	// bare skips the definition of chaincode "cc" that every test ledger
	// otherwise starts with (block 0).
	bare bool
}

func openTestLedger(t testing.TB, o testOpts) *Ledger {
	t.Helper()
	cfg := MemoryConfig()
	if o.backend == BackendBolt {
		if o.dir == "" {
			o.dir = t.TempDir()
		}
		cfg = DefaultConfig(o.dir)
	}
	if o.mutate != nil {
		o.mutate(&cfg)
	}
	l, err := Open(testChannel, cfg, WithPolicyChecker(o.policy))
	if err != nil {
		t.Fatalf("open ledger: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	if !o.bare && l.Height() == 0 {
		define(t, l, &ChaincodeDefinition{Name: "cc", Version: "1"})
	}
	return l
}

func newLedger(t testing.TB) *Ledger { return openTestLedger(t, testOpts{}) }

// client is a test identity that builds transactions as a Fabric client does.
type client struct {
	mspID   string
	creator []byte
}

func newClient(t testing.TB, mspID string) client {
	t.Helper()
	b, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: []byte("cert of " + mspID)})
	if err != nil {
		t.Fatal(err)
	}
	return client{mspID: mspID, creator: b}
}

var org1 = "Org1MSP"

// proposal is an endorsed transaction in the making.
type proposal struct {
	c     client
	cc    string
	nonce []byte
	txID  string
	ts    time.Time
	event *peer.ChaincodeEvent
}

func (c client) propose(t testing.TB, cc string) *proposal {
	t.Helper()
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		t.Fatal(err)
	}
	return &proposal{c: c, cc: cc, nonce: nonce, txID: ComputeTxID(nonce, c.creator), ts: time.Now()}
}

// endorse simulates fn for the proposal and returns the signed envelope; the
// private writes go to the ledger's transient store.
func (p *proposal) endorse(t testing.TB, l *Ledger, fn func(s *Simulator) error) *common.Envelope {
	t.Helper()
	res, err := l.Simulate(p.txID, p.c.mspID, fn)
	if err != nil {
		t.Fatalf("simulate %s: %v", p.txID, err)
	}
	l.PutTransient(p.txID, res.Private)
	return p.envelope(t, res)
}

func (p *proposal) envelope(t testing.TB, res *SimulationResults) *common.Envelope {
	t.Helper()
	must := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	results, err := res.PublicBytes()
	if err != nil {
		t.Fatal(err)
	}
	chdr := &common.ChannelHeader{
		Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: testChannel, TxId: p.txID,
		Timestamp: timestamppb.New(p.ts),
		Extension: must(&peer.ChaincodeHeaderExtension{ChaincodeId: &peer.ChaincodeID{Name: p.cc}}),
	}
	shdr := &common.SignatureHeader{Creator: p.c.creator, Nonce: p.nonce}
	action := &peer.ChaincodeAction{Results: results, Response: &peer.Response{Status: 200}, ChaincodeId: &peer.ChaincodeID{Name: p.cc, Version: "1"}}
	if p.event != nil {
		action.Events = must(p.event)
	}
	prp := must(&peer.ProposalResponsePayload{ProposalHash: []byte("hash"), Extension: must(action)})
	cap := &peer.ChaincodeActionPayload{
		ChaincodeProposalPayload: must(&peer.ChaincodeProposalPayload{}),
		Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp,
			Endorsements: []*peer.Endorsement{{Endorser: []byte("peer0." + p.c.mspID), Signature: []byte("sig")}}},
	}
	tx := &peer.Transaction{Actions: []*peer.TransactionAction{{Header: must(shdr), Payload: must(cap)}}}
	payload := &common.Payload{Header: &common.Header{ChannelHeader: must(chdr), SignatureHeader: must(shdr)}, Data: must(tx)}
	return &common.Envelope{Payload: must(payload), Signature: []byte("client signature")}
}

// define commits a chaincode definition.
func define(t testing.TB, l *Ledger, def *ChaincodeDefinition) {
	t.Helper()
	env := newClient(t, org1).propose(t, LSCCNamespace).endorse(t, l, func(s *Simulator) error {
		return s.PutChaincodeDefinition(def)
	})
	commitValid(t, l, env)
}

// commit commits envs as one block.
func commit(t testing.TB, l *Ledger, envs ...*common.Envelope) *CommittedBlock {
	t.Helper()
	cb, err := l.CommitBlock(envs)
	if err != nil {
		t.Fatalf("commit block: %v", err)
	}
	return cb
}

// commitValid commits envs and fails the test unless all are valid.
func commitValid(t testing.TB, l *Ledger, envs ...*common.Envelope) *CommittedBlock {
	t.Helper()
	cb := commit(t, l, envs...)
	for _, r := range cb.Txs {
		if r.Code != peer.TxValidationCode_VALID {
			t.Fatalf("transaction %d invalid: %v", r.Index, r.Err)
		}
	}
	return cb
}

// put commits one transaction writing kvs (key, value, key, value...) in cc.
func put(t testing.TB, l *Ledger, cc string, kvs ...string) *CommittedBlock {
	t.Helper()
	env := newClient(t, org1).propose(t, cc).endorse(t, l, func(s *Simulator) error {
		for i := 0; i+1 < len(kvs); i += 2 {
			if err := s.SetState(cc, kvs[i], []byte(kvs[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
	return commitValid(t, l, env)
}

// read returns a committed value through a fresh simulator.
func read(t testing.TB, l *Ledger, ns, key string) []byte {
	t.Helper()
	var v []byte
	_, err := l.Simulate("read", org1, func(s *Simulator) error {
		var err error
		v, err = s.GetState(ns, key)
		return err
	})
	if err != nil {
		t.Fatalf("read %s/%s: %v", ns, key, err)
	}
	return v
}

var errFault = errors.New("injected fault")

// anyOf returns the envelope of OR('<mspID>.<role>', ...) as Fabric's
// policy parser builds it. The ledger parses no policy language; clients
// do (identity.ParsePolicy), so its tests build envelopes directly.
func anyOf(role msp.MSPRole_MSPRoleType, mspIDs ...string) *common.SignaturePolicyEnvelope {
	env := &common.SignaturePolicyEnvelope{Rule: &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{
		NOutOf: &common.SignaturePolicy_NOutOf{N: 1},
	}}}
	for i, id := range mspIDs {
		b, err := proto.Marshal(&msp.MSPRole{MspIdentifier: id, Role: role})
		if err != nil {
			panic(err) // a test input error
		}
		env.Identities = append(env.Identities, &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: b})
		nout := env.Rule.GetNOutOf()
		nout.Rules = append(nout.Rules, &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: int32(i)}})
	}
	return env
}

// collSpec is one static collection of a test chaincode definition.
type collSpec struct {
	name            string
	members         []string // MSP IDs: the member policy is any of their members
	requiredPeers   int32
	maxPeers        int32
	blockToLive     uint64
	memberOnlyRead  bool
	memberOnlyWrite bool
	endorsers       []string // MSP IDs: the collection's endorsement policy is any of their peers; nil: none
}

// collections builds the collection package a client sends for specs.
func collections(specs ...collSpec) *peer.CollectionConfigPackage {
	pkg := &peer.CollectionConfigPackage{}
	for _, c := range specs {
		sc := &peer.StaticCollectionConfig{
			Name: c.name,
			MemberOrgsPolicy: &peer.CollectionPolicyConfig{Payload: &peer.CollectionPolicyConfig_SignaturePolicy{
				SignaturePolicy: anyOf(msp.MSPRole_MEMBER, c.members...),
			}},
			RequiredPeerCount: c.requiredPeers,
			MaximumPeerCount:  c.maxPeers,
			BlockToLive:       c.blockToLive,
			MemberOnlyRead:    c.memberOnlyRead,
			MemberOnlyWrite:   c.memberOnlyWrite,
		}
		if c.endorsers != nil {
			sc.EndorsementPolicy = &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{
				SignaturePolicy: anyOf(msp.MSPRole_PEER, c.endorsers...),
			}}
		}
		pkg.Config = append(pkg.Config, &peer.CollectionConfig{
			Payload: &peer.CollectionConfig_StaticCollectionConfig{StaticCollectionConfig: sc},
		})
	}
	return pkg
}
