package shim

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// validationParameterKey is the state metadata key holding a key-level
// endorsement policy: the name of peer.MetaDataKeys_VALIDATION_PARAMETER.
const validationParameterKey = "VALIDATION_PARAMETER"

// ChaincodeStub is the ChaincodeStubInterface the shim hands to Init and
// Invoke: one per transaction, valid until Init or Invoke returns. Its
// ledger calls are requests to the peer over the chaincode stream; a
// transaction has at most one request in flight, so call it from one
// goroutine at a time.
type ChaincodeStub struct {
	// TxID is the transaction ID of the proposal.
	TxID string
	// ChannelID is the channel the proposal was sent on.
	ChannelID string

	handler        *handler
	args           [][]byte
	decorations    map[string][]byte
	signedProposal *peer.SignedProposal
	creator        []byte
	transient      map[string][]byte
	binding        []byte
	timestamp      *timestamppb.Timestamp
	event          *peer.ChaincodeEvent
	batch          *pendingWrites
}

var _ ChaincodeStubInterface = (*ChaincodeStub)(nil)

// newStub builds the stub of one transaction. The creator, transient map,
// binding and timestamp come from the client's signed proposal, which a
// peer always sends; without one they are nil.
func newStub(h *handler, channelID, txid string, input *peer.ChaincodeInput, sp *peer.SignedProposal) (*ChaincodeStub, error) {
	s := &ChaincodeStub{
		TxID:           txid,
		ChannelID:      channelID,
		handler:        h,
		args:           input.GetArgs(),
		decorations:    input.GetDecorations(),
		signedProposal: sp,
	}
	if sp == nil {
		return s, nil
	}
	prop := &peer.Proposal{}
	if err := proto.Unmarshal(sp.GetProposalBytes(), prop); err != nil {
		return nil, fmt.Errorf("unmarshal the proposal of the signed proposal: %w", err)
	}
	if len(prop.GetHeader()) == 0 {
		return nil, errors.New("the proposal has no header")
	}
	hdr := &common.Header{}
	if err := proto.Unmarshal(prop.GetHeader(), hdr); err != nil {
		return nil, fmt.Errorf("unmarshal the proposal header: %w", err)
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(hdr.GetChannelHeader(), chdr); err != nil {
		return nil, fmt.Errorf("unmarshal the channel header: %w", err)
	}
	switch t := common.HeaderType(chdr.GetType()); t {
	case common.HeaderType_ENDORSER_TRANSACTION, common.HeaderType_CONFIG:
	default:
		return nil, fmt.Errorf("channel header type is %s: expected %s or %s", t, common.HeaderType_ENDORSER_TRANSACTION, common.HeaderType_CONFIG)
	}
	shdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(hdr.GetSignatureHeader(), shdr); err != nil {
		return nil, fmt.Errorf("unmarshal the signature header: %w", err)
	}
	payload := &peer.ChaincodeProposalPayload{}
	if err := proto.Unmarshal(prop.GetPayload(), payload); err != nil {
		return nil, fmt.Errorf("unmarshal the chaincode proposal payload: %w", err)
	}
	s.creator = shdr.GetCreator()
	s.transient = payload.GetTransientMap()
	s.timestamp = chdr.GetTimestamp()
	s.binding = binding(shdr.GetNonce(), shdr.GetCreator(), chdr.GetEpoch())
	return s, nil
}

// binding is SHA-256(nonce ‖ creator ‖ epoch as 8 little-endian bytes).
func binding(nonce, creator []byte, epoch uint64) []byte {
	h := sha256.New()
	h.Write(nonce)
	h.Write(creator)
	var e [8]byte
	binary.LittleEndian.PutUint64(e[:], epoch)
	h.Write(e[:])
	return h.Sum(nil)
}

// request sends one request of the transaction and returns the payload of
// the peer's RESPONSE. An ERROR reply becomes an error carrying the peer's
// text unchanged.
func (s *ChaincodeStub) request(typ peer.ChaincodeMessage_Type, req proto.Message) ([]byte, error) {
	payload, err := proto.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("marshal %s request: %w", typ, err)
	}
	reply, err := s.handler.call(&peer.ChaincodeMessage{Type: typ, Payload: payload, Txid: s.TxID, ChannelId: s.ChannelID})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	switch reply.Type {
	case peer.ChaincodeMessage_RESPONSE:
		return reply.Payload, nil
	case peer.ChaincodeMessage_ERROR:
		return nil, &peerError{text: string(reply.Payload)}
	}
	return nil, fmt.Errorf("peer answered %s with %s: expected RESPONSE or ERROR", typ, reply.Type)
}

// requestInto is request followed by decoding the RESPONSE payload into out.
func (s *ChaincodeStub) requestInto(typ peer.ChaincodeMessage_Type, req, out proto.Message) error {
	payload, err := s.request(typ, req)
	if err != nil {
		return err
	}
	if err := proto.Unmarshal(payload, out); err != nil {
		return fmt.Errorf("decode the peer's %s reply as %s: %w", typ, out.ProtoReflect().Descriptor().Name(), err)
	}
	return nil
}

// GetArgs returns the arguments of the proposal, the function name first.
func (s *ChaincodeStub) GetArgs() [][]byte { return s.args }

// GetStringArgs returns the arguments of the proposal as strings.
func (s *ChaincodeStub) GetStringArgs() []string {
	out := make([]string, len(s.args))
	for i, a := range s.args {
		out[i] = string(a)
	}
	return out
}

// GetFunctionAndParameters returns the first argument as the function name
// and the others as its parameters.
func (s *ChaincodeStub) GetFunctionAndParameters() (function string, params []string) {
	all := s.GetStringArgs()
	if len(all) == 0 {
		return "", []string{}
	}
	return all[0], all[1:]
}

// GetArgsSlice returns all arguments concatenated.
func (s *ChaincodeStub) GetArgsSlice() ([]byte, error) {
	var out []byte
	for _, a := range s.args {
		out = append(out, a...)
	}
	if out == nil {
		out = []byte{}
	}
	return out, nil
}

// GetTxID returns the transaction ID of the proposal.
func (s *ChaincodeStub) GetTxID() string { return s.TxID }

// GetChannelID returns the channel of the proposal.
func (s *ChaincodeStub) GetChannelID() string { return s.ChannelID }

// GetDecorations returns the decorations the peer added to the proposal.
func (s *ChaincodeStub) GetDecorations() map[string][]byte { return s.decorations }

// GetCreator returns the marshalled SerializedIdentity of the proposal's
// signer.
func (s *ChaincodeStub) GetCreator() ([]byte, error) { return s.creator, nil }

// GetTransient returns the proposal's transient map.
func (s *ChaincodeStub) GetTransient() (map[string][]byte, error) { return s.transient, nil }

// GetBinding returns SHA-256(nonce ‖ creator ‖ epoch) of the proposal.
func (s *ChaincodeStub) GetBinding() ([]byte, error) { return s.binding, nil }

// GetSignedProposal returns the client's signed proposal.
func (s *ChaincodeStub) GetSignedProposal() (*peer.SignedProposal, error) {
	return s.signedProposal, nil
}

// GetTxTimestamp returns the timestamp the client put in the proposal's
// channel header.
func (s *ChaincodeStub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	if s.signedProposal == nil {
		return nil, fmt.Errorf("transaction %s came without a signed proposal, so it has no timestamp", s.TxID)
	}
	return s.timestamp, nil
}

// SetEvent attaches an event to the transaction; the last call wins.
func (s *ChaincodeStub) SetEvent(name string, payload []byte) error {
	if name == "" {
		return errors.New("event name can not be empty string")
	}
	if err := checkUTF8("event name", name); err != nil {
		return err
	}
	s.event = &peer.ChaincodeEvent{EventName: name, Payload: payload}
	return nil
}

// InvokeChaincode calls chaincodeName on channel ("" for this channel) with
// args, in this transaction. Failures of the call itself are a response
// with status 500 and the error text as payload.
func (s *ChaincodeStub) InvokeChaincode(chaincodeName string, args [][]byte, channel string) *peer.Response {
	fail := func(text string) *peer.Response { return &peer.Response{Status: ERROR, Payload: []byte(text)} }
	if chaincodeName == "" {
		return fail("chaincode name to invoke must not be empty")
	}
	if err := checkUTF8("chaincode name", chaincodeName); err != nil {
		return fail(err.Error())
	}
	if err := checkUTF8("channel", channel); err != nil {
		return fail(err.Error())
	}
	target := chaincodeName
	if channel != "" {
		target += "/" + channel
	}
	spec := &peer.ChaincodeSpec{ChaincodeId: &peer.ChaincodeID{Name: target}, Input: &peer.ChaincodeInput{Args: args}}
	payload, err := s.request(peer.ChaincodeMessage_INVOKE_CHAINCODE, spec)
	if err != nil {
		return fail(err.Error())
	}
	inner := &peer.ChaincodeMessage{}
	if err := proto.Unmarshal(payload, inner); err != nil {
		return fail(fmt.Sprintf("decode the reply of chaincode %s: %v", target, err))
	}
	switch inner.Type {
	case peer.ChaincodeMessage_COMPLETED:
		res := &peer.Response{}
		if err := proto.Unmarshal(inner.Payload, res); err != nil {
			return fail(fmt.Sprintf("decode the response of chaincode %s: %v", target, err))
		}
		return res
	case peer.ChaincodeMessage_ERROR:
		return fail(string(inner.Payload))
	}
	return fail(fmt.Sprintf("chaincode %s answered with %s: expected COMPLETED or ERROR", target, inner.Type))
}

// GetState returns the committed value of key, or nil if it does not exist.
func (s *ChaincodeStub) GetState(key string) ([]byte, error) {
	return s.getState("", key)
}

func (s *ChaincodeStub) getState(collection, key string) ([]byte, error) {
	if err := s.checkKey(collection, key); err != nil {
		return nil, err
	}
	v, err := s.request(peer.ChaincodeMessage_GET_STATE, &peer.GetState{Key: key, Collection: collection})
	if err != nil || len(v) == 0 {
		return nil, err
	}
	return v, nil
}

// GetMultipleStates returns the committed values of keys in order, nil for
// each missing key.
func (s *ChaincodeStub) GetMultipleStates(keys ...string) ([][]byte, error) {
	return s.getMultiple("", keys)
}

func (s *ChaincodeStub) getMultiple(collection string, keys []string) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if err := checkUTF8("collection", collection); err != nil {
		return nil, err
	}
	if err := checkUTF8All("key", keys); err != nil {
		return nil, err
	}
	f := s.handler.features
	out := make([][]byte, 0, len(keys))
	if !f.getMultiple {
		for _, k := range keys {
			v, err := s.getState(collection, k)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	for chunk := range chunks(keys, f.maxGetMultiple) {
		res := &peer.GetStateMultipleResult{}
		if err := s.requestInto(peer.ChaincodeMessage_GET_STATE_MULTIPLE, &peer.GetStateMultiple{Keys: chunk, Collection: collection}, res); err != nil {
			return nil, err
		}
		if len(res.Values) != len(chunk) {
			return nil, fmt.Errorf("peer answered GET_STATE_MULTIPLE for %d keys with %d values", len(chunk), len(res.Values))
		}
		for _, v := range res.Values {
			if len(v) == 0 {
				v = nil
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// chunks yields s in slices of at most n elements.
func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			m := min(n, len(s))
			if !yield(s[:m]) {
				return
			}
			s = s[m:]
		}
	}
}

// PutState writes value to key when the transaction commits; an empty
// value deletes the key.
func (s *ChaincodeStub) PutState(key string, value []byte) error {
	return s.putState("", key, value)
}

func (s *ChaincodeStub) putState(collection, key string, value []byte) error {
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	if err := s.checkKey(collection, key); err != nil {
		return err
	}
	if s.batch != nil {
		s.batch.add(&peer.WriteRecord{Key: key, Value: value, Collection: collection, Type: peer.WriteRecord_PUT_STATE})
		return nil
	}
	_, err := s.request(peer.ChaincodeMessage_PUT_STATE, &peer.PutState{Key: key, Value: value, Collection: collection})
	return err
}

// DelState deletes key when the transaction commits.
func (s *ChaincodeStub) DelState(key string) error {
	return s.delState("", key, peer.ChaincodeMessage_DEL_STATE)
}

// delState sends DEL_STATE or PURGE_PRIVATE_DATA; both carry a DelState.
func (s *ChaincodeStub) delState(collection, key string, typ peer.ChaincodeMessage_Type) error {
	if err := s.checkKey(collection, key); err != nil {
		return err
	}
	if s.batch != nil {
		rt := peer.WriteRecord_DEL_STATE
		if typ == peer.ChaincodeMessage_PURGE_PRIVATE_DATA {
			rt = peer.WriteRecord_PURGE_PRIVATE_DATA
		}
		s.batch.add(&peer.WriteRecord{Key: key, Collection: collection, Type: rt})
		return nil
	}
	_, err := s.request(typ, &peer.DelState{Key: key, Collection: collection})
	return err
}

// SetStateValidationParameter sets the key-level endorsement policy of key.
func (s *ChaincodeStub) SetStateValidationParameter(key string, ep []byte) error {
	return s.putMetadata("", key, validationParameterKey, ep)
}

// GetStateValidationParameter returns the key-level endorsement policy of
// key, or nil.
func (s *ChaincodeStub) GetStateValidationParameter(key string) ([]byte, error) {
	return s.getMetadata("", key, validationParameterKey)
}

func (s *ChaincodeStub) putMetadata(collection, key, metakey string, value []byte) error {
	if err := s.checkKey(collection, key); err != nil {
		return err
	}
	md := &peer.StateMetadata{Metakey: metakey, Value: value}
	if s.batch != nil {
		s.batch.add(&peer.WriteRecord{Key: key, Collection: collection, Metadata: md, Type: peer.WriteRecord_PUT_STATE_METADATA})
		return nil
	}
	_, err := s.request(peer.ChaincodeMessage_PUT_STATE_METADATA, &peer.PutStateMetadata{Key: key, Collection: collection, Metadata: md})
	return err
}

func (s *ChaincodeStub) getMetadata(collection, key, metakey string) ([]byte, error) {
	if err := s.checkKey(collection, key); err != nil {
		return nil, err
	}
	res := &peer.StateMetadataResult{}
	if err := s.requestInto(peer.ChaincodeMessage_GET_STATE_METADATA, &peer.GetStateMetadata{Key: key, Collection: collection}, res); err != nil {
		return nil, err
	}
	var value []byte
	for _, e := range res.Entries {
		if e.Metakey == metakey {
			value = e.Value
		}
	}
	return value, nil
}

// checkKey checks the strings of a key-addressed call before anything is
// sent.
func (s *ChaincodeStub) checkKey(collection, key string) error {
	if err := checkUTF8("collection", collection); err != nil {
		return err
	}
	return checkUTF8("key", key)
}

// GetStateByRange iterates over the simple keys in [startKey, endKey).
func (s *ChaincodeStub) GetStateByRange(startKey, endKey string) (StateQueryIteratorInterface, error) {
	it, _, err := s.simpleRange("", startKey, endKey, nil)
	return it, err
}

// GetStateByRangeWithPagination is GetStateByRange one page at a time.
func (s *ChaincodeStub) GetStateByRangeWithPagination(startKey, endKey string, pageSize int32,
	bookmark string) (StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return s.simpleRange("", startKey, endKey, &peer.QueryMetadata{PageSize: pageSize, Bookmark: bookmark})
}

// simpleRange checks the bounds of a simple-key range query, replacing an
// empty start key with "\x01" so composite keys stay out, and runs it.
func (s *ChaincodeStub) simpleRange(collection, startKey, endKey string, md *peer.QueryMetadata) (*StateQueryIterator, *peer.QueryResponseMetadata, error) {
	if startKey == "" {
		startKey = firstSimpleKey
	}
	if err := checkRangeBounds(startKey, endKey); err != nil {
		return nil, nil, err
	}
	return s.rangeQuery(collection, startKey, endKey, md)
}

// GetStateByPartialCompositeKey iterates over the composite keys of
// objectType starting with the attributes keys.
func (s *ChaincodeStub) GetStateByPartialCompositeKey(objectType string, keys []string) (StateQueryIteratorInterface, error) {
	it, _, err := s.partialCompositeRange("", objectType, keys, nil)
	return it, err
}

// GetStateByPartialCompositeKeyWithPagination is
// GetStateByPartialCompositeKey one page at a time.
func (s *ChaincodeStub) GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string,
	pageSize int32, bookmark string) (StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return s.partialCompositeRange("", objectType, keys, &peer.QueryMetadata{PageSize: pageSize, Bookmark: bookmark})
}

func (s *ChaincodeStub) partialCompositeRange(collection, objectType string, keys []string, md *peer.QueryMetadata) (*StateQueryIterator, *peer.QueryResponseMetadata, error) {
	prefix, err := CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, nil, err
	}
	return s.rangeQuery(collection, prefix, prefix+maxRune, md)
}

// GetAllStatesCompositeKeyWithPagination iterates over every composite key,
// one page at a time.
func (s *ChaincodeStub) GetAllStatesCompositeKeyWithPagination(pageSize int32,
	bookmark string) (StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return s.rangeQuery("", compositeKeyPrefix, compositeKeyPrefix+maxRune, &peer.QueryMetadata{PageSize: pageSize, Bookmark: bookmark})
}

// CreateCompositeKey is the package function CreateCompositeKey.
func (s *ChaincodeStub) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	return CreateCompositeKey(objectType, attributes)
}

// SplitCompositeKey returns the object type and attributes of compositeKey.
func (s *ChaincodeStub) SplitCompositeKey(compositeKey string) (string, []string, error) {
	return parseCompositeKey(compositeKey)
}

func (s *ChaincodeStub) rangeQuery(collection, startKey, endKey string, md *peer.QueryMetadata) (*StateQueryIterator, *peer.QueryResponseMetadata, error) {
	if err := checkUTF8("collection", collection); err != nil {
		return nil, nil, err
	}
	if err := checkUTF8("start key", startKey); err != nil {
		return nil, nil, err
	}
	if err := checkUTF8("end key", endKey); err != nil {
		return nil, nil, err
	}
	mdBytes, err := marshalQueryMetadata(md)
	if err != nil {
		return nil, nil, err
	}
	res := &peer.QueryResponse{}
	req := &peer.GetStateByRange{StartKey: startKey, EndKey: endKey, Collection: collection, Metadata: mdBytes}
	if err := s.requestInto(peer.ChaincodeMessage_GET_STATE_BY_RANGE, req, res); err != nil {
		return nil, nil, err
	}
	return s.newStateIterator(res)
}

// GetQueryResult runs a rich (CouchDB Mango) query.
func (s *ChaincodeStub) GetQueryResult(query string) (StateQueryIteratorInterface, error) {
	it, _, err := s.richQuery("", query, nil)
	return it, err
}

// GetQueryResultWithPagination is GetQueryResult one page at a time.
func (s *ChaincodeStub) GetQueryResultWithPagination(query string, pageSize int32,
	bookmark string) (StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return s.richQuery("", query, &peer.QueryMetadata{PageSize: pageSize, Bookmark: bookmark})
}

func (s *ChaincodeStub) richQuery(collection, query string, md *peer.QueryMetadata) (*StateQueryIterator, *peer.QueryResponseMetadata, error) {
	if err := checkUTF8("collection", collection); err != nil {
		return nil, nil, err
	}
	if err := checkUTF8("query", query); err != nil {
		return nil, nil, err
	}
	mdBytes, err := marshalQueryMetadata(md)
	if err != nil {
		return nil, nil, err
	}
	res := &peer.QueryResponse{}
	req := &peer.GetQueryResult{Query: query, Collection: collection, Metadata: mdBytes}
	if err := s.requestInto(peer.ChaincodeMessage_GET_QUERY_RESULT, req, res); err != nil {
		return nil, nil, err
	}
	return s.newStateIterator(res)
}

func marshalQueryMetadata(md *peer.QueryMetadata) ([]byte, error) {
	if md == nil {
		return nil, nil
	}
	if err := checkUTF8("bookmark", md.Bookmark); err != nil {
		return nil, err
	}
	b, err := proto.Marshal(md)
	if err != nil {
		return nil, fmt.Errorf("marshal query metadata: %w", err)
	}
	return b, nil
}

func (s *ChaincodeStub) newStateIterator(res *peer.QueryResponse) (*StateQueryIterator, *peer.QueryResponseMetadata, error) {
	md := &peer.QueryResponseMetadata{}
	if err := proto.Unmarshal(res.Metadata, md); err != nil {
		return nil, nil, fmt.Errorf("decode the query response metadata: %w", err)
	}
	return &StateQueryIterator{CommonIterator: &CommonIterator{stub: s, response: res}}, md, nil
}

// GetHistoryForKey iterates over the committed changes of key, newest first.
func (s *ChaincodeStub) GetHistoryForKey(key string) (HistoryQueryIteratorInterface, error) {
	if err := checkUTF8("key", key); err != nil {
		return nil, err
	}
	res := &peer.QueryResponse{}
	if err := s.requestInto(peer.ChaincodeMessage_GET_HISTORY_FOR_KEY, &peer.GetHistoryForKey{Key: key}, res); err != nil {
		return nil, err
	}
	return &HistoryQueryIterator{CommonIterator: &CommonIterator{stub: s, response: res}}, nil
}

// GetPrivateData returns the committed value of key in collection, or nil.
func (s *ChaincodeStub) GetPrivateData(collection, key string) ([]byte, error) {
	if collection == "" {
		return nil, errNoCollection
	}
	return s.getState(collection, key)
}

// GetMultiplePrivateData returns the committed values of keys in collection.
func (s *ChaincodeStub) GetMultiplePrivateData(collection string, keys ...string) ([][]byte, error) {
	if collection == "" {
		return nil, errNoCollection
	}
	return s.getMultiple(collection, keys)
}

// GetPrivateDataHash returns the SHA-256 hash of the value of key in
// collection, or nil.
func (s *ChaincodeStub) GetPrivateDataHash(collection, key string) ([]byte, error) {
	if collection == "" {
		return nil, errNoCollection
	}
	if err := s.checkKey(collection, key); err != nil {
		return nil, err
	}
	v, err := s.request(peer.ChaincodeMessage_GET_PRIVATE_DATA_HASH, &peer.GetState{Key: key, Collection: collection})
	if err != nil || len(v) == 0 {
		return nil, err
	}
	return v, nil
}

// PutPrivateData writes value to key in collection.
func (s *ChaincodeStub) PutPrivateData(collection string, key string, value []byte) error {
	if collection == "" {
		return errNoCollection
	}
	return s.putState(collection, key, value)
}

// DelPrivateData deletes key from collection.
func (s *ChaincodeStub) DelPrivateData(collection, key string) error {
	if collection == "" {
		return errNoCollection
	}
	return s.delState(collection, key, peer.ChaincodeMessage_DEL_STATE)
}

// PurgePrivateData deletes key from collection and its private history.
func (s *ChaincodeStub) PurgePrivateData(collection, key string) error {
	if collection == "" {
		return errNoCollection
	}
	return s.delState(collection, key, peer.ChaincodeMessage_PURGE_PRIVATE_DATA)
}

// SetPrivateDataValidationParameter sets the key-level endorsement policy of
// key in collection.
func (s *ChaincodeStub) SetPrivateDataValidationParameter(collection, key string, ep []byte) error {
	if collection == "" {
		return errNoCollection
	}
	return s.putMetadata(collection, key, validationParameterKey, ep)
}

// GetPrivateDataValidationParameter returns the key-level endorsement policy
// of key in collection, or nil.
func (s *ChaincodeStub) GetPrivateDataValidationParameter(collection, key string) ([]byte, error) {
	if collection == "" {
		return nil, errNoCollection
	}
	return s.getMetadata(collection, key, validationParameterKey)
}

// GetPrivateDataByRange iterates over the simple keys of collection in
// [startKey, endKey).
func (s *ChaincodeStub) GetPrivateDataByRange(collection, startKey, endKey string) (StateQueryIteratorInterface, error) {
	if collection == "" {
		return nil, errNoCollection
	}
	it, _, err := s.simpleRange(collection, startKey, endKey, nil)
	return it, err
}

// GetPrivateDataByPartialCompositeKey iterates over the composite keys of
// collection with objectType and the leading attributes keys.
func (s *ChaincodeStub) GetPrivateDataByPartialCompositeKey(collection, objectType string, keys []string) (StateQueryIteratorInterface, error) {
	if collection == "" {
		return nil, errNoCollection
	}
	it, _, err := s.partialCompositeRange(collection, objectType, keys, nil)
	return it, err
}

// GetPrivateDataQueryResult runs a rich query over collection.
func (s *ChaincodeStub) GetPrivateDataQueryResult(collection, query string) (StateQueryIteratorInterface, error) {
	if collection == "" {
		return nil, errNoCollection
	}
	it, _, err := s.richQuery(collection, query, nil)
	return it, err
}

// StartWriteBatch buffers the following writes of the transaction and sends
// them in WRITE_BATCH_STATE messages when the peer offers write batches
// (Fabric 3.1 and later); otherwise writes keep going one by one.
func (s *ChaincodeStub) StartWriteBatch() {
	if s.handler.features.writeBatch && s.batch == nil {
		s.batch = newPendingWrites()
	}
}

// FinishWriteBatch sends the buffered writes, in messages of at most the
// size the peer allows, and stops buffering.
func (s *ChaincodeStub) FinishWriteBatch() error {
	b := s.batch
	s.batch = nil
	if b == nil {
		return nil
	}
	for chunk := range chunks(b.records, s.handler.features.maxWriteBatch) {
		if _, err := s.request(peer.ChaincodeMessage_WRITE_BATCH_STATE, &peer.WriteBatchState{Rec: chunk}); err != nil {
			return fmt.Errorf("write batch: %w", err)
		}
	}
	return nil
}
