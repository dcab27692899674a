package chaincode

import (
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// rawMessage receives a ChaincodeMessage as bytes, without decoding it.
// Decoding afterwards lets the handler answer a message protobuf refuses
// (invalid UTF-8 in its txid, a malformed field) with ERROR instead of gRPC
// ending the whole stream. gRPC's codec reaches Unmarshal through
// protobuf's support for hand-written (legacy) messages.
//
// One rawMessage may receive message after message into the same buffer
// (the handler's receiving goroutine does): each Unmarshal overwrites the
// bytes of the one before, so they must be decoded, or copied, before the
// next is received.
type rawMessage struct{ b []byte }

// maxKeptReceiveBuffer is the largest buffer a rawMessage keeps for the
// next message; one received into a larger one is let go, so a single
// large message does not pin its size for the stream's life.
const maxKeptReceiveBuffer = 64 << 10

// Reset empties m, keeping its buffer for the next message unless it is
// larger than maxKeptReceiveBuffer.
func (m *rawMessage) Reset() {
	if cap(m.b) > maxKeptReceiveBuffer {
		m.b = nil
		return
	}
	m.b = m.b[:0]
}

func (m *rawMessage) String() string {
	return fmt.Sprintf("raw chaincode message (%d bytes)", len(m.b))
}
func (m *rawMessage) ProtoMessage() {}

// Unmarshal copies b into m's buffer; gRPC reuses b.
func (m *rawMessage) Unmarshal(b []byte) error {
	m.Reset()
	m.b = append(m.b, b...)
	return nil
}

// Marshal returns the bytes unchanged (tests send raw frames with it).
func (m *rawMessage) Marshal() ([]byte, error) { return m.b, nil }

// envelope is what can be read from a ChaincodeMessage that protobuf refuses
// to decode, enough to answer it.
type envelope struct {
	typ       peer.ChaincodeMessage_Type
	txID      string
	channelID string
}

// peekEnvelope reads the type, txid and channel_id fields of raw without
// validating them. Invalid UTF-8 is replaced so the values can be sent back.
func peekEnvelope(raw []byte) envelope {
	var env envelope
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			break
		}
		raw = raw[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(raw)
			if n < 0 {
				return env
			}
			env.typ = peer.ChaincodeMessage_Type(int32(v))
			raw = raw[n:]
		case (num == 4 || num == 7) && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(raw)
			if n < 0 {
				return env
			}
			s := strings.ToValidUTF8(string(v), "\uFFFD")
			if num == 4 {
				env.txID = s
			} else {
				env.channelID = s
			}
			raw = raw[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, raw)
			if n < 0 {
				return env
			}
			raw = raw[n:]
		}
	}
	return env
}

// unmarshal decodes a request payload; its error is the cause Fabric reports.
func unmarshal(payload []byte, m proto.Message) error {
	if err := proto.Unmarshal(payload, m); err != nil {
		return fmt.Errorf("unmarshal failed: %w", err)
	}
	return nil
}

// newIteratorID returns a random (version 4) UUID.
func newIteratorID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// txKey is Fabric's correlation key: channel_id and txid concatenated.
func txKey(channelID, txID string) string { return channelID + txID }

// errorMessage is the ERROR reply to msg with Fabric's
// "<TYPE> failed: transaction ID: <txid>: <cause>" payload.
func errorMessage(typ peer.ChaincodeMessage_Type, txID, channelID string, cause error) *peer.ChaincodeMessage {
	return &peer.ChaincodeMessage{
		Type:      peer.ChaincodeMessage_ERROR,
		Payload:   fmt.Appendf(nil, "%s failed: transaction ID: %s: %s", typ, txID, cause),
		Txid:      txID,
		ChannelId: channelID,
	}
}
