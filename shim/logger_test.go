package shim

import (
	"errors"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/metadata"
)

// headerStream is a stream whose peer sent header (or failed with err).
type headerStream struct {
	PeerChaincodeStream
	header metadata.MD
	err    error
}

func (s headerStream) Header() (metadata.MD, error) { return s.header, s.err }

type plainStream struct{ PeerChaincodeStream }

func TestThePeerTakesLogLinesOnlyWhenItSaysSo(t *testing.T) {
	tests := []struct {
		name   string
		stream PeerChaincodeStream
		want   bool
	}{
		{"a stream without headers (an in-memory fake)", plainStream{}, false},
		{"a Fabric peer: no such header", headerStream{header: metadata.Pairs("content-type", "application/grpc")}, false},
		{"a header that could not be read", headerStream{header: metadata.Pairs(peerLogHeader, "1"), err: errors.New("stream ended")}, false},
		{"a development-mode peersim peer", headerStream{header: metadata.Pairs(peerLogHeader, "1")}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := peerAcceptsLogs(tc.stream); got != tc.want {
				t.Errorf("peerAcceptsLogs = %v, want %v", got, tc.want)
			}
		})
	}
}

// sentStream records what the handler sends.
type sentStream struct {
	PeerChaincodeStream
	sent []*peer.ChaincodeMessage
}

func (s *sentStream) Send(m *peer.ChaincodeMessage) error {
	s.sent = append(s.sent, m)
	return nil
}

func TestLoggerSendsLinesOnlyToAPeerThatTakesThem(t *testing.T) {
	for _, takes := range []bool{false, true} {
		st := &sentStream{}
		h := newHandler(st, nil, nil)
		h.peerLogs = takes
		Logger(&ChaincodeStub{TxID: "tx1", ChannelID: "ch", handler: h}).Info("hello", "n", 1)
		switch {
		case !takes && len(st.sent) != 0:
			t.Errorf("sent %v to a peer that takes no lines", st.sent)
		case takes && (len(st.sent) != 1 || st.sent[0].Type != peerLogType || st.sent[0].Txid != "tx1" || st.sent[0].ChannelId != "ch" ||
			string(st.sent[0].Payload) != "level=INFO msg=hello txid=tx1 channel=ch n=1"):
			t.Errorf("sent %v, want one line of transaction tx1", st.sent)
		}
	}
}
