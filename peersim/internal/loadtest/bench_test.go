package loadtest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	fgclient "github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/chaincodekit/chaincodekit/peersim"
)

var (
	profileDir     = flag.String("loadtest.profile", "", "write CPU profiles of the peer under each load (peer-query.pprof, peer-invoke.pprof, ...) and of each floor's whole life (floor-query.pprof, floor-invoke.pprof) to this directory")
	profileSeconds = flag.Int("loadtest.profileseconds", 15, "how long each profile of -loadtest.profile runs")
	peerArgs       = flag.String("loadtest.peerargs", "", "more `node start` flags for the peer, space-separated (e.g. \"--log-level warn\")")
)

// TestMain serves a Floor instead of running the tests when the benchmark
// started this binary as one (FloorEnv set).
func TestMain(m *testing.M) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	served, err := ServeFloorFromEnv(ctx, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if served {
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// loadClients is how many clients drive each load.
const loadClients = 16

// loadRounds is how many turns the peer and its floor take at each load.
const loadRounds = 5

// setupTimeout bounds building the binaries, starting the processes and
// deploying the chaincode.
const setupTimeout = 5 * time.Minute

// BenchmarkLoad drives a real `peersim node start --dev` process (bolt
// ledger, default batch size 10 and timeout 200ms, log level info) and a real
// chaincode process built with Fabric's shim (testdata/fabriccc), each built
// with go build and listening on ports of 127.0.0.1 they pick, with 16
// concurrent clients, each on its own connection to the client port, speaking Fabric's protocols:
//
//   - query: one Endorser ProcessProposal of get(key) among 100 keys;
//   - invoke: ProcessProposal of put(unique key, 64 bytes), the signed
//     transaction on the client's Broadcast stream, and the wait for its
//     commit on one DeliverFiltered stream all clients share;
//   - gateway/evaluate and gateway/submit: the same two through the Gateway
//     service with Fabric's own Gateway client (fabric-gateway), each client
//     on its own connection: Evaluate; Endorse, Submit and CommitStatus.
//
// Each reports ops/s, the CPU time per operation of the peer process
// (peer-µs/op) and of the chaincode process (cc-µs/op) from /proc/<pid>/stat,
// and, measured in the same run with the same clients, taking turns with
// the peer (five rounds each), the floor:
// issue 16's least that any peer must spend on the same operation with
// Fabric's security. The floor is a bare gRPC server in its own process
// (Floor, floor-µs/op) with its own copy of the same chaincode binary
// (floor-cc-µs/op). Per proposal it verifies the client's P-256 signature,
// takes the proposal apart, runs it on the chaincode with the same messages
// (TRANSACTION, an answer to each GET_STATE or WRITE_BATCH_STATE with no
// ledger behind it, COMPLETED) and signs a response as large as the peer's;
// per envelope it verifies the client's signature and answers once the
// envelope is in a block on disk (blocks cut at 10 envelopes or 200ms, one
// write and one fsync each). ratio is peersim's peer plus chaincode over the
// floor's server plus chaincode; peer-ratio is the peer alone over the
// floor's server alone. peer-syscalls/op, cc-syscalls/op, floor-syscalls/op
// and floor-cc-syscalls/op count each process's read and write system calls
// (/proc/<pid>/io): a difference in CPU with none in them is the peer's own
// work, not transport. floor/query and floor/invoke run the floor alone.
// The floor serves the Gateway too, driven by the same fabric-gateway
// clients: Evaluate and Endorse endorse as ProcessProposal does, Endorse
// also assembles the transaction, Submit verifies it and answers once it
// is on disk, and CommitStatus verifies the signed request. The floor's
// commit event is its Broadcast or Submit answer, where an invoke reads a
// DeliverFiltered stream and a Gateway waits for the commit.
//
// Run it with
//
//	go test -run '^$' -bench Load ./peersim/internal/loadtest
//
// and profile the peer under the same loads with -loadtest.profile DIR
// (the peer then serves /debug/pprof/ on its operations port; each floor
// profiles its whole life).
//
// Where the peer's CPU goes, from 15 s CPU profiles of the peer under each
// load (percent of the peer's CPU; the categories overlap where one calls
// another, e.g. allocation inside protobuf), on a 2-core machine with
// nothing else running; in that run a query cost the peer 580 µs and an
// invoke 1,210 µs:
//
//	                         query   invoke
//	signature verify          24%     21%   (query: the proposal; invoke: the proposal and
//	                                         the envelope at Broadcast, each once: validation
//	                                         finds both in the signature record)
//	signing the response      10%      5%
//	hashing (SHA-256)         <1%      1%   (besides what verify and sign hash)
//	identity parsing          <1%     <1%   (certificates validated once: identity cache)
//	policy evaluation          0%      2%   (besides its verify)
//	transport (gRPC, HTTP/2,  23%     17%   (both the client port and the chaincode stream;
//	  syscalls)                              the floor's is a third of its CPU)
//	protobuf                   8%     12%
//	ledger reads               8%      7%   (simulator, bolt snapshot, txid check, the
//	                                         chaincode definition: decoded once per stored
//	                                         version, copied per lookup, 1.8% of a query)
//	ledger writes (bolt)       0%     11%   (one transaction per block; fdatasync 3%, the
//	                                         rest bolt's page writes, ~24 per block)
//	validation                 0%      9%   (besides bolt: parallel decoding and checks, MVCC)
//	block cutting              0%     <1%
//	delivery                  <1%      3%   (one DeliverFiltered stream; a block filtered once
//	                                         for all streams, and a whole block encoded once)
//	logging                    0%      0%   (nothing is logged per transaction at info)
//	tracing                  1.5%      1%   (default capacity 256; a trace is built when it is
//	                                         read; --trace-capacity 0 turns it off)
//	metrics                    1%      1%
//	GC                         2%      3%   (background marking, at GOGC=400)
//	allocation                10%     10%
//	scheduler                  3%      4%
//
// The floor spends a third of its CPU on verify, a sixth (query) or a
// twelfth (invoke) on signing and a third on transport: what is left above
// it is the ledger (reads, bolt's commit, validation), protobuf beyond the
// floor's own decoding, and delivery.
func BenchmarkLoad(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("skipped: the load benchmark reads the CPU time of its processes from /proc, which only Linux has")
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	dir := b.TempDir()
	peersimBin, ccBin := filepath.Join(dir, "peersim"), filepath.Join(dir, "fabriccc")
	if err := Build(ctx, ".", "github.com/chaincodekit/chaincodekit/peersim/cmd/peersim", peersimBin); err != nil {
		b.Fatal(err)
	}
	if err := Build(ctx, ".", "./testdata/fabriccc", ccBin); err != nil {
		b.Fatal(err)
	}
	var args []string
	if *profileDir != "" {
		args = append(args, "--operations-pprof")
	}
	args = append(args, strings.Fields(*peerArgs)...)
	p, err := StartPeer(ctx, PeerConfig{Binary: peersimBin, DataDir: filepath.Join(dir, "data"), Args: args})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stop(b, p.Process) })
	cc, err := p.Deploy(ctx, Deployment{
		Channel: peersim.DefaultChannel, Name: "load", Version: "1.0", Binary: ccBin,
		InitArgs: [][]byte{[]byte("init"), []byte("100"), []byte(strings.Repeat("v", 64))},
	})
	if err != nil {
		b.Fatal(err)
	}
	// A chaincode on Fabric's shim dies of SIGTERM rather than exiting 0.
	b.Cleanup(func() { _ = cc.Stop() })
	user, err := peersim.LoadIdentity(p.DataDir, "User1")
	if err != nil {
		b.Fatal(err)
	}
	clients, err := DialClients(ClientsConfig{
		Address: p.Addrs.Address, Signer: user, Channel: peersim.DefaultChannel, Chaincode: "load",
		Clients: loadClients,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(clients.Close)
	// The invokers' DeliverFiltered stream costs the peer a filtered block
	// per block: they are closed before the Gateway loads, which do not
	// read it.
	invokers, err := DialClients(ClientsConfig{
		Address: p.Addrs.Address, Signer: user, Channel: peersim.DefaultChannel, Chaincode: "load",
		Clients: loadClients, WaitForCommit: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	var closeInvokers sync.Once
	b.Cleanup(func() { closeInvokers.Do(invokers.Close) })

	value := strings.Repeat("w", 64)
	var seq sync.Mutex
	n := 0
	uniqueKey := func() string { seq.Lock(); defer seq.Unlock(); n++; return fmt.Sprintf("key%d", n) }
	gw, err := dialGateways(p.Addrs.Address, p.DataDir, "User1", peersim.DefaultChannel, "load", loadClients)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(gw.Close)
	ops := map[string]Op{
		"query": func(ctx context.Context, w, i int) error {
			_, err := clients.Query(ctx, w, "get", fmt.Sprintf("k%d", i%100))
			return err
		},
		"invoke": func(ctx context.Context, w, _ int) error {
			_, err := invokers.Invoke(ctx, w, "put", uniqueKey(), value)
			return err
		},
		"gateway/evaluate": func(ctx context.Context, w, i int) error {
			_, err := gw.contracts[w].EvaluateWithContext(ctx, "get", fgclient.WithArguments(fmt.Sprintf("k%d", i%100)))
			return err
		},
		"gateway/submit": func(ctx context.Context, w, _ int) error {
			_, err := gw.contracts[w].SubmitWithContext(ctx, "put", fgclient.WithArguments(uniqueKey(), value))
			return err
		},
	}
	// floorOf is the floor process each load is compared with: one serves
	// the query and the Gateway's evaluate, the other the invoke and the
	// Gateway's submit, each through the same protocol as the load.
	floorOf := map[string]string{"query": "query", "invoke": "invoke", "gateway/evaluate": "query", "gateway/submit": "invoke"}

	// One of each, to size the floor's answers as the peer's.
	q, err := clients.Query(ctx, 0, "get", "k1")
	if err != nil {
		b.Fatal(err)
	}
	inv, err := invokers.Invoke(ctx, 0, "put", uniqueKey(), value)
	if err != nil {
		b.Fatal(err)
	}
	floors := map[string]*Clients{}
	floorPIDs := map[string][]int{}
	floorGateways := map[string]*gateways{}
	for name, resp := range map[string]*peer.ProposalResponse{"query": q, "invoke": inv} {
		var floorProfile string
		if *profileDir != "" {
			floorProfile = filepath.Join(*profileDir, "floor-"+name+".pprof")
		}
		fp, addr, err := StartFloor(ctx, os.Args[0], name, dir, FloorConfig{
			CPUProfile: floorProfile,
			DataDir:    p.DataDir, Client: "User1", Endorser: "Admin",
			PayloadSize: len(resp.GetPayload()),
			Chaincode:   "load:1.0", ValueSize: len(value),
			BlockFile: filepath.Join(dir, "floor-"+name+".blocks"), BatchSize: 10, BatchTimeout: 200 * time.Millisecond,
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { stop(b, fp) })
		fcc, err := StartChaincode(ctx, ccBin, "load:1.0", addr, p.Addrs.MSPID, filepath.Join(dir, "floor-"+name+"-chaincode.log"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = fcc.Stop() })
		fc, err := DialClients(ClientsConfig{Address: addr, Signer: user, Channel: peersim.DefaultChannel, Chaincode: "load", Clients: loadClients})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(fc.Close)
		// The first proposal waits for the chaincode to register.
		if _, err := fc.Query(ctx, 0, "get", "k1"); err != nil {
			b.Fatalf("the floor's first query: %v; the chaincode's output is in %s", err, fcc.LogPath())
		}
		fgw, err := dialGateways(addr, p.DataDir, "User1", peersim.DefaultChannel, "load", loadClients)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(fgw.Close)
		floors[name], floorGateways[name], floorPIDs[name] = fc, fgw, []int{fp.PID(), fcc.PID()}
	}
	floorOps := map[string]Op{
		"query": func(ctx context.Context, w, i int) error {
			_, err := floors["query"].Query(ctx, w, "get", fmt.Sprintf("k%d", i%100))
			return err
		},
		"invoke": func(ctx context.Context, w, _ int) error {
			_, err := floors["invoke"].Invoke(ctx, w, "put", uniqueKey(), value)
			return err
		},
		"gateway/evaluate": func(ctx context.Context, w, i int) error {
			_, err := floorGateways["query"].contracts[w].EvaluateWithContext(ctx, "get", fgclient.WithArguments(fmt.Sprintf("k%d", i%100)))
			return err
		},
		"gateway/submit": func(ctx context.Context, w, _ int) error {
			_, err := floorGateways["invoke"].contracts[w].SubmitWithContext(ctx, "put", fgclient.WithArguments(uniqueKey(), value))
			return err
		},
	}

	for _, name := range []string{"query", "invoke", "gateway/evaluate", "gateway/submit"} {
		var profiled sync.Once
		if strings.HasPrefix(name, "gateway/") {
			closeInvokers.Do(invokers.Close)
		}
		b.Run(name, func(b *testing.B) {
			if *profileDir != "" {
				profiled.Do(func() { profile(b, p, name, ops[name]) })
			}
			// The peer and the floor take turns, so that what else the
			// machine does meanwhile weighs on both alike.
			var r, f Result
			b.ResetTimer()
			b.StopTimer()
			for round := range loadRounds {
				n := b.N*(round+1)/loadRounds - b.N*round/loadRounds
				if n == 0 {
					continue
				}
				b.StartTimer()
				rr, err := Run(context.Background(), loadClients, n, []int{p.PID(), cc.PID()}, ops[name])
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				fr, err := Run(context.Background(), loadClients, n, floorPIDs[floorOf[name]], floorOps[name])
				if err != nil {
					b.Fatal(err)
				}
				r, f = r.Add(rr), f.Add(fr)
			}
			peerUs, ccUs := r.MicrosPerOp(0), r.MicrosPerOp(1)
			floorUs, floorCCUs := f.MicrosPerOp(0), f.MicrosPerOp(1)
			b.ReportMetric(r.OpsPerSecond(), "ops/s")
			b.ReportMetric(peerUs, "peer-µs/op")
			b.ReportMetric(ccUs, "cc-µs/op")
			b.ReportMetric(floorUs, "floor-µs/op")
			b.ReportMetric(floorCCUs, "floor-cc-µs/op")
			b.ReportMetric(f.OpsPerSecond(), "floor-ops/s")
			b.ReportMetric(r.SyscallsPerOp(0), "peer-syscalls/op")
			b.ReportMetric(r.SyscallsPerOp(1), "cc-syscalls/op")
			b.ReportMetric(f.SyscallsPerOp(0), "floor-syscalls/op")
			b.ReportMetric(f.SyscallsPerOp(1), "floor-cc-syscalls/op")
			if floorUs > 0 {
				b.ReportMetric(peerUs/floorUs, "peer-ratio")
				b.ReportMetric((peerUs+ccUs)/(floorUs+floorCCUs), "ratio")
			}
		})
	}
	for _, name := range []string{"query", "invoke"} {
		b.Run("floor/"+name, func(b *testing.B) {
			f, err := Run(context.Background(), loadClients, b.N, floorPIDs[name], floorOps[name])
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(f.OpsPerSecond(), "ops/s")
			b.ReportMetric(f.MicrosPerOp(0), "floor-µs/op")
			b.ReportMetric(f.MicrosPerOp(1), "floor-cc-µs/op")
		})
	}
}

// profile writes a CPU profile of the peer over -loadtest.profileseconds
// to -loadtest.profile/peer-<name>.pprof while the clients run op.
func profile(b *testing.B, p *Peer, name string, op Op) {
	b.Helper()
	path := filepath.Join(*profileDir, "peer-"+strings.ReplaceAll(name, "/", "-")+".pprof")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	profiled := make(chan error, 1)
	go func() { profiled <- p.CPUProfile(ctx, *profileSeconds, f) }()
	for {
		select {
		case err := <-profiled:
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("wrote %s", path)
			return
		default:
		}
		if _, err := Run(ctx, loadClients, 200, nil, op); err != nil {
			b.Fatal(err)
		}
	}
}

// stop stops a process the benchmark started, failing it when the process
// did not exit 0 on SIGTERM.
func stop(b *testing.B, p *Process) {
	if err := p.Stop(); err != nil {
		b.Error(err)
	}
}
