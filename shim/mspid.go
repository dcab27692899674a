package shim

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// GetMSPID returns the MSP ID of the peer the chaincode serves.
//
// Fabric's shim reads CORE_PEER_LOCALMSPID, which a peer sets for the
// chaincode it launches. This shim also learns the MSP ID per connection
// when the peer announces it (peersim puts it in REGISTERED; a Fabric peer
// does not), which is what a chaincode running inside another process — the
// test kit's, with several peers and organisations — needs. In order:
//
//  1. called from the goroutine running a transaction (inside Init or
//     Invoke, as chaincode calls it), the MSP ID that transaction's peer
//     announced;
//  2. CORE_PEER_LOCALMSPID, as Fabric's shim;
//  3. the MSP ID the process's live connections announced, when they agree
//     (a goroutine the chaincode started itself);
//  4. an error saying what to set.
//
// With a Fabric peer only 2 and 4 apply, as in Fabric's shim.
func GetMSPID() (string, error) {
	return processMSPIDs.lookup(os.LookupEnv)
}

// processMSPIDs is the one piece of process-wide state in the shim. It
// cannot be otherwise: GetMSPID takes no argument (Fabric's signature), so
// which connection asks can only be known from the calling goroutine.
var processMSPIDs = newMSPIDTable()

// mspIDTable records the MSP ID each live connection's peer announced and
// which goroutines are running a transaction for which connection.
type mspIDTable struct {
	mu         sync.Mutex
	conns      map[*handler]string
	goroutines map[uint64]string
}

func newMSPIDTable() *mspIDTable {
	return &mspIDTable{conns: make(map[*handler]string), goroutines: make(map[uint64]string)}
}

// connected records the MSP ID the peer of h announced.
func (t *mspIDTable) connected(h *handler, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.conns[h] = id
}

// disconnected forgets h.
func (t *mspIDTable) disconnected(h *handler) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.conns, h)
}

// running records that the calling goroutine runs a transaction whose peer
// is of MSP id; the returned func undoes it and must be called on the same
// goroutine.
func (t *mspIDTable) running(id string) (done func()) {
	g := goroutineID()
	t.mu.Lock()
	t.goroutines[g] = id
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		delete(t.goroutines, g)
		t.mu.Unlock()
	}
}

// lookup applies GetMSPID's order; env is os.LookupEnv outside tests.
func (t *mspIDTable) lookup(env func(string) (string, bool)) (string, error) {
	g := goroutineID()
	t.mu.Lock()
	id, inTx := t.goroutines[g]
	var announced []string
	for _, a := range t.conns {
		if !slices.Contains(announced, a) {
			announced = append(announced, a)
		}
	}
	t.mu.Unlock()
	if inTx {
		return id, nil
	}
	if v, ok := env("CORE_PEER_LOCALMSPID"); ok && v != "" {
		return v, nil
	}
	switch len(announced) {
	case 0:
		return "", fmt.Errorf("CORE_PEER_LOCALMSPID is not set: the peer sets it to its MSP ID when it launches the chaincode; set it yourself otherwise, e.g. CORE_PEER_LOCALMSPID=Org1MSP")
	case 1:
		return announced[0], nil
	}
	slices.Sort(announced)
	return "", fmt.Errorf("CORE_PEER_LOCALMSPID is not set and this process serves peers of several MSPs (%s): call GetMSPID from the goroutine that runs Init or Invoke, where it answers for that transaction's peer",
		strings.Join(announced, ", "))
}

// announcedMSPID decodes the MSP ID a peer put in REGISTERED: a
// msp.SerializedIdentity with Mspid set. An empty payload (a Fabric peer)
// announces nothing.
func announcedMSPID(payload []byte) (string, error) {
	if len(payload) == 0 {
		return "", nil
	}
	id := &msp.SerializedIdentity{}
	if err := proto.Unmarshal(payload, id); err != nil {
		return "", fmt.Errorf("REGISTERED payload is not a msp.SerializedIdentity: %w", err)
	}
	return id.GetMspid(), nil
}

// goroutineID is the number runtime.Stack prints for the calling goroutine
// ("goroutine 42 [running]:"). Go offers no other way to tell goroutines
// apart; the number is unique for the life of the goroutine.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0 // never: the format has not changed since Go 1.0
	}
	return n
}
