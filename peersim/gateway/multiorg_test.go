package gateway

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// fakePeer is one organisation's endorser; it records that it was called.
type fakePeer struct {
	org     string
	payload string // the proposal response payload it simulates
	fail    string // when set, it answers status 500 with this message
	// interest is the ChaincodeInterest of its response.
	interest *peer.ChaincodeInterest

	// meet, when set, holds the call until every peer sharing it has been
	// called (or ctx ends).
	meet *meeting

	mu     sync.Mutex
	called int
}

func (f *fakePeer) Process(ctx context.Context, _ *peer.SignedProposal) (*peer.ProposalResponse, error) {
	f.mu.Lock()
	f.called++
	f.mu.Unlock()
	if f.meet != nil {
		f.meet.arrive(ctx)
	}
	if err := ctx.Err(); err != nil { // as a gRPC call past its deadline fails
		return nil, err
	}
	if f.fail != "" {
		return &peer.ProposalResponse{Version: 1, Response: &peer.Response{Status: 500, Message: f.fail}}, nil
	}
	return &peer.ProposalResponse{
		Version:     1,
		Response:    &peer.Response{Status: 200},
		Payload:     []byte(f.payload),
		Endorsement: &peer.Endorsement{Endorser: []byte(f.org + " peer"), Signature: []byte("sig")},
		Interest:    f.interest,
	}, nil
}

// meeting releases its callers once n of them have arrived.
type meeting struct {
	mu  sync.Mutex
	n   int
	all chan struct{}
}

func newMeeting(n int) *meeting { return &meeting{n: n, all: make(chan struct{})} }

// arrive returns once n callers have arrived, or when ctx ends.
func (m *meeting) arrive(ctx context.Context) {
	m.mu.Lock()
	if m.n--; m.n == 0 {
		close(m.all)
	}
	m.mu.Unlock()
	select {
	case <-m.all:
	case <-ctx.Done():
	}
}

func (f *fakePeer) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.called
}

// network is a gateway of Org1MSP with a peer of each organisation.
type network struct {
	s     *Server
	peers map[string]*fakePeer
	l     *ledger.Ledger
}

func newNetwork(t *testing.T, l *ledger.Ledger, peers ...*fakePeer) *network {
	t.Helper()
	n := &network{peers: map[string]*fakePeer{}, l: l}
	endorsers := map[string]Endorser{}
	addresses := map[string]string{}
	var members []string
	for _, p := range peers {
		if p.payload == "" {
			p.payload = "the same results"
		}
		n.peers[p.org] = p
		endorsers[p.org] = p
		addresses[p.org] = "peer0." + strings.ToLower(strings.TrimSuffix(p.org, "MSP")) + ":7051"
		members = append(members, p.org)
	}
	n.s = New(Config{
		Endorser:  endorsers["Org1MSP"],
		Peers:     endorsers,
		Addresses: addresses,
		Members:   func(string) ([]string, error) { return members, nil },
		Channels:  fakeChannels{l: l},
		MSPID:     "Org1MSP",
		Address:   "peer0.org1:7051",
	})
	return n
}

// onChannel makes the channel's members orgs only, whatever peers the
// network has.
func (n *network) onChannel(orgs ...string) {
	n.s.cfg.Members = func(string) ([]string, error) { return orgs, nil }
}

// calledOrgs lists the organisations whose peers were asked to endorse.
func (n *network) calledOrgs() []string {
	var out []string
	for org, p := range n.peers {
		if p.calls() > 0 {
			out = append(out, org)
		}
	}
	slices.Sort(out)
	return out
}

// admin is an Org1MSP admin, who signs the proposals.
func admin(t *testing.T) *identity.SigningIdentity {
	t.Helper()
	org, err := identity.EnsureOrg(t.TempDir(), identity.DefaultConfig())
	if err != nil {
		t.Fatalf("create organisation: %v", err)
	}
	id, err := org.Identity("Admin")
	if err != nil {
		t.Fatalf("admin identity: %v", err)
	}
	return id
}

// ledgerWith returns a ledger with the definition of chaincode "cc" under
// policy, committed as lscc would.
func ledgerWith(t *testing.T, policy *peer.ApplicationPolicy) *ledger.Ledger {
	t.Helper()
	return ledgerWithDefinition(t, &ledger.ChaincodeDefinition{Name: "cc", Version: "1.0", EndorsementPolicy: policy})
}

// ledgerWithDefinition returns a ledger with def committed as lscc would.
func ledgerWithDefinition(t *testing.T, def *ledger.ChaincodeDefinition) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open("mychannel", ledger.MemoryConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	id := admin(t)
	prop, txID, err := id.NewProposal(identity.Invocation{ChannelID: "mychannel", Chaincode: "lscc", Args: [][]byte{[]byte("deploy")}})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := id.SignProposal(prop)
	if err != nil {
		t.Fatal(err)
	}
	up, err := identity.UnpackProposal(sp)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := l.NewSimulator(txID, "Org1MSP")
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.PutChaincodeDefinition(def); err != nil {
		t.Fatal(err)
	}
	sim.Done()
	res, err := sim.Results()
	if err != nil {
		t.Fatal(err)
	}
	results, err := res.PublicBytes()
	if err != nil {
		t.Fatal(err)
	}
	ext := mustMarshal(t, &peer.ChaincodeAction{Results: results, Response: &peer.Response{Status: 200}, ChaincodeId: &peer.ChaincodeID{Name: "lscc"}})
	prp := mustMarshal(t, &peer.ProposalResponsePayload{ProposalHash: up.ProposalHash, Extension: ext})
	env, _, err := identity.NewTransaction(prop, &peer.ProposalResponse{Response: &peer.Response{Status: 200}, Payload: prp,
		Endorsement: &peer.Endorsement{Endorser: id.Serialize(), Signature: []byte("sig")}})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := l.CommitBlock([]*common.Envelope{env})
	if err != nil {
		t.Fatal(err)
	}
	if code := cb.Txs[0].Code; code != peer.TxValidationCode_VALID {
		t.Fatalf("the definition's transaction is %s", code)
	}
	return l
}

func signaturePolicy(t *testing.T, policy string) *peer.ApplicationPolicy {
	t.Helper()
	env, err := identity.ParsePolicy(policy)
	if err != nil {
		t.Fatal(err)
	}
	return &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{SignaturePolicy: env}}
}

func endorsementRef() *peer.ApplicationPolicy {
	return &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_ChannelConfigPolicyReference{ChannelConfigPolicyReference: identity.EndorsementRef}}
}

func signedProposal(t *testing.T) *peer.SignedProposal {
	t.Helper()
	return signedProposalWith(t, nil)
}

func signedProposalWith(t *testing.T, transient map[string][]byte) *peer.SignedProposal {
	t.Helper()
	sp, _, err := admin(t).NewSignedProposal(identity.Invocation{ChannelID: "mychannel", Chaincode: "cc", Args: [][]byte{[]byte("put")}, Transient: transient})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// endorsers returns the endorsers of the prepared transaction.
func endorsers(t *testing.T, env *common.Envelope) []string {
	t.Helper()
	payload, tx, cap := &common.Payload{}, &peer.Transaction{}, &peer.ChaincodeActionPayload{}
	if err := proto.Unmarshal(env.GetPayload(), payload); err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(payload.GetData(), tx); err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(tx.GetActions()[0].GetPayload(), cap); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range cap.GetAction().GetEndorsements() {
		out = append(out, strings.TrimSuffix(string(e.GetEndorser()), " peer"))
	}
	slices.Sort(out)
	return out
}

func orgs(names ...string) []*fakePeer {
	out := make([]*fakePeer, 0, len(names))
	for _, n := range names {
		out = append(out, &fakePeer{org: n})
	}
	return out
}

func TestEndorseGathersTheEndorsementsThePolicyNeeds(t *testing.T) {
	tests := []struct {
		name     string
		policy   func(t *testing.T) *peer.ApplicationPolicy
		peers    []*fakePeer
		orgs     []string // EndorsingOrganizations
		want     []string // the endorsers of the transaction
		wantCall []string // the organisations asked
	}{
		{name: "AND of two organisations gathers both",
			policy: func(t *testing.T) *peer.ApplicationPolicy {
				return signaturePolicy(t, "AND('Org1MSP.peer', 'Org2MSP.peer')")
			},
			peers: orgs("Org1MSP", "Org2MSP"), want: []string{"Org1MSP", "Org2MSP"}, wantCall: []string{"Org1MSP", "Org2MSP"}},
		{name: "OR stays with the gateway's organisation",
			policy: func(t *testing.T) *peer.ApplicationPolicy {
				return signaturePolicy(t, "OR('Org1MSP.peer', 'Org2MSP.peer')")
			},
			peers: orgs("Org1MSP", "Org2MSP"), want: []string{"Org1MSP"}, wantCall: []string{"Org1MSP"}},
		{name: "OutOf 2 of 3 adds one other organisation",
			policy: func(t *testing.T) *peer.ApplicationPolicy {
				return signaturePolicy(t, "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')")
			},
			peers: orgs("Org1MSP", "Org2MSP", "Org3MSP"), want: []string{"Org1MSP", "Org2MSP"}, wantCall: []string{"Org1MSP", "Org2MSP"}},
		{name: "a policy without the gateway's organisation is endorsed by the others",
			policy: func(t *testing.T) *peer.ApplicationPolicy {
				return signaturePolicy(t, "AND('Org2MSP.peer', 'Org3MSP.peer')")
			},
			peers: orgs("Org1MSP", "Org2MSP", "Org3MSP"), want: []string{"Org2MSP", "Org3MSP"}, wantCall: []string{"Org1MSP", "Org2MSP", "Org3MSP"}},
		{name: "the channel's Endorsement policy is MAJORITY: two of three",
			policy: func(*testing.T) *peer.ApplicationPolicy { return endorsementRef() },
			peers:  orgs("Org1MSP", "Org2MSP", "Org3MSP"), want: []string{"Org1MSP", "Org2MSP"}, wantCall: []string{"Org1MSP", "Org2MSP"}},
		{name: "the channel's Endorsement policy with two organisations is both",
			policy: func(*testing.T) *peer.ApplicationPolicy { return endorsementRef() },
			peers:  orgs("Org1MSP", "Org2MSP"), want: []string{"Org1MSP", "Org2MSP"}, wantCall: []string{"Org1MSP", "Org2MSP"}},
		{name: "an lscc definition without a policy needs one member: the gateway's organisation",
			policy: func(*testing.T) *peer.ApplicationPolicy { return nil },
			peers:  orgs("Org1MSP", "Org2MSP"), want: []string{"Org1MSP"}, wantCall: []string{"Org1MSP"}},
		{name: "EndorsingOrganizations are endorsed on, exactly",
			policy: func(t *testing.T) *peer.ApplicationPolicy {
				return signaturePolicy(t, "OR('Org1MSP.peer', 'Org2MSP.peer')")
			},
			peers: orgs("Org1MSP", "Org2MSP", "Org3MSP"), orgs: []string{"Org3MSP", "Org2MSP"}, want: []string{"Org2MSP", "Org3MSP"}, wantCall: []string{"Org2MSP", "Org3MSP"}},
		{name: "a key-level policy in the first response's interest adds its organisation",
			policy: func(t *testing.T) *peer.ApplicationPolicy {
				return signaturePolicy(t, "OR('Org1MSP.peer', 'Org2MSP.peer')")
			},
			peers: []*fakePeer{{org: "Org1MSP", interest: &peer.ChaincodeInterest{Chaincodes: []*peer.ChaincodeCall{{
				Name: "cc", KeyPolicies: []*common.SignaturePolicyEnvelope{identity.MustParsePolicy("OR('Org3MSP.peer')")},
			}}}}, {org: "Org2MSP"}, {org: "Org3MSP"}},
			want: []string{"Org1MSP", "Org3MSP"}, wantCall: []string{"Org1MSP", "Org3MSP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNetwork(t, ledgerWith(t, tt.policy(t)), tt.peers...)
			resp, err := n.s.Endorse(context.Background(), &gp.EndorseRequest{ProposedTransaction: signedProposal(t), EndorsingOrganizations: tt.orgs})
			if err != nil {
				t.Fatalf("Endorse: %v", err)
			}
			if diff := cmp.Diff(tt.want, endorsers(t, resp.GetPreparedTransaction())); diff != "" {
				t.Errorf("endorsers (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCall, n.calledOrgs()); diff != "" {
				t.Errorf("organisations asked (-want +got):\n%s", diff)
			}
		})
	}
}

// collections is a collection "secret" of Org1MSP and Org3MSP with
// endorsement policy, and "plain" without one.
func collections(t *testing.T, policy string) *peer.CollectionConfigPackage {
	t.Helper()
	members := &peer.CollectionPolicyConfig{Payload: &peer.CollectionPolicyConfig_SignaturePolicy{
		SignaturePolicy: identity.MustParsePolicy("OR('Org1MSP.member', 'Org3MSP.member')")}}
	static := func(name string, endorsement *peer.ApplicationPolicy) *peer.CollectionConfig {
		return &peer.CollectionConfig{Payload: &peer.CollectionConfig_StaticCollectionConfig{StaticCollectionConfig: &peer.StaticCollectionConfig{
			Name: name, MemberOrgsPolicy: members, MaximumPeerCount: 1, EndorsementPolicy: endorsement}}}
	}
	return &peer.CollectionConfigPackage{Config: []*peer.CollectionConfig{static("secret", signaturePolicy(t, policy)), static("plain", nil)}}
}

func TestEndorseFollowsTheCollectionPolicyOfTheInterest(t *testing.T) {
	tests := []struct {
		name       string
		collection string
		want       []string
	}{
		{name: "a collection's endorsement policy replaces the chaincode's", collection: "secret", want: []string{"Org1MSP", "Org3MSP"}},
		{name: "a collection without one takes the chaincode's", collection: "plain", want: []string{"Org1MSP"}},
		{name: "an implicit collection needs a peer of its organisation, not the chaincode's policy", collection: ledger.ImplicitCollectionPrefix + "Org2MSP", want: []string{"Org2MSP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ledgerWithDefinition(t, &ledger.ChaincodeDefinition{Name: "cc", Version: "1.0",
				EndorsementPolicy: signaturePolicy(t, "OR('Org1MSP.peer', 'Org2MSP.peer')"),
				Collections:       collections(t, "AND('Org1MSP.peer', 'Org3MSP.peer')")})
			first := &fakePeer{org: "Org1MSP", interest: &peer.ChaincodeInterest{Chaincodes: []*peer.ChaincodeCall{{
				Name: "cc", CollectionNames: []string{tt.collection}, NoPrivateReads: true}}}}
			n := newNetwork(t, l, first, &fakePeer{org: "Org2MSP"}, &fakePeer{org: "Org3MSP"})
			resp, err := n.s.Endorse(context.Background(), &gp.EndorseRequest{ProposedTransaction: signedProposal(t)})
			if err != nil {
				t.Fatalf("Endorse: %v", err)
			}
			if diff := cmp.Diff(tt.want, endorsers(t, resp.GetPreparedTransaction())); diff != "" {
				t.Errorf("endorsers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrivateDataIsEndorsedByTheCollectionsMembers(t *testing.T) {
	secret := map[string][]byte{"price": []byte("10")}
	tests := []struct {
		name      string
		policy    string
		reads     bool // the first endorsement read the collection
		transient map[string][]byte
		want      []string
		wantCode  codes.Code
		wantMsg   string
	}{
		{name: "without private reads any organisation may endorse", policy: "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')",
			want: []string{"Org1MSP", "Org2MSP"}},
		{name: "a collection read is endorsed by its members only", policy: "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')",
			reads: true, want: []string{"Org1MSP", "Org3MSP"}},
		{name: "transient data goes to the collection's members only", policy: "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')",
			transient: secret, want: []string{"Org1MSP", "Org3MSP"}},
		{name: "transient data is not sent to an organisation outside the collection the policy needs", policy: "AND('Org1MSP.peer', 'Org2MSP.peer')",
			transient: secret, wantCode: codes.FailedPrecondition,
			wantMsg: "requires endorsement from organisation(s) that are not in the distribution policy of the private data collection(s): [plain]; retry specifying trusted endorsing organizations to protect transient data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ledgerWithDefinition(t, &ledger.ChaincodeDefinition{Name: "cc", Version: "1.0",
				EndorsementPolicy: signaturePolicy(t, tt.policy), Collections: collections(t, "OR('Org1MSP.peer')")})
			first := &fakePeer{org: "Org1MSP", interest: &peer.ChaincodeInterest{Chaincodes: []*peer.ChaincodeCall{{
				Name: "cc", CollectionNames: []string{"plain"}, NoPrivateReads: !tt.reads}}}}
			n := newNetwork(t, l, first, &fakePeer{org: "Org2MSP"}, &fakePeer{org: "Org3MSP"})
			resp, err := n.s.Endorse(context.Background(), &gp.EndorseRequest{ProposedTransaction: signedProposalWith(t, tt.transient)})
			if st, _ := status.FromError(err); st.Code() != tt.wantCode || st.Message() != tt.wantMsg && tt.wantCode != codes.OK {
				t.Fatalf("Endorse = %v, want %s %q", err, tt.wantCode, tt.wantMsg)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, endorsers(t, resp.GetPreparedTransaction())); diff != "" {
				t.Errorf("endorsers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWithoutPeersTheGatewayEndorsesOnItsOwnOrganisationAsBefore(t *testing.T) {
	local := &fakePeer{org: "Org1MSP", payload: "results"}
	s := New(Config{Endorser: local, Channels: fakeChannels{l: ledgerWith(t, signaturePolicy(t, "AND('Org1MSP.peer', 'Org2MSP.peer')"))},
		MSPID: "Org1MSP", Address: "peer0.org1:7051",
		Members: func(string) ([]string, error) { t.Error("Members called without Peers"); return nil, nil }})
	resp, err := s.Endorse(context.Background(), &gp.EndorseRequest{ProposedTransaction: signedProposal(t)})
	if err != nil {
		t.Fatalf("Endorse: %v", err)
	}
	if diff := cmp.Diff([]string{"Org1MSP"}, endorsers(t, resp.GetPreparedTransaction())); diff != "" {
		t.Errorf("endorsers (-want +got):\n%s", diff)
	}
	_, err = s.Endorse(context.Background(), &gp.EndorseRequest{ProposedTransaction: signedProposal(t), EndorsingOrganizations: []string{"Org2MSP"}})
	if st, _ := status.FromError(err); st.Code() != codes.Unavailable || st.Message() != "failed to find any endorsing peers for org(s): Org2MSP" {
		t.Errorf("Endorse for Org2MSP = %v, want Unavailable", err)
	}
	if _, err := s.Evaluate(context.Background(), &gp.EvaluateRequest{ProposedTransaction: signedProposal(t)}); err != nil {
		t.Errorf("Evaluate: %v", err)
	}
	if _, err := s.Evaluate(context.Background(), &gp.EvaluateRequest{ProposedTransaction: signedProposal(t), TargetOrganizations: []string{"Org2MSP"}}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("Evaluate on Org2MSP = %v, want FailedPrecondition", err)
	}
}

func TestEndorseFailsAsFabricsGatewayWithSeveralOrganisations(t *testing.T) {
	and := "AND('Org1MSP.peer', 'Org2MSP.peer')"
	tests := []struct {
		name        string
		policy      string
		peers       []*fakePeer
		orgs        []string
		members     []string // the channel's members; nil: every organisation
		wantCode    codes.Code
		wantMsg     string
		wantDetails []*gp.ErrorDetail
		wantCall    []string // the organisations asked; checked when set
	}{
		{name: "an endorsing organisation without a peer is unavailable", policy: and,
			peers: orgs("Org1MSP", "Org2MSP"), orgs: []string{"Org2MSP", "Org4MSP"},
			wantCode: codes.Unavailable, wantMsg: "failed to find any endorsing peers for org(s): Org4MSP"},
		{name: "an endorsing organisation not on the channel is unavailable and nothing is sent", policy: and,
			peers: orgs("Org1MSP", "Org2MSP", "Org3MSP"), orgs: []string{"Org1MSP", "Org3MSP", "Org2MSP"}, members: []string{"Org1MSP", "Org2MSP"},
			wantCode: codes.Unavailable, wantMsg: "failed to find any endorsing peers for org(s): Org3MSP", wantCall: []string{}},
		{name: "one organisation failing aborts with its detail", policy: and,
			peers:    []*fakePeer{{org: "Org1MSP"}, {org: "Org2MSP", fail: "chaincode refused"}},
			wantCode: codes.Aborted, wantMsg: "failed to collect enough transaction endorsements, see attached details for more info",
			wantDetails: []*gp.ErrorDetail{{Address: "peer0.org2:7051", MspId: "Org2MSP", Message: "chaincode refused"}}},
		{name: "a named organisation failing aborts with its detail", policy: and,
			peers: []*fakePeer{{org: "Org1MSP"}, {org: "Org2MSP", fail: "chaincode refused"}}, orgs: []string{"Org1MSP", "Org2MSP"},
			wantCode: codes.Aborted, wantMsg: "failed to collect enough transaction endorsements, see attached details for more info",
			wantDetails: []*gp.ErrorDetail{{Address: "peer0.org2:7051", MspId: "Org2MSP", Message: "chaincode refused"}}},
		{name: "a payload that differs from the first aborts", policy: and,
			peers:    []*fakePeer{{org: "Org1MSP"}, {org: "Org2MSP", payload: "other results"}},
			wantCode: codes.Aborted, wantMsg: "failed to collect enough transaction endorsements, see attached details for more info",
			wantDetails: []*gp.ErrorDetail{{Address: "peer0.org2:7051", MspId: "Org2MSP", Message: "ProposalResponsePayloads do not match"}}},
		{name: "the gateway's organisation failing first is Fabric's first-endorsement failure", policy: and,
			peers:    []*fakePeer{{org: "Org1MSP", fail: "no such function"}, {org: "Org2MSP"}},
			wantCode: codes.Aborted, wantMsg: "failed to endorse transaction, see attached details for more info",
			wantDetails: []*gp.ErrorDetail{{Address: "peer0.org1:7051", MspId: "Org1MSP", Message: "no such function"}}},
		{name: "a policy the organisations present cannot satisfy", policy: "AND('Org1MSP.peer', 'Org5MSP.peer')",
			peers:    orgs("Org1MSP", "Org2MSP"),
			wantCode: codes.FailedPrecondition, wantMsg: "no combination of peers can be derived which satisfy the endorsement policy: "},
		{name: "a failed organisation is replaced by one of another layout",
			policy:   "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')",
			peers:    []*fakePeer{{org: "Org1MSP"}, {org: "Org2MSP", fail: "down"}, {org: "Org3MSP"}},
			wantCode: codes.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNetwork(t, ledgerWith(t, signaturePolicy(t, tt.policy)), tt.peers...)
			if tt.members != nil {
				n.onChannel(tt.members...)
			}
			_, err := n.s.Endorse(context.Background(), &gp.EndorseRequest{ProposedTransaction: signedProposal(t), EndorsingOrganizations: tt.orgs})
			st, _ := status.FromError(err)
			if st.Code() != tt.wantCode || !strings.HasPrefix(st.Message(), tt.wantMsg) {
				t.Fatalf("Endorse = %v, want %s %q", err, tt.wantCode, tt.wantMsg)
			}
			if tt.wantCall != nil {
				if diff := cmp.Diff(tt.wantCall, n.calledOrgs(), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("organisations asked (-want +got):\n%s", diff)
				}
			}
			var details []*gp.ErrorDetail
			for _, d := range st.Details() {
				if ed, ok := d.(*gp.ErrorDetail); ok {
					details = append(details, ed)
				}
			}
			if diff := cmp.Diff(tt.wantDetails, details, protocmp.Transform()); diff != "" {
				t.Errorf("details (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEndorseTimingOutOnTheFirstEndorsementIsFabricsDeadlineExceeded(t *testing.T) {
	tests := []struct {
		name   string
		server func(t *testing.T) *Server
	}{
		{name: "with several organisations", server: func(t *testing.T) *Server {
			return newNetwork(t, ledgerWith(t, signaturePolicy(t, "AND('Org1MSP.peer', 'Org2MSP.peer')")), orgs("Org1MSP", "Org2MSP")...).s
		}},
		{name: "with the gateway's organisation only", server: func(t *testing.T) *Server {
			return New(Config{Endorser: &fakePeer{org: "Org1MSP"}, Channels: fakeChannels{l: ledgerWith(t, signaturePolicy(t, "OR('Org1MSP.peer')"))},
				MSPID: "Org1MSP", Address: "peer0.org1:7051"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.server(t)
			ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
			defer cancel()
			_, err := s.Endorse(ctx, &gp.EndorseRequest{ProposedTransaction: signedProposal(t)})
			if st, _ := status.FromError(err); st.Code() != codes.DeadlineExceeded || st.Message() != "endorsement timeout expired while collecting first endorsement" {
				t.Errorf("Endorse = %v, want DeadlineExceeded \"endorsement timeout expired while collecting first endorsement\"", err)
			}
		})
	}
}

func TestEvaluateHonoursTargetOrganizations(t *testing.T) {
	tests := []struct {
		name     string
		peers    []*fakePeer
		targets  []string
		members  []string // the channel's members; nil: every organisation
		wantCall []string
		wantCode codes.Code
	}{
		{name: "without targets the gateway's organisation evaluates", peers: orgs("Org1MSP", "Org2MSP"), wantCall: []string{"Org1MSP"}},
		{name: "a target organisation evaluates", peers: orgs("Org1MSP", "Org2MSP"), targets: []string{"Org2MSP"}, wantCall: []string{"Org2MSP"}},
		{name: "a failing peer is replaced by the next target's",
			peers: []*fakePeer{{org: "Org1MSP"}, {org: "Org2MSP", fail: "down"}, {org: "Org3MSP"}}, targets: []string{"Org2MSP", "Org3MSP"},
			wantCall: []string{"Org2MSP", "Org3MSP"}},
		{name: "targets without a peer here cannot evaluate", peers: orgs("Org1MSP", "Org2MSP"), targets: []string{"Org4MSP"},
			wantCode: codes.FailedPrecondition},
		{name: "without targets a failing peer is replaced by a channel member's only",
			peers:   []*fakePeer{{org: "Org1MSP", fail: "down"}, {org: "Org2MSP"}, {org: "Org3MSP"}},
			members: []string{"Org1MSP", "Org3MSP"}, wantCall: []string{"Org1MSP", "Org3MSP"}},
		{name: "a target organisation not on the channel cannot evaluate", peers: orgs("Org1MSP", "Org2MSP", "Org3MSP"),
			targets: []string{"Org2MSP"}, members: []string{"Org1MSP", "Org3MSP"}, wantCode: codes.FailedPrecondition},
		{name: "targets off the channel are skipped for those on it", peers: orgs("Org1MSP", "Org2MSP", "Org3MSP"),
			targets: []string{"Org2MSP", "Org3MSP"}, members: []string{"Org1MSP", "Org3MSP"}, wantCall: []string{"Org3MSP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNetwork(t, ledgerWith(t, endorsementRef()), tt.peers...)
			if tt.members != nil {
				n.onChannel(tt.members...)
			}
			for _, p := range n.peers {
				p.payload = string(mustMarshal(t, &peer.ProposalResponsePayload{Extension: mustMarshal(t, &peer.ChaincodeAction{})}))
			}
			_, err := n.s.Evaluate(context.Background(), &gp.EvaluateRequest{ProposedTransaction: signedProposal(t), TargetOrganizations: tt.targets})
			if code := status.Code(err); code != tt.wantCode {
				t.Fatalf("Evaluate = %v, want %s", err, tt.wantCode)
			}
			if diff := cmp.Diff(tt.wantCall, n.calledOrgs()); diff != "" {
				t.Errorf("organisations asked (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEndorsementsAreGatheredInParallel holds each endorser until all of
// them were called: endorsing one after another would end in the
// context's deadline.
func TestEndorsementsAreGatheredInParallel(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		orgs   []string // EndorsingOrganizations
		meet   []string // the organisations endorsing at once
		want   []string // the endorsers of the transaction
	}{
		{name: "the EndorsingOrganizations, the gateway's own among them",
			policy: "OR('Org1MSP.peer')", orgs: []string{"Org2MSP", "Org1MSP", "Org3MSP"},
			meet: []string{"Org1MSP", "Org2MSP", "Org3MSP"}, want: []string{"Org1MSP", "Org2MSP", "Org3MSP"}},
		{name: "the EndorsingOrganizations, without the gateway's own",
			policy: "OR('Org1MSP.peer')", orgs: []string{"Org3MSP", "Org2MSP"},
			meet: []string{"Org2MSP", "Org3MSP"}, want: []string{"Org2MSP", "Org3MSP"}},
		{name: "the organisations the policy needs besides the gateway's own",
			policy: "AND('Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')",
			meet:   []string{"Org2MSP", "Org3MSP"}, want: []string{"Org1MSP", "Org2MSP", "Org3MSP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			peers := orgs("Org1MSP", "Org2MSP", "Org3MSP")
			m := newMeeting(len(tt.meet))
			for _, p := range peers {
				if slices.Contains(tt.meet, p.org) {
					p.meet = m
				}
			}
			n := newNetwork(t, ledgerWith(t, signaturePolicy(t, tt.policy)), peers...)
			// Only a serial endorsement waits this long, and then fails.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			resp, err := n.s.Endorse(ctx, &gp.EndorseRequest{ProposedTransaction: signedProposal(t), EndorsingOrganizations: tt.orgs})
			if err != nil {
				t.Fatalf("Endorse: %v", err)
			}
			if diff := cmp.Diff(tt.want, endorsers(t, resp.GetPreparedTransaction())); diff != "" {
				t.Errorf("endorsers (-want +got):\n%s", diff)
			}
		})
	}
}
