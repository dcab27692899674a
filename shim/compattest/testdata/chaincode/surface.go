package main

import (
	"crypto/x509"
	"io"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// The exact signatures of the package-level API, and the rest of the shim's
// exported API: names a chaincode rarely writes but can, and so must compile
// against a drop-in. Deliberately left out, because no chaincode can use them
// for anything: the type Handler (no exported fields or methods) and the
// constants StateQueryResult and HistoryQueryResult (of an unexported type,
// used by the shim internally).
var (
	// The concrete stub and its exported fields.
	_ shim.ChaincodeStubInterface = (*shim.ChaincodeStub)(nil)
	_                             = func(s *shim.ChaincodeStub) string { return s.TxID + s.ChannelID }

	// The concrete iterators behind the iterator interfaces.
	_ shim.CommonIteratorInterface       = (*shim.CommonIterator)(nil)
	_ shim.StateQueryIteratorInterface   = (*shim.StateQueryIterator)(nil)
	_ shim.HistoryQueryIteratorInterface = (*shim.HistoryQueryIterator)(nil)

	// A chaincode started in process on a stream it was given.
	_ func(string, shim.ClientStream, shim.Chaincode) error = shim.StartInProc
	_ shim.PeerChaincodeStream                              = shim.ClientStream(nil)
	_ shim.PeerChaincodeStream                              = peer.Chaincode_ConnectServer(nil)

	// A ChaincodeServer served from the chaincode's own gRPC server.
	_ func(peer.Chaincode_ConnectServer) error = (&shim.ChaincodeServer{}).Connect

	// The composite key helper that needs no stub.
	_ func(string, []string) (string, error) = shim.CreateCompositeKey

	// The response status codes, usable as int32 constants.
	_ = [...]int32{shim.OK, shim.ERRORTHRESHOLD, shim.ERROR}

	// Exact signatures of the package functions a chaincode calls.
	_ func(shim.Chaincode) error                                                  = shim.Start
	_ func() (string, error)                                                      = shim.GetMSPID
	_ func([]byte) *peer.Response                                                 = shim.Success
	_ func(string) *peer.Response                                                 = shim.Error
	_ func() error                                                                = (&shim.ChaincodeServer{}).Start
	_ func(cid.ChaincodeStubInterface) (*cid.ClientID, error)                     = cid.New
	_ func(cid.ChaincodeStubInterface) (string, error)                            = cid.GetID
	_ func(cid.ChaincodeStubInterface) (string, error)                            = cid.GetMSPID
	_ func(cid.ChaincodeStubInterface, string) (string, bool, error)              = cid.GetAttributeValue
	_ func(cid.ChaincodeStubInterface, string, string) error                      = cid.AssertAttributeValue
	_ func(cid.ChaincodeStubInterface, string) (bool, error)                      = cid.HasOUValue
	_ func(cid.ChaincodeStubInterface) (*x509.Certificate, error)                 = cid.GetX509Certificate
	_ func(*cid.ClientID, string) (bool, error)                                   = (*cid.ClientID).HasOUValue
	_ cid.ClientIdentity                                                          = (*cid.ClientID)(nil)
	_ func([]byte) (statebased.KeyEndorsementPolicy, error)                       = statebased.NewStateEP
	_ func(statebased.KeyEndorsementPolicy, statebased.RoleType, ...string) error = statebased.KeyEndorsementPolicy.AddOrgs
	_ func(statebased.KeyEndorsementPolicy, ...string)                            = statebased.KeyEndorsementPolicy.DelOrgs
	_ func(statebased.KeyEndorsementPolicy) []string                              = statebased.KeyEndorsementPolicy.ListOrgs
	_ func(statebased.KeyEndorsementPolicy) ([]byte, error)                       = statebased.KeyEndorsementPolicy.Policy
	_ error                                                                       = (*statebased.RoleTypeDoesNotExistError)(nil)
)

// startInProcess runs cc in this process on a stream of Go channels, the
// way a host embedding the chaincode would.
func startInProcess(cc shim.Chaincode, fromPeer, toPeer chan *peer.ChaincodeMessage) error {
	var stream shim.ClientStream = &channelStream{in: fromPeer, out: toPeer}
	return shim.StartInProc("assets:1.0", stream, cc)
}

// channelStream is a ClientStream over Go channels, for StartInProc.
type channelStream struct {
	in, out chan *peer.ChaincodeMessage
}

func (s *channelStream) Send(m *peer.ChaincodeMessage) error {
	s.out <- m
	return nil
}

func (s *channelStream) Recv() (*peer.ChaincodeMessage, error) {
	m, ok := <-s.in
	if !ok {
		return nil, io.EOF
	}
	return m, nil
}

func (s *channelStream) CloseSend() error {
	close(s.out)
	return nil
}
