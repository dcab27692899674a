package gateway

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	ab "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

type fakeChannels struct{ l *ledger.Ledger }

func (f fakeChannels) Ledger(name string) (*ledger.Ledger, error) {
	if name != "mychannel" {
		return nil, errors.New("no such channel")
	}
	return f.l, nil
}

func (fakeChannels) NotJoined(name string) string { return "create it" }

type fakeOrderer struct{ resp *ab.BroadcastResponse }

func (f fakeOrderer) Submit(context.Context, *common.Envelope) *ab.BroadcastResponse { return f.resp }

func newServer(t *testing.T, ord *ab.BroadcastResponse, stopped bool) *Server {
	t.Helper()
	stopping := make(chan struct{})
	if stopped {
		close(stopping)
	}
	l, err := ledger.Open("mychannel", ledger.MemoryConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return New(Config{
		Channels: fakeChannels{l: l},
		Orderer:  fakeOrderer{resp: ord},
		Verifier: VerifierFunc(func(creator, msg, sig []byte) error {
			if string(sig) != "good" {
				return errors.New("signature does not verify")
			}
			return nil
		}),
		MSPID:    "Org1MSP",
		Address:  "127.0.0.1:7051",
		Stopping: stopping,
	})
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRequestsAreCheckedAsFabricChecksThem(t *testing.T) {
	signedStatus := func(t *testing.T, req *gp.CommitStatusRequest, sig string) *gp.SignedCommitStatusRequest {
		return &gp.SignedCommitStatusRequest{Request: mustMarshal(t, req), Signature: []byte(sig)}
	}
	tests := []struct {
		name     string
		ord      *ab.BroadcastResponse
		call     func(t *testing.T, s *Server) error
		wantCode codes.Code
		wantMsg  string
		detail   string
		stopped  bool // the peer is stopping
	}{
		{name: "evaluate needs a request", wantCode: codes.InvalidArgument, wantMsg: "an evaluate request is required",
			call: func(t *testing.T, s *Server) error { _, err := s.Evaluate(context.Background(), nil); return err }},
		{name: "evaluate needs a signed proposal", wantCode: codes.InvalidArgument, wantMsg: "failed to unpack transaction proposal: a signed proposal is required",
			call: func(t *testing.T, s *Server) error {
				_, err := s.Evaluate(context.Background(), &gp.EvaluateRequest{})
				return err
			}},
		{name: "evaluate refuses an undecodable proposal", wantCode: codes.InvalidArgument, wantMsg: "failed to unpack transaction proposal: ",
			call: func(t *testing.T, s *Server) error {
				_, err := s.Evaluate(context.Background(), &gp.EvaluateRequest{ProposedTransaction: &peer.SignedProposal{ProposalBytes: []byte{0xff}}})
				return err
			}},
		{name: "endorse needs a request", wantCode: codes.InvalidArgument, wantMsg: "an endorse request is required",
			call: func(t *testing.T, s *Server) error { _, err := s.Endorse(context.Background(), nil); return err }},
		{name: "endorse needs a signed proposal", wantCode: codes.InvalidArgument, wantMsg: "the proposed transaction must contain a signed proposal",
			call: func(t *testing.T, s *Server) error {
				_, err := s.Endorse(context.Background(), &gp.EndorseRequest{})
				return err
			}},
		{name: "submit needs a request", wantCode: codes.InvalidArgument, wantMsg: "a submit request is required",
			call: func(t *testing.T, s *Server) error { _, err := s.Submit(context.Background(), nil); return err }},
		{name: "submit needs a prepared transaction", wantCode: codes.InvalidArgument, wantMsg: "a prepared transaction is required",
			call: func(t *testing.T, s *Server) error {
				_, err := s.Submit(context.Background(), &gp.SubmitRequest{ChannelId: "mychannel"})
				return err
			}},
		{name: "submit needs a signed transaction", wantCode: codes.InvalidArgument, wantMsg: "prepared transaction must be signed",
			call: func(t *testing.T, s *Server) error {
				_, err := s.Submit(context.Background(), &gp.SubmitRequest{ChannelId: "mychannel", PreparedTransaction: &common.Envelope{Payload: []byte("p")}})
				return err
			}},
		{name: "submit to a channel the peer does not have", wantCode: codes.FailedPrecondition, wantMsg: "failed to get config for channel [other]: channel other not found: create it",
			call: func(t *testing.T, s *Server) error {
				_, err := s.Submit(context.Background(), &gp.SubmitRequest{ChannelId: "other", PreparedTransaction: &common.Envelope{Payload: []byte("p"), Signature: []byte("s")}})
				return err
			}},
		{name: "an orderer's 4xx refusal aborts the submit", ord: &ab.BroadcastResponse{Status: common.Status_FORBIDDEN, Info: "creator signature check failed"},
			wantCode: codes.Aborted, wantMsg: "received unsuccessful response from orderer: status=FORBIDDEN, info=creator signature check failed",
			call: func(t *testing.T, s *Server) error {
				_, err := s.Submit(context.Background(), &gp.SubmitRequest{ChannelId: "mychannel", PreparedTransaction: &common.Envelope{Payload: []byte("p"), Signature: []byte("s")}})
				return err
			}},
		{name: "an unavailable orderer is named in the details", ord: &ab.BroadcastResponse{Status: common.Status_SERVICE_UNAVAILABLE, Info: "ledger closed"},
			wantCode: codes.Unavailable, wantMsg: "no orderers could successfully process transaction", // no detail, as Fabric
			call: func(t *testing.T, s *Server) error {
				_, err := s.Submit(context.Background(), &gp.SubmitRequest{ChannelId: "mychannel", PreparedTransaction: &common.Envelope{Payload: []byte("p"), Signature: []byte("s")}})
				return err
			}},
		{name: "commit status needs a request", wantCode: codes.InvalidArgument, wantMsg: "a commit status request is required",
			call: func(t *testing.T, s *Server) error {
				_, err := s.CommitStatus(context.Background(), &gp.SignedCommitStatusRequest{})
				return err
			}},
		{name: "commit status refuses an undecodable request", wantCode: codes.InvalidArgument, wantMsg: "invalid status request: ",
			call: func(t *testing.T, s *Server) error {
				_, err := s.CommitStatus(context.Background(), &gp.SignedCommitStatusRequest{Request: []byte{0xff}})
				return err
			}},
		{name: "a commit status request names no identity: Fabric's ACL refuses it", wantCode: codes.PermissionDenied, wantMsg: "signed request on channel mychannel: ",
			call: func(t *testing.T, s *Server) error {
				_, err := s.CommitStatus(context.Background(), signedStatus(t, &gp.CommitStatusRequest{ChannelId: "mychannel", TransactionId: "tx"}, "bad"))
				return err
			}},
		{name: "commit status on a channel the peer does not have: Fabric's ACL refuses it", wantCode: codes.PermissionDenied, wantMsg: "Failed to get policy manager for channel []: create it",
			call: func(t *testing.T, s *Server) error {
				_, err := s.CommitStatus(context.Background(), signedStatus(t, &gp.CommitStatusRequest{Identity: []byte("me"), TransactionId: "tx"}, "good"))
				return err
			}},
		{name: "commit status needs a transaction id", wantCode: codes.InvalidArgument, wantMsg: "transaction ID should not be empty",
			call: func(t *testing.T, s *Server) error {
				_, err := s.CommitStatus(context.Background(), signedStatus(t, &gp.CommitStatusRequest{Identity: []byte("me"), ChannelId: "mychannel"}, "good"))
				return err
			}},
		{name: "commit status checks the signature", wantCode: codes.PermissionDenied, wantMsg: "signed request on channel mychannel: signature does not verify",
			call: func(t *testing.T, s *Server) error {
				_, err := s.CommitStatus(context.Background(), signedStatus(t, &gp.CommitStatusRequest{Identity: []byte("me"), ChannelId: "mychannel", TransactionId: "tx"}, "bad"))
				return err
			}},
		{name: "a commit status wait ends with its context", wantCode: codes.Canceled,
			call: func(t *testing.T, s *Server) error {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				_, err := s.CommitStatus(ctx, signedStatus(t, &gp.CommitStatusRequest{Identity: []byte("me"), ChannelId: "mychannel", TransactionId: "never"}, "good"))
				return err
			}},
		{name: "a commit status wait ends Unavailable when the peer stops", wantCode: codes.Unavailable, wantMsg: "peer is stopping", stopped: true,
			call: func(t *testing.T, s *Server) error {
				_, err := s.CommitStatus(context.Background(), signedStatus(t, &gp.CommitStatusRequest{Identity: []byte("me"), ChannelId: "mychannel", TransactionId: "never"}, "good"))
				return err
			}},
		{name: "a chaincode events stream ends Unavailable when the peer stops", wantCode: codes.Unavailable, wantMsg: "peer is stopping", stopped: true,
			call: func(t *testing.T, s *Server) error {
				req := mustMarshal(t, &gp.ChaincodeEventsRequest{Identity: []byte("me"), ChannelId: "mychannel", ChaincodeId: "cc"})
				return s.ChaincodeEvents(&gp.SignedChaincodeEventsRequest{Request: req, Signature: []byte("good")}, eventStream{ctx: context.Background()})
			}},
		{name: "chaincode events on a channel the peer does not have: Fabric's ACL refuses it", wantCode: codes.PermissionDenied, wantMsg: "Failed to get policy manager for channel [other]",
			call: func(t *testing.T, s *Server) error {
				req := mustMarshal(t, &gp.ChaincodeEventsRequest{Identity: []byte("me"), ChannelId: "other", ChaincodeId: "cc"})
				return s.ChaincodeEvents(&gp.SignedChaincodeEventsRequest{Request: req, Signature: []byte("good")}, eventStream{ctx: context.Background()})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(t, newServer(t, tt.ord, tt.stopped))
			st := status.Convert(err)
			if err == nil || st.Code() != tt.wantCode || !strings.Contains(st.Message(), tt.wantMsg) {
				t.Fatalf("error = %v, want %s containing %q", err, tt.wantCode, tt.wantMsg)
			}
			var details []string
			for _, d := range st.Details() {
				if ed, ok := d.(*gp.ErrorDetail); ok {
					details = append(details, ed.GetAddress()+" "+ed.GetMspId()+" "+ed.GetMessage())
				}
			}
			want := []string(nil)
			if tt.detail != "" {
				want = []string{"127.0.0.1:7051 Org1MSP " + tt.detail}
			}
			if strings.Join(details, "|") != strings.Join(want, "|") {
				t.Errorf("details = %q, want %q", details, want)
			}
		})
	}
}

// eventStream is a ChaincodeEvents stream that records nothing.
type eventStream struct {
	gp.Gateway_ChaincodeEventsServer
	ctx context.Context
}

func (s eventStream) Context() context.Context               { return s.ctx }
func (s eventStream) Send(*gp.ChaincodeEventsResponse) error { return nil }

func TestEndorserVerdict(t *testing.T) {
	resp := func(st int32, msg string) *peer.ProposalResponse {
		return &peer.ProposalResponse{Response: &peer.Response{Status: st, Message: msg}}
	}
	tests := []struct {
		name     string
		pr       *peer.ProposalResponse
		err      error
		wantCode codes.Code
		wantMsg  string
		retry    bool
	}{
		{"an endorsed response", resp(200, ""), nil, codes.OK, "", false},
		{"a 3xx response is a success", resp(302, ""), nil, codes.OK, "", false},
		{"an unreachable endorser is worth another", nil, errors.New("connection refused"), codes.Unavailable, "connection refused", true},
		{"a proposal refused before simulation is final", resp(500, "access denied"), errors.New("access denied"), codes.FailedPrecondition, "access denied", false},
		{"a 500 is the failure's own message, worth another endorser", resp(500, "asked to fail"), nil, codes.Aborted, "asked to fail", true},
		{"a 4xx is the chaincode's response", resp(404, "no such thing"), nil, codes.Unknown, "chaincode response 404, no such thing", false},
		{"a status below 200 is the chaincode's response", resp(0, "zero"), nil, codes.Unknown, "chaincode response 0, zero", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, msg, retry := endorserVerdict(tt.pr, tt.err)
			if code != tt.wantCode || msg != tt.wantMsg || retry != tt.retry {
				t.Errorf("verdict = %s %q retry=%v, want %s %q retry=%v", code, msg, retry, tt.wantCode, tt.wantMsg, tt.retry)
			}
		})
	}
}
