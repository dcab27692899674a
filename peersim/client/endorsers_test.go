package client

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
)

// startEndorser serves e alone on bufconn, as another organisation's peer,
// and returns a connection whose target is name.
func startEndorser(t *testing.T, name string, e *stubEndorser) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	peer.RegisterEndorserServer(srv, e)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(lis)
	}()
	conn, err := grpc.NewClient("passthrough:///"+name,
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial bufconn: %v", err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		<-served
	})
	return conn
}

func newOrgNamed(t *testing.T, mspID, domain string) *identity.Org {
	t.Helper()
	cfg := identity.DefaultConfig()
	cfg.MSPID, cfg.Domain = mspID, domain
	org, err := identity.EnsureOrg(t.TempDir(), cfg)
	if err != nil {
		t.Fatalf("create test org %s: %v", mspID, err)
	}
	return org
}

// recording wraps an endorse function to keep the responses it gave.
type recording struct {
	mu        sync.Mutex
	responses []*peer.ProposalResponse
	endorse   func(context.Context, *peer.SignedProposal) (*peer.ProposalResponse, error)
}

func (r *recording) processProposal(ctx context.Context, sp *peer.SignedProposal) (*peer.ProposalResponse, error) {
	resp, err := r.endorse(ctx, sp)
	r.mu.Lock()
	defer r.mu.Unlock()
	if resp != nil {
		r.responses = append(r.responses, resp)
	}
	return resp, err
}

// txEndorsements reads the endorsements and the proposal response payload
// an endorser transaction carries.
func txEndorsements(t *testing.T, env *common.Envelope) ([]*peer.Endorsement, []byte) {
	t.Helper()
	payload := &common.Payload{}
	mustUnmarshal(t, env.GetPayload(), payload)
	tx := &peer.Transaction{}
	mustUnmarshal(t, payload.GetData(), tx)
	if len(tx.GetActions()) != 1 {
		t.Fatalf("transaction has %d actions, want 1", len(tx.GetActions()))
	}
	ap := &peer.ChaincodeActionPayload{}
	mustUnmarshal(t, tx.GetActions()[0].GetPayload(), ap)
	return ap.GetAction().GetEndorsements(), ap.GetAction().GetProposalResponsePayload()
}

func TestSubmitWithEndorsersPutsEveryEndorsementInOneTransaction(t *testing.T) {
	org1 := newOrg(t)
	org2 := newOrgNamed(t, "Org2MSP", "org2.example.com")
	user := userOf(t, org1, "User1")
	// Each endorser waits until the other has the proposal too: Submit
	// must ask them at once, not one after the other.
	var arrived sync.WaitGroup
	arrived.Add(2)
	together := make(chan struct{})
	go func() { arrived.Wait(); close(together) }()
	inParallel := func(org *identity.Org) *recording {
		endorse := endorseWith(org, 200, "", []byte("stored"))
		return &recording{endorse: func(ctx context.Context, sp *peer.SignedProposal) (*peer.ProposalResponse, error) {
			arrived.Done()
			select {
			case <-together:
			case <-time.After(10 * time.Second):
				return nil, status.Error(codes.DeadlineExceeded, "the other endorser never got the proposal: endorsements are not parallel")
			}
			return endorse(ctx, sp)
		}}
	}
	r1, r2 := inParallel(org1), inParallel(org2)
	own := &recording{endorse: endorseWith(org1, 200, "", []byte("own"))}
	o := newStubOrderer()
	c := startStub(t, &stubEndorser{processProposal: own.processProposal}, o, user) // first: its leak check runs last
	e1 := startEndorser(t, "peer0.org1.example.com:7051", &stubEndorser{processProposal: r1.processProposal})
	e2 := startEndorser(t, "peer0.org2.example.com:9051", &stubEndorser{processProposal: r2.processProposal})
	if err := WithEndorsers(e1, e2)(c); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"passthrough:///peer0.org1.example.com:7051", "passthrough:///peer0.org2.example.com:9051"}, c.Endorsers()); diff != "" {
		t.Errorf("Endorsers (-want +got):\n%s", diff)
	}

	res, err := c.Submit(testContext(t), invocation())
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if string(res.Payload) != "stored" || res.Code != peer.TxValidationCode_VALID {
		t.Errorf("Submit = %+v, want the endorsers' payload stored, VALID", res)
	}
	if len(own.responses) != 0 {
		t.Errorf("the client's own peer endorsed %d proposals, want none: WithEndorsers replaces it", len(own.responses))
	}
	if len(r1.responses) != 1 || len(r2.responses) != 1 || len(o.envelopes) != 1 {
		t.Fatalf("endorsed %d and %d times, broadcast %d envelopes; want 1, 1, 1", len(r1.responses), len(r2.responses), len(o.envelopes))
	}
	endorsements, prp := txEndorsements(t, o.envelopes[0])
	want := []*peer.Endorsement{r1.responses[0].GetEndorsement(), r2.responses[0].GetEndorsement()}
	if diff := cmp.Diff(want, endorsements, protocmp.Transform()); diff != "" {
		t.Errorf("the transaction's endorsements (-want +got):\n%s", diff)
	}
	if string(prp) != string(r1.responses[0].GetPayload()) {
		t.Errorf("the transaction's proposal response payload is not the endorsers'")
	}
	if _, err := org2.MSP().VerifyEndorsement(prp, endorsements[1]); err != nil {
		t.Errorf("Org2's endorsement does not verify: %v", err)
	}
}

func TestSubmitWithEndorsersFailures(t *testing.T) {
	org1 := newOrg(t)
	org2 := newOrgNamed(t, "Org2MSP", "org2.example.com")
	const (
		addr1 = "peer0.org1.example.com:7051"
		addr2 = "peer0.org2.example.com:9051"
	)
	tests := []struct {
		name       string
		endorse1   func(context.Context, *peer.SignedProposal) (*peer.ProposalResponse, error)
		endorse2   func(context.Context, *peer.SignedProposal) (*peer.ProposalResponse, error)
		check      func(t *testing.T, err error)
		wantInText []string
	}{
		{
			name:     "a peer that refuses is an EndorseError naming it",
			endorse1: endorseWith(org1, 200, "", []byte("ok")),
			endorse2: endorseWith(org2, 500, "chaincode says no", nil),
			check: func(t *testing.T, err error) {
				var ee *EndorseError
				if !errors.As(err, &ee) || ee.Address != "passthrough:///"+addr2 || ee.Status != 500 || ee.Message != "chaincode says no" {
					t.Errorf("error %#v: want the EndorseError of %s with status 500", err, addr2)
				}
			},
			wantInText: []string{"endorsement by peer passthrough:///" + addr2, "status 500: chaincode says no"},
		},
		{
			name: "a peer that cannot be reached is an EndorseError wrapping the transport error",
			endorse1: func(context.Context, *peer.SignedProposal) (*peer.ProposalResponse, error) {
				return nil, status.Error(codes.Unavailable, "down")
			},
			endorse2: endorseWith(org2, 200, "", []byte("ok")),
			check: func(t *testing.T, err error) {
				var ee *EndorseError
				var te *TransportError
				if !errors.As(err, &ee) || ee.Address != "passthrough:///"+addr1 || !errors.As(err, &te) || status.Code(te) != codes.Unavailable {
					t.Errorf("error %#v: want the EndorseError of %s wrapping an Unavailable TransportError", err, addr1)
				}
			},
			wantInText: []string{"endorsement by peer passthrough:///" + addr1},
		},
		{
			name:     "both failures are reported",
			endorse1: endorseWith(org1, 403, "access denied for org1", nil),
			endorse2: endorseWith(org2, 500, "broken on org2", nil),
			check: func(t *testing.T, err error) {
				var ee *EndorseError
				if !errors.As(err, &ee) || ee.Address != "passthrough:///"+addr1 {
					t.Errorf("error %#v: want the first EndorseError to be %s's", err, addr1)
				}
			},
			wantInText: []string{"access denied for org1", "broken on org2"},
		},
		{
			name:     "different results are Fabric's ProposalResponsePayloads do not match",
			endorse1: endorseWith(org1, 200, "", []byte("one")),
			endorse2: endorseWith(org2, 200, "", []byte("two")),
			check: func(t *testing.T, err error) {
				if !errors.Is(err, ErrPayloadMismatch) {
					t.Errorf("error %v: want ErrPayloadMismatch", err)
				}
			},
			wantInText: []string{"ProposalResponsePayloads do not match", "peer passthrough:///" + addr2 + " differs from that of peer passthrough:///" + addr1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := userOf(t, org1, "User1")
			o := newStubOrderer()
			c := startStub(t, &stubEndorser{processProposal: endorseWith(org1, 200, "", nil)}, o, user)
			e1 := startEndorser(t, addr1, &stubEndorser{processProposal: tt.endorse1})
			e2 := startEndorser(t, addr2, &stubEndorser{processProposal: tt.endorse2})
			if err := WithEndorsers(e1, e2)(c); err != nil {
				t.Fatal(err)
			}
			_, err := c.Submit(testContext(t), invocation())
			if err == nil {
				t.Fatal("Submit succeeded, want an error")
			}
			tt.check(t, err)
			for _, s := range tt.wantInText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if len(o.envelopes) != 0 {
				t.Errorf("%d envelopes broadcast, want none after a failed endorsement", len(o.envelopes))
			}
		})
	}
}

func TestEvaluateStaysOnTheClientsPeer(t *testing.T) {
	org := newOrg(t)
	user := userOf(t, org, "User1")
	c := startStub(t, &stubEndorser{processProposal: endorseWith(org, 200, "", []byte("own"))}, newStubOrderer(), user)
	other := startEndorser(t, "other:9051", &stubEndorser{processProposal: endorseWith(org, 200, "", []byte("other"))})
	if err := WithEndorsers(other)(c); err != nil {
		t.Fatal(err)
	}
	got, err := c.Evaluate(testContext(t), invocation())
	if err != nil || string(got) != "own" {
		t.Errorf("Evaluate = %q, %v; want the client's own peer's answer", got, err)
	}
}

func TestWithEndorsersRefusesNoConnections(t *testing.T) {
	org := newOrg(t)
	c := startStub(t, &stubEndorser{}, newStubOrderer(), userOf(t, org, "User1"))
	tests := []struct {
		name  string
		conns []grpc.ClientConnInterface
		want  string
	}{
		{"none", nil, "no connections"},
		{"a nil one", []grpc.ClientConnInterface{nil}, "connection 0 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WithEndorsers(tt.conns...)(c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("WithEndorsers error = %v, want one saying %q", err, tt.want)
			}
		})
	}
}
