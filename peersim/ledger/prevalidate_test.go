package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// orgPolicy is a deterministic PolicyChecker, safe for concurrent use: a
// creator signature is bad when it is "bad signature"; a policy is
// satisfied when an endorsement comes from "peer0.<MSP>" of an MSP the
// policy names (Org1MSP when it names none: the chaincode without a
// policy, and the reserved namespaces).
type orgPolicy struct{}

func (orgPolicy) CheckCreator(creator, payload, sig []byte) error {
	if string(sig) == "bad signature" {
		return errors.New("the signature does not verify")
	}
	return nil
}

func (orgPolicy) CheckEndorsements(p Policy, prp []byte, es []*peer.Endorsement) error {
	want := map[string]bool{org1: true}
	if env := p.Application.GetSignaturePolicy(); env != nil {
		var err error
		if want, err = policyMSPIDs(env); err != nil {
			return err
		}
	}
	for _, e := range es {
		if m, ok := bytes.CutPrefix(e.GetEndorser(), []byte("peer0.")); ok && want[string(m)] {
			return nil
		}
	}
	return fmt.Errorf("no endorsement by a peer of %v", slices.Sorted(func(yield func(string) bool) {
		for m := range want {
			if !yield(m) {
				return
			}
		}
	}))
}

// verdict is what a test compares of a transaction's result.
type verdict struct {
	Code   peer.TxValidationCode
	Reason string
}

func verdicts(cb *CommittedBlock) []verdict {
	out := make([]verdict, len(cb.Txs))
	for i, r := range cb.Txs {
		out[i].Code = r.Code
		if r.Err != nil {
			out[i].Reason = r.Err.Error()
		}
	}
	return out
}

// TestParallelValidationGivesTheSequentialVerdicts commits the same blocks,
// with a mix of valid transactions and each kind of failure (including
// those where what was evaluated ahead against the state before the block
// no longer applies: a validation parameter set and a chaincode upgraded
// earlier in the block), to ledgers validating with one worker and with
// several, and checks that every verdict, reason and committed value is
// the same.
func TestParallelValidationGivesTheSequentialVerdicts(t *testing.T) {
	workers := []int{1, 2, 8}
	ledgers := make([]*Ledger, len(workers))
	for i, w := range workers {
		ledgers[i] = openTestLedger(t, testOpts{policy: orgPolicy{}, bare: true})
		ledgers[i].workers = w
	}
	sim := ledgers[0] // envelopes are simulated here, committed everywhere
	c1, c2 := newClient(t, org1), newClient(t, "Org2MSP")
	vp, err := proto.Marshal(anyOf(msp.MSPRole_PEER, "Org2MSP"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(c client, kvs ...string) *common.Envelope {
		return c.propose(t, "cc").endorse(t, sim, func(s *Simulator) error {
			for i := 0; i+1 < len(kvs); i += 2 {
				if err := s.SetState("cc", kvs[i], []byte(kvs[i+1])); err != nil {
					return err
				}
			}
			return nil
		})
	}
	readWrite := func(key, value string) *common.Envelope {
		return c1.propose(t, "cc").endorse(t, sim, func(s *Simulator) error {
			if _, err := s.GetState("cc", key); err != nil {
				return err
			}
			return s.SetState("cc", key, []byte(value))
		})
	}
	setVP := func(key string) *common.Envelope {
		return c1.propose(t, "cc").endorse(t, sim, func(s *Simulator) error {
			return s.SetStateMetadata("cc", key, map[string][]byte{"VALIDATION_PARAMETER": vp})
		})
	}
	commitAll := func(envs ...*common.Envelope) []verdict {
		t.Helper()
		var first []verdict
		var firstHash []byte
		for i, l := range ledgers {
			cb := commit(t, l, envs...)
			got, hash := verdicts(cb), BlockHeaderHash(cb.Block.GetHeader())
			if i == 0 {
				first, firstHash = got, hash
				continue
			}
			if diff := cmp.Diff(first, got); diff != "" {
				t.Errorf("block %d: verdicts with %d workers differ from one worker's (-one +%d):\n%s", cb.Block.GetHeader().GetNumber(), workers[i], workers[i], diff)
			}
			if !bytes.Equal(hash, firstHash) {
				t.Errorf("block %d: header hash with %d workers differs from one worker's", cb.Block.GetHeader().GetNumber(), workers[i])
			}
		}
		return first
	}

	commitAll(c1.propose(t, LSCCNamespace).endorse(t, sim, func(s *Simulator) error {
		return s.PutChaincodeDefinition(&ChaincodeDefinition{Name: "cc", Version: "1"})
	}))
	setup := []*common.Envelope{write(c1, "k1", "v", "k2", "v", "kvp", "v"), setVP("kvp")}
	commitAll(setup[0])
	commitAll(setup[1])

	valid := write(c1, "a", "1")
	conflictA, conflictB := readWrite("k1", "x"), readWrite("k1", "y")
	rangeRead := c1.propose(t, "cc").endorse(t, sim, func(s *Simulator) error {
		it, err := s.GetStateRangeScanIterator("cc", "", "")
		if err != nil {
			return err
		}
		defer it.Close()
		for {
			kv, err := it.Next()
			if err != nil || kv == nil {
				return err
			}
		}
	})
	badSig := write(c1, "b", "1")
	badSig.Signature = []byte("bad signature")
	upgrade := c1.propose(t, LSCCNamespace).endorse(t, sim, func(s *Simulator) error {
		return s.PutChaincodeDefinition(&ChaincodeDefinition{Name: "cc", Version: "2",
			EndorsementPolicy: &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{
				SignaturePolicy: anyOf(msp.MSPRole_PEER, "Org2MSP"),
			}}})
	})
	block := []*common.Envelope{
		valid,                           // 0
		badSig,                          // 1
		write(c2, "c", "1"),             // 2: Org2's peer does not satisfy cc's policy
		write(c1, "kvp", "2"),           // 3: nor Org1's the key-level policy of kvp
		conflictA,                       // 4
		conflictB,                       // 5: read k1, written by 4
		valid,                           // 6: duplicate of 0
		setup[0],                        // 7: duplicate of a committed transaction
		setVP("k2"),                     // 8
		write(c1, "k2", "2"),            // 9: k2's validation parameter changed by 8
		rangeRead,                       // 10: "a" appeared, written by 0
		write(c2, "kvp", "3"),           // 11: Org2's peer satisfies kvp's policy
		upgrade,                         // 12
		write(c1, "d", "1"),             // 13: cc's new policy wants Org2
		write(c2, "e", "1"),             // 14: which Org2's peer satisfies
		write(c1, "f", "1", "kvp", "4"), // 15: needs both policies
	}
	got := commitAll(block...)
	want := []peer.TxValidationCode{
		peer.TxValidationCode_VALID,
		peer.TxValidationCode_BAD_CREATOR_SIGNATURE,
		peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE,
		peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE,
		peer.TxValidationCode_VALID,
		peer.TxValidationCode_MVCC_READ_CONFLICT,
		peer.TxValidationCode_DUPLICATE_TXID,
		peer.TxValidationCode_DUPLICATE_TXID,
		peer.TxValidationCode_VALID,
		peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE,
		peer.TxValidationCode_PHANTOM_READ_CONFLICT,
		peer.TxValidationCode_VALID,
		peer.TxValidationCode_VALID,
		peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE,
		peer.TxValidationCode_VALID,
		peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE,
	}
	var codes []peer.TxValidationCode
	for _, v := range got {
		codes = append(codes, v.Code)
	}
	if diff := cmp.Diff(want, codes); diff != "" {
		t.Errorf("codes of the mixed block (-want +got):\n%s", diff)
	}
	// A block after it sees the upgrade from committed state.
	commitAll(write(c1, "g", "1"), write(c2, "h", "1"), readWrite("a", "2"))
	for _, key := range []string{"a", "b", "c", "k1", "k2", "kvp", "d", "e", "g", "h"} {
		want := read(t, ledgers[0], "cc", key)
		for i, l := range ledgers[1:] {
			if got := read(t, l, "cc", key); !bytes.Equal(got, want) {
				t.Errorf("key %s with %d workers: %q, with one: %q", key, workers[i+1], got, want)
			}
		}
	}
}

func TestValidationWorkers(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	tests := []struct {
		name       string
		option, tx int
		want       int
	}{
		{"the default is GOMAXPROCS", 0, 1000, procs},
		{"a negative number is the default", -3, 1000, procs},
		{"one validates in turn", 1, 1000, 1},
		{"never more workers than transactions", 8, 3, 3},
		{"as many as asked for", 8, 1000, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Open(testChannel, MemoryConfig(), WithValidationWorkers(tt.option))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if got := l.validationWorkers(tt.tx); got != tt.want {
				t.Errorf("validationWorkers(%d) with WithValidationWorkers(%d) = %d, want %d", tt.tx, tt.option, got, tt.want)
			}
		})
	}
}
