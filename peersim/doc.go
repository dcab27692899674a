// Package peersim is a Hyperledger Fabric peer in one process, with the
// ordering service built in: the reference peer chaincodekit's chaincode
// runs against.
//
// # Shape
//
//	p, err := peersim.New(cfg, logger)            // opens DataDir: org, installed chaincode, ledgers
//	err = p.Start(ctx)                            // listens; writes DataDir/peer.addresses.json; logs "peersim ready ..."
//	client, chaincode, ops := p.Addrs()
//	err = p.Stop(ctx)                             // idempotent; removes peer.addresses.json
//
// StartOn serves on caller-supplied listeners (bufconn in tests) and
// writes no address file. ReadAddressFile reads the file of a peer started
// on a data directory, for clients on the same machine. Clients
// speak Fabric's own gRPC services on the client address: gateway.Gateway
// (package peersim/gateway, for fabric-gateway applications), protos.Endorser
// (invoke, query and the lifecycle and channel system chaincodes),
// orderer.AtomicBroadcast and protos.Deliver (blocks and filtered blocks).
// Proposals are endorsed by package peersim/endorser, which routes the
// system chaincodes (lscc, cscc, qscc, pscc) to package peersim/syscc and
// user chaincode to package peersim/ccsupport, which launches, dials or
// waits for it and executes it; blocks are streamed by package
// peersim/deliver; each channel's ledger and block cutter are kept by
// package peersim/channel.
// Chaincode connects to the chaincode address (protos.ChaincodeSupport) and
// is served by package peersim/chaincode; the embedded orderer (block
// cutting, orderer.AtomicBroadcast) is package peersim/orderer; world state,
// validation and the commit of blocks are package peersim/ledger;
// identities and signatures package peersim/identity; installed packages
// package peersim/ccpackage. The operations address serves /healthz and /metrics (Prometheus, a registry of
// the peer's own).
//
// # Lifecycle
//
// peersim runs Fabric 1.4's legacy lifecycle (the lscc system chaincode):
// install stores a package as name:version; deploy (instantiate) on a
// channel waits for that chaincode to connect, then simulates its definition
// and its Init in one transaction that the client orders; upgrade does the
// same for a new version and runs Init again. A chaincode counts as
// instantiated once that transaction commits VALID. Only an admin of the
// organisation may install, instantiate, upgrade or create a channel.
//
// In development mode (Config.Dev) the peer starts no chaincode: the
// developer starts it with the command the peer logs, and the peer accepts a
// connection from any installed name:version. Instantiate and upgrade wait
// up to Config.ChaincodeStartupTimeout for it; an invoke of a chaincode that
// is not connected fails at once, its error carrying that command. In production mode a Launcher
// (package peersim/launcher unless WithLauncher gives another) builds and
// starts the chaincode, and only the processes it started may register,
// besides the chaincode servers the peer dials for chaincode-as-a-service
// packages. One function decides each REGISTER, from the installed packages
// and the launcher's record of the processes it started.
//
// # A transaction's route
//
// An invoke crosses these packages, each once per phase, and none calls
// back into one it has left; this package only wires them (wire.go):
//
//  1. peersim/endorser: ProcessProposal verifies the signed proposal
//     (2. peersim/identity), refuses a duplicate txid, finds the channel's
//     ledger (3. peersim/channel) and routes;
//  4. peersim/ccsupport: makes the chaincode ready (launch, dial or wait)
//     and executes it; an lscc definition runs as name:version, a
//     _lifecycle one as the package ID the peer's organisation approved
//     (syscc.Approval), and the endorser applies _lifecycle's
//     init-exactly-once rule (syscc.CheckInit) in the simulator first;
//  5. peersim/chaincode: the stream to the chaincode, whose requests run on
//     a 6. peersim/ledger simulator; the endorser then signs the response
//     (identity) in its one endorse function.
//  7. peersim/orderer: Broadcast checks the envelope and queues it on the
//     channel's cutter, which cuts a block and hands it to the ledger;
//  8. peersim/ledger: validates (policies through the channel's MSP) and
//     commits the block; peersim/deliver streams it to the client.
//
// With the determinism check (Config.CheckDeterminism, or a client's
// determinism.Request) the endorser simulates a user chaincode proposal a
// second time after step 5 and endorses the first only when package
// peersim/determinism finds the two alike. In production mode the second
// simulation runs on a twin (ccsupport.Support.Twin): a second process of
// the package, registered as launcher.TwinOf(ccid) with another TZ and
// working directory, launched on first use and stopped with the first
// process; development mode reruns on the one process.
//
// A peer of several organisations (Config.Orgs) gives each organisation
// after the first its own process of each chaincode in production mode,
// registered as launcher.OrgInstanceOf(ccid, mspID) = "<ccid>@<mspID>"
// and started for that organisation (CORE_PEER_LOCALMSPID, REGISTERED),
// so that shim.GetMSPID answers the organisation of the endorsing peer as
// on a Fabric network; the first organisation's runs as ccid. Development
// mode and chaincode servers have one process, which all organisations
// share (ccsupport.TxGate makes their executions of one proposal take
// turns).
//
// A system chaincode proposal goes from the endorser to peersim/syscc
// instead of ccsupport; lscc's Init runs through ccsupport the same way.
// Metrics (peersim/metrics) observe each step through funcs they were given.
//
// # Where peersim differs from Fabric
//
//   - With the determinism check on, a proposal whose two simulations
//     differ is refused with status 500 and a message that starts
//     "nondeterministic chaincode:" and holds the diff; Fabric has no
//     such check (its client sees "ProposalResponsePayloads do not match").
//     The check's twin registers as "<ccid>#twin", an id a Fabric peer
//     would refuse, and this peer accepts it only from the process it
//     launched for it. A client that asked for the check hears its verdict
//     in the response header determinism.VerdictHeader.
//   - Config.FromSnapshot restores every channel of one peersim snapshot
//     file (Peer.Snapshot, pscc GetSnapshot), clear private data included,
//     and keeps the snapshot's last block; Fabric joins one channel by a
//     snapshot directory of hashes and holds no block below its height.
//   - Channels are created with the cscc function CreateChannel (admin only),
//     not through an ordering service; mychannel always exists.
//   - A development-mode peer may require chaincode TLS
//     (Config.ChaincodeDevTLS) and writes the files to connect with
//     (DevTLSFiles); Fabric's development mode needs TLS off. An execute
//     timeout of 0 means no limit (Fabric raises values under 1 s to 30 s)
//     and, in development mode, also lifts the startup timeout and the
//     keepalive pings on chaincode connections, for debuggers.
//   - A refused chaincode registration is answered with an ERROR naming the
//     reason (for an unknown id: the installed versions of that name and
//     the approved package IDs), where Fabric stays silent (see package
//     peersim/chaincode). Development mode, too, accepts only an installed
//     or approved id.
//   - The process of a _lifecycle package a new sequence replaced is
//     stopped once no channel runs on it; Fabric leaves it running.
//   - An Init that returns a status of 400 or more fails the instantiate;
//     Fabric 1.4 fails it only for an ERROR message (status 500 and above with
//     Fabric's shim).
//   - The default endorsement policy, and the rule for lifecycle writes, is
//     one endorsement by a member of an organisation the peer knows.
//   - Failures are answered as ProposalResponse status 500 with Fabric's
//     message texts and the gRPC call itself succeeds, as with Fabric's
//     endorser, also for a proposal that fails its checks (unpacking,
//     signature, access, duplicate txid), for which Fabric's endorser
//     returns a gRPC error as well. The Gateway tells those apart as
//     Fabric's does (endorser.Process).
package peersim
