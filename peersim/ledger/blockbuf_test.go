package ledger

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// TestCommitReusesItsBlockBufferSafely commits blocks whose bytes are
// marshalled into the same buffer, each into less or more of it than the
// one before, on each backend: every block stored must read back as it
// was committed once the later ones are in, and the buffer must be one a
// commit kept.
func TestCommitReusesItsBlockBufferSafely(t *testing.T) {
	for _, backend := range []string{BackendMemory, BackendBolt} {
		t.Run(backend, func(t *testing.T) {
			l := openTestLedger(t, testOpts{backend: backend})
			c := newClient(t, org1)
			var committed []*common.Block
			for blk, size := range []int{2000, 10, 500, 3} {
				var envs []*common.Envelope
				for i := range 1 + size%7 {
					key := fmt.Sprintf("b%dt%d", blk, i)
					value := bytes.Repeat([]byte{byte('a' + blk)}, size)
					envs = append(envs, c.propose(t, "cc").endorse(t, l, func(s *Simulator) error {
						return s.SetState("cc", key, value)
					}))
				}
				cb := commitValid(t, l, envs...)
				committed = append(committed, proto.Clone(cb.Block).(*common.Block))
				if cap(l.blockBuf) == 0 {
					t.Fatalf("block %d: no buffer kept for the next block", cb.Block.GetHeader().GetNumber())
				}
			}
			for _, want := range committed {
				n := want.GetHeader().GetNumber()
				got, err := l.GetBlockByNumber(n)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
					t.Errorf("block %d read back differs from the one committed (-committed +stored):\n%s", n, diff)
				}
			}
		})
	}
}
