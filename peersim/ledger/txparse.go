package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// parsedTx is an endorser transaction taken apart.
type parsedTx struct {
	txID         string
	timestamp    *timestamppb.Timestamp
	creator      []byte
	nonce        []byte
	payload      []byte
	signature    []byte
	ccName       string
	ccVersion    string
	headerType   common.HeaderType // -1 until the channel header is decoded
	prp          []byte
	endorsements []*peer.Endorsement
	event        *peer.ChaincodeEvent
	nss          []*parsedNS
}

type parsedNS struct {
	ns     string
	kv     *kvrwset.KVRWSet
	colls  []*parsedColl
	byColl map[string]*parsedColl
}

type parsedColl struct {
	name    string
	hashed  *kvrwset.HashedRWSet
	pvtHash []byte
}

// parseError is a parse failure with the validation code it earns.
type parseError struct {
	code peer.TxValidationCode
	err  error
}

func (e *parseError) Error() string { return e.err.Error() }
func (e *parseError) Unwrap() error { return e.err }

func bad(code peer.TxValidationCode, format string, args ...any) error {
	return &parseError{code: code, err: fmt.Errorf(format, args...)}
}

// parseEnvelope decodes an endorser transaction as a Fabric client builds
// it. txID is filled in as soon as it is known, even on failure.
func parseEnvelope(env *common.Envelope, channel string) (*parsedTx, error) {
	tx := &parsedTx{headerType: -1}
	if env == nil || len(env.GetPayload()) == 0 {
		return tx, bad(peer.TxValidationCode_NIL_ENVELOPE, "empty envelope")
	}
	tx.payload, tx.signature = env.GetPayload(), env.GetSignature()
	pl := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), pl); err != nil {
		return tx, bad(peer.TxValidationCode_BAD_PAYLOAD, "decode envelope payload: %v", err)
	}
	if pl.GetHeader() == nil {
		return tx, bad(peer.TxValidationCode_BAD_COMMON_HEADER, "payload has no header")
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(pl.GetHeader().GetChannelHeader(), chdr); err != nil {
		return tx, bad(peer.TxValidationCode_BAD_CHANNEL_HEADER, "decode channel header: %v", err)
	}
	tx.txID = chdr.GetTxId()
	tx.timestamp = chdr.GetTimestamp()
	tx.headerType = common.HeaderType(chdr.GetType())
	if chdr.GetType() != int32(common.HeaderType_ENDORSER_TRANSACTION) {
		return tx, bad(peer.TxValidationCode_UNKNOWN_TX_TYPE, "header type %s: only ENDORSER_TRANSACTION is supported", common.HeaderType(chdr.GetType()))
	}
	if chdr.GetChannelId() != channel {
		return tx, bad(peer.TxValidationCode_TARGET_CHAIN_NOT_FOUND, "transaction is for channel %q, this ledger is %q", chdr.GetChannelId(), channel)
	}
	if tx.txID == "" {
		return tx, bad(peer.TxValidationCode_BAD_PROPOSAL_TXID, "empty transaction ID")
	}
	shdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(pl.GetHeader().GetSignatureHeader(), shdr); err != nil {
		return tx, bad(peer.TxValidationCode_BAD_COMMON_HEADER, "decode signature header: %v", err)
	}
	tx.creator, tx.nonce = shdr.GetCreator(), shdr.GetNonce()
	if len(tx.creator) == 0 || len(tx.nonce) == 0 {
		return tx, bad(peer.TxValidationCode_BAD_COMMON_HEADER, "signature header lacks creator or nonce")
	}
	t := &peer.Transaction{}
	if err := proto.Unmarshal(pl.GetData(), t); err != nil {
		return tx, bad(peer.TxValidationCode_BAD_PAYLOAD, "decode transaction: %v", err)
	}
	if len(t.GetActions()) != 1 {
		return tx, bad(peer.TxValidationCode_BAD_PAYLOAD, "transaction has %d actions, exactly 1 is supported", len(t.GetActions()))
	}
	cap := &peer.ChaincodeActionPayload{}
	if err := proto.Unmarshal(t.GetActions()[0].GetPayload(), cap); err != nil {
		return tx, bad(peer.TxValidationCode_BAD_PAYLOAD, "decode chaincode action payload: %v", err)
	}
	if cap.GetAction() == nil {
		return tx, bad(peer.TxValidationCode_NIL_TXACTION, "chaincode action payload has no endorsed action")
	}
	tx.prp = cap.GetAction().GetProposalResponsePayload()
	tx.endorsements = cap.GetAction().GetEndorsements()
	prp := &peer.ProposalResponsePayload{}
	if err := proto.Unmarshal(tx.prp, prp); err != nil {
		return tx, bad(peer.TxValidationCode_BAD_RESPONSE_PAYLOAD, "decode proposal response payload: %v", err)
	}
	act := &peer.ChaincodeAction{}
	if err := proto.Unmarshal(prp.GetExtension(), act); err != nil {
		return tx, bad(peer.TxValidationCode_BAD_RESPONSE_PAYLOAD, "decode chaincode action: %v", err)
	}
	tx.ccName = act.GetChaincodeId().GetName()
	tx.ccVersion = act.GetChaincodeId().GetVersion()
	if len(act.GetEvents()) > 0 {
		ev := &peer.ChaincodeEvent{}
		if err := proto.Unmarshal(act.GetEvents(), ev); err != nil {
			return tx, bad(peer.TxValidationCode_BAD_RESPONSE_PAYLOAD, "decode chaincode event: %v", err)
		}
		tx.event = ev
	}
	rws := &rwset.TxReadWriteSet{}
	if err := proto.Unmarshal(act.GetResults(), rws); err != nil {
		return tx, bad(peer.TxValidationCode_BAD_RWSET, "decode read-write set: %v", err)
	}
	seen := make(map[string]bool)
	for _, n := range rws.GetNsRwset() {
		if n.GetNamespace() == "" || seen[n.GetNamespace()] {
			return tx, bad(peer.TxValidationCode_BAD_RWSET, "read-write set has an empty or repeated namespace %q", n.GetNamespace())
		}
		seen[n.GetNamespace()] = true
		pn := &parsedNS{ns: n.GetNamespace(), kv: &kvrwset.KVRWSet{}, byColl: make(map[string]*parsedColl)}
		if err := proto.Unmarshal(n.GetRwset(), pn.kv); err != nil {
			return tx, bad(peer.TxValidationCode_BAD_RWSET, "decode read-write set of %s: %v", pn.ns, err)
		}
		for _, c := range n.GetCollectionHashedRwset() {
			pc := &parsedColl{name: c.GetCollectionName(), hashed: &kvrwset.HashedRWSet{}, pvtHash: c.GetPvtRwsetHash()}
			if err := proto.Unmarshal(c.GetHashedRwset(), pc.hashed); err != nil {
				return tx, bad(peer.TxValidationCode_BAD_RWSET, "decode hashed read-write set of %s/%s: %v", pn.ns, pc.name, err)
			}
			if pc.name == "" || pn.byColl[pc.name] != nil {
				return tx, bad(peer.TxValidationCode_BAD_RWSET, "hashed read-write set of %s has an empty or repeated collection %q", pn.ns, pc.name)
			}
			pn.colls = append(pn.colls, pc)
			pn.byColl[pc.name] = pc
		}
		tx.nss = append(tx.nss, pn)
	}
	return tx, nil
}

// ComputeTxID returns Fabric's transaction ID for a nonce and a serialized
// creator identity: hex(SHA-256(nonce || creator)).
func ComputeTxID(nonce, creator []byte) string {
	h := sha256.New()
	h.Write(nonce)
	h.Write(creator)
	return hex.EncodeToString(h.Sum(nil))
}

func parseCode(err error) peer.TxValidationCode {
	var pe *parseError
	if errors.As(err, &pe) {
		return pe.code
	}
	return peer.TxValidationCode_INVALID_OTHER_REASON
}
