package client

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
)

func invocation() identity.Invocation {
	return identity.Invocation{
		ChannelID: "mychannel",
		Chaincode: "basic",
		Args:      [][]byte{[]byte("put"), []byte("a"), []byte("1")},
		Transient: map[string][]byte{"secret": []byte("s")},
	}
}

func TestSubmitOrdersTheEndorsedTransactionAndWaitsForItsCommit(t *testing.T) {
	org := newOrg(t)
	user := userOf(t, org, "User1")
	var proposals []*peer.SignedProposal
	var responses []*peer.ProposalResponse
	endorse := endorseWith(org, 200, "", []byte("stored"))
	e := &stubEndorser{processProposal: func(ctx context.Context, sp *peer.SignedProposal) (*peer.ProposalResponse, error) {
		resp, err := endorse(ctx, sp)
		proposals = append(proposals, sp)
		responses = append(responses, resp)
		return resp, err
	}}
	o := newStubOrderer()
	c := startStub(t, e, o, user)

	res, err := c.Submit(testContext(t), invocation())
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if string(res.Payload) != "stored" || res.Code != peer.TxValidationCode_VALID || res.BlockNumber != 1 {
		t.Errorf("Submit = %+v, want payload stored, VALID, block 1", res)
	}
	if len(proposals) != 1 {
		t.Fatalf("%d proposals endorsed, want 1", len(proposals))
	}
	if _, err := org.MSP().ValidateProposal(proposals[0]); err != nil {
		t.Errorf("the proposal does not pass the endorser's checks: %v", err)
	}
	if got := proposalTxID(proposals[0]); got != res.TxID {
		t.Errorf("result txid %s, proposal txid %s", res.TxID, got)
	}
	if len(o.envelopes) != 1 {
		t.Fatalf("%d envelopes broadcast, want 1", len(o.envelopes))
	}
	prop := &peer.Proposal{}
	mustUnmarshal(t, proposals[0].GetProposalBytes(), prop)
	checkTransaction(t, org, o.envelopes[0], prop, user, []*peer.Endorsement{responses[0].GetEndorsement()}, responses[0].GetPayload())
	if len(o.seeks) != 1 {
		t.Fatalf("%d deliver requests, want 1", len(o.seeks))
	}
	checkSeek(t, org, o.seeks[0], user, "mychannel")
}

// checkSeek checks a deliver request is Fabric's: signed by signer, channel
// header DELIVER_SEEK_INFO on channel, seeking from the chain height the
// peer reported to the end, blocking.
func checkSeek(t *testing.T, org *identity.Org, env *common.Envelope, signer *identity.SigningIdentity, channel string) {
	t.Helper()
	if _, err := org.MSP().Verify(signer.Serialize(), env.GetPayload(), env.GetSignature()); err != nil {
		t.Errorf("seek signature does not verify: %v", err)
	}
	payload := &common.Payload{}
	mustUnmarshal(t, env.GetPayload(), payload)
	ch := &common.ChannelHeader{}
	mustUnmarshal(t, payload.GetHeader().GetChannelHeader(), ch)
	if ch.GetType() != int32(common.HeaderType_DELIVER_SEEK_INFO) || ch.GetChannelId() != channel || ch.GetTimestamp() == nil || ch.GetTimestamp().GetNanos() != 0 || ch.GetEpoch() != 0 {
		t.Errorf("seek channel header = %v, want type DELIVER_SEEK_INFO, channel %s, whole-second timestamp, epoch 0", ch, channel)
	}
	sh := &common.SignatureHeader{}
	mustUnmarshal(t, payload.GetHeader().GetSignatureHeader(), sh)
	if string(sh.GetCreator()) != string(signer.Serialize()) || len(sh.GetNonce()) != identity.NonceSize {
		t.Errorf("seek signature header: creator matches %t, nonce %d bytes", string(sh.GetCreator()) == string(signer.Serialize()), len(sh.GetNonce()))
	}
	seek := &orderer.SeekInfo{}
	mustUnmarshal(t, payload.GetData(), seek)
	want := &orderer.SeekInfo{
		Start:    &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: stubHeight}}},
		Stop:     &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: math.MaxUint64}}},
		Behavior: orderer.SeekInfo_BLOCK_UNTIL_READY,
	}
	if diff := cmp.Diff(want, seek, protocmp.Transform()); diff != "" {
		t.Errorf("seek info (-want +got):\n%s", diff)
	}
}

func TestSubmitFailures(t *testing.T) {
	tests := []struct {
		name     string
		endorse  func(org *identity.Org) func(context.Context, *peer.SignedProposal) (*peer.ProposalResponse, error)
		setup    func(o *stubOrderer)
		check    func(t *testing.T, err error)
		wantText string
	}{
		{
			name: "an MVCC conflict is a CommitError with its code",
			setup: func(o *stubOrderer) {
				o.code = func(string) peer.TxValidationCode { return peer.TxValidationCode_MVCC_READ_CONFLICT }
			},
			check: func(t *testing.T, err error) {
				var ce *CommitError
				if !errors.As(err, &ce) || ce.Code != peer.TxValidationCode_MVCC_READ_CONFLICT || ce.TxID == "" || ce.BlockNumber != 1 {
					t.Errorf("error %v is not a CommitError with MVCC_READ_CONFLICT in block 1", err)
				}
			},
			wantText: "MVCC_READ_CONFLICT",
		},
		{
			name: "an endorsement policy failure is a CommitError with its code",
			setup: func(o *stubOrderer) {
				o.code = func(string) peer.TxValidationCode { return peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE }
			},
			check: func(t *testing.T, err error) {
				var ce *CommitError
				if !errors.As(err, &ce) || ce.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
					t.Errorf("error %v is not a CommitError with ENDORSEMENT_POLICY_FAILURE", err)
				}
			},
			wantText: "ENDORSEMENT_POLICY_FAILURE",
		},
		{
			name: "a chaincode error is an EndorseError with the peer's status and message",
			endorse: func(org *identity.Org) func(context.Context, *peer.SignedProposal) (*peer.ProposalResponse, error) {
				return endorseWith(org, 500, "error in simulation: transaction returned with failure: no such asset", nil)
			},
			check: func(t *testing.T, err error) {
				var ee *EndorseError
				if !errors.As(err, &ee) || ee.Status != 500 || ee.TxID == "" {
					t.Errorf("error %v is not an EndorseError with status 500", err)
				}
			},
			wantText: "no such asset",
		},
		{
			name: "an unreachable endorser is an EndorseError wrapping a TransportError with the gRPC status",
			endorse: func(*identity.Org) func(context.Context, *peer.SignedProposal) (*peer.ProposalResponse, error) {
				return func(context.Context, *peer.SignedProposal) (*peer.ProposalResponse, error) {
					return nil, status.Error(codes.Unavailable, "gone")
				}
			},
			check: func(t *testing.T, err error) {
				var ee *EndorseError
				var te *TransportError
				if !errors.As(err, &ee) || !errors.As(err, &te) || te.Address != "stub-peer:7051" || status.Code(err) != codes.Unavailable {
					t.Errorf("error %v: want EndorseError, TransportError naming stub-peer:7051 and code Unavailable", err)
				}
			},
			wantText: "stub-peer:7051",
		},
		{
			name: "an ordering refusal is a SubmitError with status and info",
			setup: func(o *stubOrderer) {
				o.broadcastStatus = func(*common.Envelope) *orderer.BroadcastResponse {
					return &orderer.BroadcastResponse{Status: common.Status_BAD_REQUEST, Info: "bad envelope"}
				}
			},
			check: func(t *testing.T, err error) {
				var se *SubmitError
				if !errors.As(err, &se) || se.Status != common.Status_BAD_REQUEST || se.Info != "bad envelope" {
					t.Errorf("error %v is not a SubmitError with BAD_REQUEST", err)
				}
			},
			wantText: "bad envelope",
		},
		{
			name: "a deliver stream refused with a status is an error naming it",
			setup: func(o *stubOrderer) {
				o.deliverFiltered = func(stream peer.Deliver_DeliverFilteredServer) error {
					if _, err := stream.Recv(); err != nil {
						return err
					}
					close(o.seekSeen)
					return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: common.Status_FORBIDDEN}})
				}
			},
			wantText: "FORBIDDEN",
		},
		{
			name: "a deliver stream that breaks is a TransportError",
			setup: func(o *stubOrderer) {
				o.deliverFiltered = func(stream peer.Deliver_DeliverFilteredServer) error {
					if _, err := stream.Recv(); err != nil {
						return err
					}
					close(o.seekSeen)
					return status.Error(codes.Internal, "disk on fire")
				}
			},
			check: func(t *testing.T, err error) {
				var te *TransportError
				if !errors.As(err, &te) || status.Code(err) != codes.Internal {
					t.Errorf("error %v is not a TransportError with code Internal", err)
				}
			},
			wantText: "disk on fire",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := newOrg(t)
			endorse := endorseWith(org, 200, "", []byte("ok"))
			if tt.endorse != nil {
				endorse = tt.endorse(org)
			}
			o := newStubOrderer()
			if tt.setup != nil {
				tt.setup(o)
			}
			c := startStub(t, &stubEndorser{processProposal: endorse}, o, userOf(t, org, "User1"))
			res, err := c.Submit(testContext(t), invocation())
			if err == nil {
				t.Fatalf("Submit = %+v, want an error", res)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

func TestSubmitGivesUpWhenTheContextEnds(t *testing.T) {
	org := newOrg(t)
	o := newStubOrderer()
	o.deliverFiltered = func(stream peer.Deliver_DeliverFilteredServer) error {
		if _, err := stream.Recv(); err != nil {
			return err
		}
		close(o.seekSeen)
		<-stream.Context().Done() // never commits
		return nil
	}
	c := startStub(t, &stubEndorser{processProposal: endorseWith(org, 200, "", nil)}, o, userOf(t, org, "User1"))
	ctx, cancel := context.WithCancel(testContext(t))
	go func() {
		// Cancel once the transaction is ordered, so the client is waiting.
		<-o.committed
		cancel()
	}()
	_, err := c.Submit(ctx, invocation())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Submit error = %v, want one wrapping context.Canceled", err)
	}
}

func TestEvaluateReturnsThePayloadWithoutOrdering(t *testing.T) {
	org := newOrg(t)
	o := newStubOrderer()
	c := startStub(t, &stubEndorser{processProposal: endorseWith(org, 200, "", []byte(`{"a":1}`))}, o, userOf(t, org, "User1"))
	got, err := c.Evaluate(testContext(t), invocation())
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if string(got) != `{"a":1}` {
		t.Errorf("Evaluate = %q, want {\"a\":1}", got)
	}
	if len(o.envelopes) != 0 || len(o.seeks) != 0 {
		t.Errorf("Evaluate ordered %d envelopes and opened %d deliver streams, want none", len(o.envelopes), len(o.seeks))
	}
}

func TestEndorseChecksTheResponseStatus(t *testing.T) {
	tests := []struct {
		name    string
		status  int32
		wantErr bool
	}{
		{"status 200 is endorsed", 200, false},
		{"status 399 is still a success", 399, false},
		{"status 400 is a failure", 400, true},
		{"status 500 is a failure", 500, true},
		{"status 0 is a failure", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := newOrg(t)
			user := userOf(t, org, "User1")
			c := startStub(t, &stubEndorser{processProposal: endorseWith(org, tt.status, "msg", nil)}, newStubOrderer(), user)
			sp, txID, err := user.NewSignedProposal(invocation())
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Endorse(testContext(t), sp)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Endorse error = %v, want error %t", err, tt.wantErr)
			}
			var ee *EndorseError
			if tt.wantErr && (!errors.As(err, &ee) || ee.Status != tt.status || ee.TxID != txID || ee.Message != "msg") {
				t.Errorf("error %#v: want EndorseError{TxID: %s, Status: %d, Message: msg}", err, txID, tt.status)
			}
		})
	}
}

func TestSeekEnvelopeCarriesTheTLSCertHash(t *testing.T) {
	org := newOrg(t)
	user := userOf(t, org, "User1")
	seek := &orderer.SeekInfo{Start: &orderer.SeekPosition{Type: &orderer.SeekPosition_Oldest{Oldest: &orderer.SeekOldest{}}}}
	env, err := NewSeekEnvelope(user, "ch", seek, []byte("hash"))
	if err != nil {
		t.Fatal(err)
	}
	payload := &common.Payload{}
	mustUnmarshal(t, env.GetPayload(), payload)
	ch := &common.ChannelHeader{}
	mustUnmarshal(t, payload.GetHeader().GetChannelHeader(), ch)
	if string(ch.GetTlsCertHash()) != "hash" {
		t.Errorf("TlsCertHash = %q, want hash", ch.GetTlsCertHash())
	}
	got := &orderer.SeekInfo{}
	mustUnmarshal(t, payload.GetData(), got)
	if !proto.Equal(got, seek) {
		t.Errorf("seek info = %v, want %v", got, seek)
	}
}

func TestCommitErrorCarriesThePeersReasonWhenItGivesOne(t *testing.T) {
	tests := []struct {
		name       string
		answer     func(org *identity.Org) func(context.Context, *peer.SignedProposal) (*peer.ProposalResponse, error)
		wantReason string
	}{
		{
			name: "a peer that explains gives its reason",
			answer: func(org *identity.Org) func(context.Context, *peer.SignedProposal) (*peer.ProposalResponse, error) {
				return endorseWith(org, 200, "", []byte(`read conflict on key "a" of namespace basic`))
			},
			wantReason: `read conflict on key "a" of namespace basic`,
		},
		{
			name: "a peer that cannot explain leaves the code's meaning",
			answer: func(org *identity.Org) func(context.Context, *peer.SignedProposal) (*peer.ProposalResponse, error) {
				return endorseWith(org, 500, "pscc knows one function: ListRunning", nil)
			},
			wantReason: CodeReason(peer.TxValidationCode_MVCC_READ_CONFLICT),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := newOrg(t)
			ok := endorseWith(org, 200, "", nil)
			explain := tt.answer(org)
			var asked []string
			e := &stubEndorser{processProposal: func(ctx context.Context, sp *peer.SignedProposal) (*peer.ProposalResponse, error) {
				up, err := identity.UnpackProposal(sp)
				if err != nil {
					return nil, err
				}
				if up.ChaincodeID.GetName() == PSCC {
					for _, a := range up.Spec.GetInput().GetArgs() {
						asked = append(asked, string(a))
					}
					return explain(ctx, sp)
				}
				return ok(ctx, sp)
			}}
			o := newStubOrderer()
			o.code = func(string) peer.TxValidationCode { return peer.TxValidationCode_MVCC_READ_CONFLICT }
			c := startStub(t, e, o, userOf(t, org, "User1"))
			_, err := c.Submit(testContext(t), invocation())
			var ce *CommitError
			if !errors.As(err, &ce) {
				t.Fatalf("Submit error = %v, want a CommitError", err)
			}
			if ce.Reason != tt.wantReason {
				t.Errorf("Reason = %q, want %q", ce.Reason, tt.wantReason)
			}
			if want := "GetTxReason mychannel " + ce.TxID; strings.Join(asked, " ") != want {
				t.Errorf("pscc asked %q, want %q", asked, want)
			}
		})
	}
}
