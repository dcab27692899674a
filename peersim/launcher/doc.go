// Package launcher is peersim's production mode: it builds chaincode
// packages and starts, supervises and stops the chaincode processes of the
// peer, without Docker.
//
// A [Runner] does what a Fabric peer's chaincode launcher does:
//
//   - [Runner.Build] builds a Fabric 2.x package once and caches the result
//     under DataDir/builds/<package id> (published by an atomic rename, so a
//     half-finished build is never reused; reused after a restart).
//     Configured external builders are tried first with bin/detect, then
//     bin/build and bin/release, with Fabric's arguments and restricted
//     environment. A package carrying connection.json that is not Go is
//     chaincode-as-a-service (templates expanded as Fabric's ccaas builder
//     does). Go packages are built with the local `go build`, module-aware
//     with the package's own go.mod (-mod=vendor when vendored, else
//     -mod=readonly), in the peer's environment so GOPROXY, GOFLAGS and the
//     module cache apply. Every build shares one build cache and one module
//     cache, the user's own or, when the environment names none,
//     DataDir/cache/go-build and DataDir/cache/gomod (see Config.Env).
//     Concurrent builds of one package are coalesced; each build is bounded
//     by Config.BuildTimeout and reported by [Runner.Builds] while it runs.
//   - [Runner.Launch] starts the chaincode as a native process with the
//     environment and arguments a Fabric peer gives its chaincode container
//     (CORE_CHAINCODE_ID_NAME, CORE_PEER_TLS_ENABLED, the CORE_TLS_* files,
//     CORE_PEER_LOCALMSPID, -peer.address), or runs the external builder's
//     bin/run with chaincode.json, or returns the address of a chaincode
//     server for the peer to [Dial]. Output goes to the peer's log and to
//     DataDir/logs/<ccid>.log.
//   - The registry ([Runner.List], [Runner.Authorize]) knows which
//     processes run and decides which REGISTER to accept: with chaincode
//     TLS, only the holder of the client certificate issued for that
//     launch; without, Fabric's weaker rule (a launch in progress that has
//     not registered yet).
//   - Supervision: a process that exits is noticed ([Process.Done]) and
//     forgotten; the next Launch starts it again, after a capped
//     exponential [Backoff] when it keeps crashing. [Runner.StopAll] stops
//     everything on peer shutdown: SIGTERM, then SIGKILL after the grace
//     period.
//
// Chaincode must not outlive the peer. A Go chaincode exits by itself when
// its stream to the peer closes (shim.Start returns). In addition every
// child runs in its own process group, so that stopping it reaches its
// children too, and on Linux with Pdeathsig=SIGKILL, so that the kernel
// kills it if the peer dies without stopping it.
//
// Wiring into the peer (a sketch; the peer owns the chaincode listener and
// the stream handler, the launcher owns processes and builds):
//
//	// Any CertIssuer: the launcher takes PEM from it and hashes the client
//	// certificates itself. *identity.ChaincodeCA is one.
//	ca, _ := identity.NewChaincodeCA(0) // the listener's server cert: ca.IssueServer(host)
//	r, _ := launcher.New(launcher.Config{DataDir: dataDir, PeerAddress: chaincodeAddr, MSPID: mspID,
//		TLS: cfg.ChaincodeTLS, CA: ca, ExternalBuilders: launcher.BuildersFromDirs(cfg.ExternalBuilders)}, log)
//	admit := func(ccid string, info chaincode.ConnInfo) error {
//		if info.Dialed { // chaincode-as-a-service: the peer dialled it and the handler checked its name
//			return nil
//		}
//		return r.AuthorizeCert(ccid, info.PeerCertificate)
//	}
//	// chaincode.WithAdmission(chaincode.AdmitFunc(admit)),
//	// chaincode.WithDisconnectHook(func(ccid string, _ error) { r.Disconnected(ccid) })
//
//	inst, err := r.Launch(ctx, ccid, pkg) // err: "could not launch chaincode <ccid>: <err>"
//	if inst.Connection != nil {
//		conn, err := launcher.Dial(ctx, *inst.Connection) // then peer.NewChaincodeClient(conn).Connect and
//		// srv.ServeDialed(stream, chaincode.DialedAs{CCID: ccid, PackageID: pkg.ID(), Address: ...}):
//		// the server registers with the package ID, as in Fabric, and is routed as ccid; when
//		// ServeDialed reports it never registered, call r.Disconnected(ccid) (the hook did not run)
//	} else {
//		// wait for the chaincode to be ready, bounded by the startup timeout, or for
//		// inst.Process.Done(): "chaincode registration failed: container exited with <ExitError.Code>"
//	}
//	r.List()                    // answers pscc ListRunning; peersim.Peer fills Channels from the committed
//	                            // definitions, so AddChannel is only for peers that keep no such record
//	r.StopAll(ctx)              // at peer shutdown
//
// Where peersim differs from Fabric here:
//
//   - Go chaincode is built by the local toolchain (with -trimpath, without
//     Fabric's static linking) and runs as a native process, not in a
//     container; the environment keeps PATH, HOME, TMPDIR and library paths
//     so the binary runs on the host. CORE_ID_CHAINCODE_NAME is set beside
//     CORE_CHAINCODE_ID_NAME.
//   - The ccid is peersim's routing id name:version, also given to external
//     builders as chaincode.json's chaincode_id (Fabric 2.x gives the
//     package ID).
//   - Registration is single-use: a launch's certificate (or, without TLS,
//     its id) is accepted once; Fabric accepts a certificate until it
//     expires from its registry. Refusal messages print the certificate
//     hash in hex where Fabric prints a byte slice.
//   - Relaunches after repeated crashes are paced by a backoff; Fabric
//     relaunches at once.
package launcher
