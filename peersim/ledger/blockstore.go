package ledger

import (
	"crypto/sha256"
	"encoding/asn1"
	"fmt"
	"math/big"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

const metaHeight = "height"

// BlockHeaderHash returns the hash Fabric chains blocks with: SHA-256 of the
// ASN.1 DER encoding of (number, previous_hash, data_hash).
func BlockHeaderHash(h *common.BlockHeader) []byte {
	type asn1Header struct {
		Number       *big.Int
		PreviousHash []byte
		DataHash     []byte
	}
	der, err := asn1.Marshal(asn1Header{
		Number:       new(big.Int).SetUint64(h.GetNumber()),
		PreviousHash: h.GetPreviousHash(),
		DataHash:     h.GetDataHash(),
	})
	if err != nil {
		// Marshalling a big.Int and two byte slices cannot fail.
		panic(fmt.Sprintf("asn1 encode block header: %v", err))
	}
	sum := sha256.Sum256(der)
	return sum[:]
}

// BlockDataHash returns Fabric's data hash: SHA-256 of the concatenated
// envelopes.
func BlockDataHash(d *common.BlockData) []byte {
	h := sha256.New()
	for _, e := range d.GetData() {
		h.Write(e)
	}
	return h.Sum(nil)
}

// newBlock assembles block number with the given envelopes and validation
// codes, chained to prevHash.
func newBlock(number uint64, prevHash []byte, envs [][]byte, codes []byte) *common.Block {
	data := &common.BlockData{Data: envs}
	md := make([][]byte, len(common.BlockMetadataIndex_name))
	for i := range md {
		md[i] = []byte{}
	}
	md[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = codes
	md[common.BlockMetadataIndex_SIGNATURES], _ = proto.Marshal(&common.Metadata{})
	return &common.Block{
		Header:   &common.BlockHeader{Number: number, PreviousHash: prevHash, DataHash: BlockDataHash(data)},
		Data:     data,
		Metadata: &common.BlockMetadata{Metadata: md},
	}
}

// GetBlockByNumber returns committed block number, or ErrBlockNotFound.
func (l *Ledger) GetBlockByNumber(number uint64) (*common.Block, error) {
	snap, err := l.st.snapshot()
	if err != nil {
		return nil, fmt.Errorf("get block %d of %s: %w", number, l.channel, err)
	}
	defer snap.release()
	if first := l.FirstBlock(); number < first {
		return nil, fmt.Errorf("block %d: the ledger of %s was restored from a snapshot and holds blocks from %d on: %w",
			number, l.channel, first, ErrBlockNotFound)
	}
	return readBlock(snap, number)
}

func readBlock(snap snapshot, number uint64) (*common.Block, error) {
	raw, err := snap.get(bucketBlocks, be64(number))
	if err != nil {
		return nil, fmt.Errorf("get block %d: %w", number, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("block %d: %w", number, ErrBlockNotFound)
	}
	b := &common.Block{}
	if err := proto.Unmarshal(raw, b); err != nil {
		return nil, fmt.Errorf("decode block %d: %v: %w", number, err, ErrCorrupt)
	}
	return b, nil
}

// TxLocation says where a committed transaction is and how it was judged.
type TxLocation struct {
	BlockNum uint64
	TxNum    uint64
	Code     int32 // a peer.TxValidationCode
}

// TxStatus returns where transaction txID was committed and its validation
// code, or ErrTxNotFound. For a txID used more than once, it is the first
// (the one that counts).
func (l *Ledger) TxStatus(txID string) (TxLocation, error) {
	snap, err := l.st.snapshot()
	if err != nil {
		return TxLocation{}, fmt.Errorf("transaction %s on %s: %w", txID, l.channel, err)
	}
	defer snap.release()
	loc, ok, err := readTxLocation(snap, txID)
	if err != nil {
		return TxLocation{}, err
	}
	if !ok {
		return TxLocation{}, fmt.Errorf("transaction %s on %s: %w", txID, l.channel, ErrTxNotFound)
	}
	return loc, nil
}

func readTxLocation(snap snapshot, txID string) (TxLocation, bool, error) {
	raw, err := snap.get(bucketTxIDs, []byte(txID))
	if err != nil || raw == nil {
		return TxLocation{}, false, err
	}
	if len(raw) != 17 {
		return TxLocation{}, false, fmt.Errorf("transaction %s index entry: %w", txID, ErrCorrupt)
	}
	return TxLocation{BlockNum: beUint64(raw[:8]), TxNum: beUint64(raw[8:16]), Code: int32(raw[16])}, true, nil
}

func encodeTxLocation(loc TxLocation) []byte {
	b := be64(loc.BlockNum)
	b = append(b, be64(loc.TxNum)...)
	return append(b, byte(loc.Code))
}

// GetTransactionByID returns the envelope of a committed transaction and
// its validation code.
func (l *Ledger) GetTransactionByID(txID string) (*common.Envelope, TxLocation, error) {
	loc, err := l.TxStatus(txID)
	if err != nil {
		return nil, TxLocation{}, err
	}
	b, err := l.GetBlockByNumber(loc.BlockNum)
	if err != nil {
		return nil, TxLocation{}, err
	}
	env := &common.Envelope{}
	if err := proto.Unmarshal(b.GetData().GetData()[loc.TxNum], env); err != nil {
		return nil, TxLocation{}, fmt.Errorf("decode transaction %s: %v: %w", txID, err, ErrCorrupt)
	}
	return env, loc, nil
}

// txIDAt returns the ID of the transaction at a version, "" if unknown.
func txIDAt(snap snapshot, v Version) string {
	b, err := readBlock(snap, v.BlockNum)
	if err != nil || v.TxNum >= uint64(len(b.GetData().GetData())) {
		return ""
	}
	env := &common.Envelope{}
	if proto.Unmarshal(b.GetData().GetData()[v.TxNum], env) != nil {
		return ""
	}
	tx, _ := parseEnvelope(env, "")
	return tx.txID
}

// Info returns the chain's height and the hashes of its last two blocks,
// as qscc's GetChainInfo reports them.
func (l *Ledger) Info() (*common.BlockchainInfo, error) {
	l.mu.Lock()
	height, last := l.height, l.lastHash
	l.mu.Unlock()
	info := &common.BlockchainInfo{Height: height, CurrentBlockHash: last}
	if height > 0 {
		b, err := l.GetBlockByNumber(height - 1)
		if err != nil {
			return nil, err
		}
		info.PreviousBlockHash = b.GetHeader().GetPreviousHash()
	}
	return info, nil
}

// TxResult returns the verdict on committed transaction txID, with its
// typed reason, and the number of its block; an error wrapping
// ErrTxNotFound when it is not committed.
func (l *Ledger) TxResult(txID string) (TxResult, uint64, error) {
	loc, err := l.TxStatus(txID)
	if err != nil {
		return TxResult{}, 0, err
	}
	cb, err := l.committedBlock(loc.BlockNum)
	if err != nil {
		return TxResult{}, 0, err
	}
	if loc.TxNum >= uint64(len(cb.Txs)) {
		return TxResult{}, 0, fmt.Errorf("transaction %s: block %d has %d verdicts, not %d: %w", txID, loc.BlockNum, len(cb.Txs), loc.TxNum+1, ErrCorrupt)
	}
	return cb.Txs[loc.TxNum], loc.BlockNum, nil
}
