package shim

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// stoppableStream is a PeerChaincodeStream of channels that ends, in both
// directions, when stop is closed.
type stoppableStream struct {
	sent chan *peer.ChaincodeMessage
	recv chan *peer.ChaincodeMessage
	stop chan struct{}
	once sync.Once
}

func (s *stoppableStream) Send(m *peer.ChaincodeMessage) error {
	select {
	case s.sent <- m:
		return nil
	case <-s.stop:
		return io.EOF
	}
}

func (s *stoppableStream) Recv() (*peer.ChaincodeMessage, error) {
	select {
	case m := <-s.recv:
		return m, nil
	case <-s.stop:
		return nil, io.EOF
	}
}

func (s *stoppableStream) end() { s.once.Do(func() { close(s.stop) }) }

// FuzzPeerInputNeverPanicsOrHangs plays a peer that answers the first
// request of a transaction with an arbitrary message (and then with the
// expected reply), and every later request with an arbitrary payload. The
// shim must neither panic nor hang.
func FuzzPeerInputNeverPanicsOrHangs(f *testing.F) {
	f.Add(int32(peer.ChaincodeMessage_RESPONSE), "tx1", "ch", []byte{0x0a, 0x02, 0x0a, 0x00, 0x10, 0x01})
	f.Add(int32(peer.ChaincodeMessage_ERROR), "tx1", "ch", []byte("boom"))
	f.Add(int32(peer.ChaincodeMessage_TRANSACTION), "tx1", "ch", []byte{})
	f.Add(int32(peer.ChaincodeMessage_INIT), "tx2", "ch", []byte{0xff})
	f.Add(int32(peer.ChaincodeMessage_KEEPALIVE), "", "", []byte(nil))
	f.Add(int32(99), "x", "y", []byte{0x08, 0x01})
	f.Add(int32(peer.ChaincodeMessage_READY), "tx1", "ch", []byte{0x08, 0x01, 0x18, 0x01})
	f.Fuzz(func(t *testing.T, typ int32, txid, channel string, payload []byte) {
		stream := &stoppableStream{sent: make(chan *peer.ChaincodeMessage), recv: make(chan *peer.ChaincodeMessage), stop: make(chan struct{})}
		cc := &chaincodeFuncs{invoke: func(s ChaincodeStubInterface) *peer.Response {
			if it, err := s.GetStateByRange("a", "b"); err == nil {
				for it.HasNext() {
					if _, err := it.Next(); err != nil {
						break
					}
				}
				_ = it.Close()
			}
			_, _ = s.GetMultipleStates("a", "b")
			_, _ = s.GetStateValidationParameter("k")
			_ = s.InvokeChaincode("other", nil, "")
			if h, err := s.GetHistoryForKey("k"); err == nil && h.HasNext() {
				_, _ = h.Next()
			}
			return Success(nil)
		}}
		h := newHandler(stream, cc, slog.New(slog.DiscardHandler))
		done := make(chan error, 1)
		go func() { done <- h.serve("mycc:1.0") }()

		replies := make(chan *peer.ChaincodeMessage, 256)
		replies <- &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTERED}
		replies <- &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_READY, Payload: payload}
		replies <- &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_TRANSACTION, Txid: "tx1", ChannelId: "ch"}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { // feeds the shim
			defer wg.Done()
			for {
				select {
				case m := <-replies:
					select {
					case stream.recv <- m:
					case <-stream.stop:
						return
					}
				case <-stream.stop:
					return
				}
			}
		}()
		go func() { // answers the shim
			defer wg.Done()
			requests := 0
			for {
				select {
				case m := <-stream.sent:
					switch m.Type {
					case peer.ChaincodeMessage_REGISTER, peer.ChaincodeMessage_KEEPALIVE:
						continue
					case peer.ChaincodeMessage_COMPLETED, peer.ChaincodeMessage_ERROR:
						stream.end()
						return
					}
					requests++
					if requests > 50 {
						stream.end()
						return
					}
					if requests == 1 {
						replies <- &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_Type(typ), Txid: txid, ChannelId: channel, Payload: payload}
					}
					replies <- &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_RESPONSE, Txid: m.Txid, ChannelId: m.ChannelId, Payload: payload}
				case <-stream.stop:
					return
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(waitLimit):
			t.Fatal("the shim hung")
		}
		stream.end()
		wg.Wait()
	})
}
