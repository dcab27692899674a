// Package peersimtest runs chaincode in a test against a real peer, all in
// one process: a development-mode peersim peer on an in-memory ledger,
// served on in-memory gRPC connections (bufconn), with the chaincode
// connected to it over its real stream protocol by the shim's StartInProc.
// No ports, files outside t.TempDir, environment variables or child
// processes are used, so tests may run in parallel.
//
// Unlike a mock stub, every call goes through endorsement, ordering,
// validation and commit as on a Fabric peer: a transaction does not read
// its own writes, concurrent transactions fail MVCC validation, history
// and rich queries see committed blocks, private data honours collection
// membership and blockToLive, and key-level endorsement policies are
// checked at commit.
//
//	func TestSacc(t *testing.T) {
//		t.Parallel()
//		p := peersimtest.New(t)
//		cc := p.Deploy(t, "sacc", SimpleAsset{}, peersimtest.InitArgs("a", "10"))
//
//		res := cc.Submit(t, "set", "a", "20")
//		if res.Code != peer.TxValidationCode_VALID { ... }
//		if got := cc.Evaluate(t, "get", "a").Payload; string(got) != "20" { ... }
//	}
//
// A transaction is built with Chaincode.Tx and then evaluated (a query:
// endorsed, not ordered), submitted (endorsed, ordered, committed; the
// call returns once the peer has committed it) or endorsed now and
// submitted later, which is how a test makes two transactions race:
//
//	a := cc.Tx("transfer", "x", "y", "5").Endorse(t)
//	b := cc.Tx("transfer", "x", "z", "5").As(p.User(t, "User1")).Endorse(t)
//	a.Submit(t) // VALID
//	b.Submit(t) // MVCC_READ_CONFLICT: x changed since b read it
//
// Several endorsements given to SubmitAll are ordered back to back; with
// WithBatch they share a block, where block order decides which of two
// conflicting transactions is valid.
//
// Deploy is Connect (install a package and connect the chaincode in
// process) followed by Instantiate; calling those separately, or Upgrade,
// returns the peer's refusal as an error, e.g. to test a failing Init.
// Deploy options set the version, channel, Init arguments, endorsement
// policy, private data collections (collections_config.json) and a
// META-INF directory with CouchDB indexes.
//
// The kit deploys through Fabric 2.x's lifecycle, as every network since
// Fabric 2.0 does: install the package, approve the definition for
// Org1MSP, commit it. Init then runs only when InitArgs are given: the
// definition requires initialisation and the kit sends Init as the first
// invoke (Tx.AsInit sends one by hand). WithLifecycle(LSCC) deploys through
// Fabric 1.4's lscc instead, where instantiate always runs Init:
//
//	p := peersimtest.New(t, peersimtest.WithLifecycle(peersimtest.LSCC))
//
// Every call returns a *Result with the chaincode's status, message and
// payload, its event, its public read-write set, the transaction ID and the
// validation code. A business failure (status ≥ 400) or an invalid
// transaction is a Result, not a test failure; a broken peer or bad test
// input fails the test through TB.Fatalf.
//
// The package works with the standard testing package and with Ginkgo
// (pass GinkgoT()), and offers Gomega matchers for results: HaveStatus,
// HavePayload, HaveJSONPayload, HaveEvent, HaveValidationCode and BeValid.
//
//	var _ = Describe("sacc", func() {
//		It("stores values", func() {
//			cc := peersimtest.New(GinkgoT()).Deploy(GinkgoT(), "sacc", SimpleAsset{}, peersimtest.InitArgs("a", "1"))
//			Expect(cc.Submit(GinkgoT(), "set", "a", "2")).To(peersimtest.BeValid())
//			Expect(cc.Evaluate(GinkgoT(), "get", "a")).To(peersimtest.HavePayload("2"))
//		})
//	})
package peersimtest
