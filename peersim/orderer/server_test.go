package orderer_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/orderer"
	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	ab "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// submitter is a Submitter that records what it queues, or fails with err.
type submitter struct {
	got []*common.Envelope
	err error
}

func (s *submitter) Submit(_ context.Context, env *common.Envelope) error {
	if s.err != nil {
		return s.err
	}
	s.got = append(s.got, env)
	return nil
}

// serve starts srv on bufconn and returns a client of it.
func serve(t *testing.T, srv *orderer.Server) ab.AtomicBroadcastClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer()
	ab.RegisterAtomicBroadcastServer(gs, srv)
	go func() { _ = gs.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///orderer",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		gs.Stop()
	})
	return ab.NewAtomicBroadcastClient(conn)
}

// envelope is a transaction envelope as a client sends it, without a
// chaincode transaction inside: the orderer does not look that far.
type envelope struct {
	channel, txID string
	typ           common.HeaderType
	creator, data []byte
}

func (e envelope) build(t *testing.T) *common.Envelope {
	t.Helper()
	chdr, err := proto.Marshal(&common.ChannelHeader{Type: int32(e.typ), ChannelId: e.channel, TxId: e.txID})
	if err != nil {
		t.Fatal(err)
	}
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: e.creator, Nonce: []byte("nonce")})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr}, Data: e.data})
	if err != nil {
		t.Fatal(err)
	}
	return &common.Envelope{Payload: pl, Signature: []byte("signature of " + string(e.creator))}
}

func goodEnvelope() envelope {
	return envelope{channel: "mychannel", txID: "tx1", typ: common.HeaderType_ENDORSER_TRANSACTION, creator: []byte("alice"), data: []byte("transaction")}
}

func TestBroadcastAnswers(t *testing.T) {
	tests := []struct {
		name string
		env  func(t *testing.T) *common.Envelope
		// submitErr, when set, is what the channel's Submitter returns.
		submitErr error
		want      *ab.BroadcastResponse
		// queued is whether the envelope reaches the channel's Submitter.
		queued bool
	}{
		{
			name:   "a signed transaction on a joined channel is queued",
			env:    func(t *testing.T) *common.Envelope { return goodEnvelope().build(t) },
			want:   &ab.BroadcastResponse{Status: common.Status_SUCCESS},
			queued: true,
		},
		{
			name: "an envelope without a payload is BAD_REQUEST",
			env:  func(*testing.T) *common.Envelope { return &common.Envelope{} },
			want: &ab.BroadcastResponse{Status: common.Status_BAD_REQUEST, Info: "envelope has no payload"},
		},
		{
			name: "an envelope without a creator is BAD_REQUEST",
			env: func(t *testing.T) *common.Envelope {
				e := goodEnvelope()
				e.creator = nil
				return e.build(t)
			},
			want: &ab.BroadcastResponse{Status: common.Status_BAD_REQUEST, Info: "signature header has no creator"},
		},
		{
			name: "a config transaction is BAD_REQUEST",
			env: func(t *testing.T) *common.Envelope {
				e := goodEnvelope()
				e.typ = common.HeaderType_CONFIG
				return e.build(t)
			},
			want: &ab.BroadcastResponse{Status: common.Status_BAD_REQUEST, Info: "envelope header type CONFIG: the embedded orderer accepts ENDORSER_TRANSACTION only"},
		},
		{
			name: "a payload without a transaction is BAD_REQUEST",
			env: func(t *testing.T) *common.Envelope {
				e := goodEnvelope()
				e.data = nil
				return e.build(t)
			},
			want: &ab.BroadcastResponse{Status: common.Status_BAD_REQUEST, Info: "envelope payload carries no transaction"},
		},
		{
			name: "a channel the peer has not joined is NOT_FOUND with the hint",
			env: func(t *testing.T) *common.Envelope {
				e := goodEnvelope()
				e.channel = "nochannel"
				return e.build(t)
			},
			want: &ab.BroadcastResponse{Status: common.Status_NOT_FOUND, Info: "channel nochannel not found: this peer's channels are mychannel"},
		},
		{
			name: "a creator whose signature does not verify is FORBIDDEN",
			env: func(t *testing.T) *common.Envelope {
				e := goodEnvelope()
				e.creator = []byte("mallory")
				return e.build(t)
			},
			want: &ab.BroadcastResponse{Status: common.Status_FORBIDDEN, Info: "transaction tx1: creator signature check failed: unknown identity mallory"},
		},
		{
			name:      "a submitter that refuses is SERVICE_UNAVAILABLE with its reason",
			env:       func(t *testing.T) *common.Envelope { return goodEnvelope().build(t) },
			submitErr: errors.New("submit to mychannel: ledger closed"),
			want:      &ab.BroadcastResponse{Status: common.Status_SERVICE_UNAVAILABLE, Info: "transaction tx1: submit to mychannel: ledger closed"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub := &submitter{err: tc.submitErr}
			channels := orderer.ChannelsFunc(func(id string) (orderer.Submitter, error) {
				if id != "mychannel" {
					return nil, errors.New("this peer's channels are mychannel")
				}
				return sub, nil
			})
			verifier := orderer.VerifierFunc(func(creator, msg, sig []byte) error {
				if string(creator) != "alice" || string(sig) != "signature of alice" || len(msg) == 0 {
					return errors.New("unknown identity " + string(creator))
				}
				return nil
			})
			bc, err := serve(t, orderer.NewServer(channels, verifier, nil)).Broadcast(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			env := tc.env(t)
			if err := bc.Send(env); err != nil {
				t.Fatal(err)
			}
			got, err := bc.Recv()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			var want []*common.Envelope
			if tc.queued {
				want = []*common.Envelope{env}
			}
			if diff := cmp.Diff(want, sub.got, protocmp.Transform()); diff != "" {
				t.Errorf("queued envelopes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBroadcastAnswersInOrderOnOneStream(t *testing.T) {
	cut := newCutter(t, config(1, time.Hour), newBlocks(), nil)
	channels := orderer.ChannelsFunc(func(string) (orderer.Submitter, error) { return cut, nil })
	verifier := orderer.VerifierFunc(func(_, _, _ []byte) error { return nil })
	bc, err := serve(t, orderer.NewServer(channels, verifier, nil)).Broadcast(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	bad := goodEnvelope()
	bad.data = nil
	sends := []*common.Envelope{goodEnvelope().build(t), bad.build(t), goodEnvelope().build(t)}
	for _, env := range sends {
		if err := bc.Send(env); err != nil {
			t.Fatal(err)
		}
	}
	if err := bc.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var got []common.Status
	for range sends {
		r, err := bc.Recv()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.GetStatus())
	}
	want := []common.Status{common.Status_SUCCESS, common.Status_BAD_REQUEST, common.Status_SUCCESS}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestBroadcastEndsWhenThePeerStops(t *testing.T) {
	goroutines := leakcheck.Take()
	stopping := make(chan struct{})
	channels := orderer.ChannelsFunc(func(string) (orderer.Submitter, error) { return nil, errors.New("none") })
	verifier := orderer.VerifierFunc(func(_, _, _ []byte) error { return nil })
	t.Run("stream", func(t *testing.T) {
		bc, err := serve(t, orderer.NewServer(channels, verifier, nil, orderer.WithStopping(stopping))).Broadcast(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		// One answer first: the stream is being served when stopping closes.
		if err := bc.Send(goodEnvelope().build(t)); err != nil {
			t.Fatal(err)
		}
		if _, err := bc.Recv(); err != nil {
			t.Fatal(err)
		}
		close(stopping)
		_, err = bc.Recv()
		if st, _ := status.FromError(err); st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "peer is stopping") {
			t.Errorf("Recv after stopping = %v, want Unavailable \"peer is stopping\"", err)
		}
	})
	goroutines.Verify(t)
}

// The orderer's refusals of a stopped cutter read as the ledger's did.
func TestStoppedCutterRefusalReachesTheClient(t *testing.T) {
	cut := newCutter(t, orderer.DefaultConfig(), newBlocks(), nil)
	cut.Stop()
	channels := orderer.ChannelsFunc(func(string) (orderer.Submitter, error) { return cut, nil })
	verifier := orderer.VerifierFunc(func(_, _, _ []byte) error { return nil })
	bc, err := serve(t, orderer.NewServer(channels, verifier, nil)).Broadcast(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := bc.Send(goodEnvelope().build(t)); err != nil {
		t.Fatal(err)
	}
	r, err := bc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	want := &ab.BroadcastResponse{Status: common.Status_SERVICE_UNAVAILABLE, Info: "transaction tx1: submit to mychannel: " + ledger.ErrClosed.Error()}
	if diff := cmp.Diff(want, r, protocmp.Transform()); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

// Deliver is Unimplemented unless the server is given a DeliverFunc, which
// then serves the stream.
func TestDeliver(t *testing.T) {
	channels := orderer.ChannelsFunc(func(string) (orderer.Submitter, error) { return &submitter{}, nil })
	verifier := orderer.VerifierFunc(func(_, _, _ []byte) error { return nil })
	answer := func(stream ab.AtomicBroadcast_DeliverServer) error {
		if _, err := stream.Recv(); err != nil {
			return err
		}
		return stream.Send(&ab.DeliverResponse{Type: &ab.DeliverResponse_Status{Status: common.Status_NOT_FOUND}})
	}
	tests := []struct {
		name string
		opts []orderer.Option
		// code is the stream's gRPC code; with codes.OK the status is read.
		code   codes.Code
		status common.Status
	}{
		{"without a DeliverFunc Deliver is Unimplemented", nil, codes.Unimplemented, 0},
		{"with one the DeliverFunc answers", []orderer.Option{orderer.WithDeliver(answer)}, codes.OK, common.Status_NOT_FOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := serve(t, orderer.NewServer(channels, verifier, nil, tt.opts...)).Deliver(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			// A stream the server already ended fails Send with io.EOF;
			// Recv then says why.
			if err := d.Send(goodEnvelope().build(t)); err != nil && !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			r, err := d.Recv()
			if got := status.Code(err); got != tt.code {
				t.Fatalf("Recv: %v, want code %v", err, tt.code)
			}
			if err == nil && r.GetStatus() != tt.status {
				t.Errorf("status %v, want %v", r.GetStatus(), tt.status)
			}
		})
	}
}
