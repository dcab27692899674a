package gateway_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/chaincodekit/chaincodekit/integration/network"
)

const (
	channel   = "mychannel"
	chaincode = "assettransfer"
	appUser   = "appuser"
)

// startWithAssetTransfer starts a peer, deploys assettransfer (started by
// hand in development mode, launched by the peer in production mode) and
// issues appUser, who may create assets.
func startWithAssetTransfer(dev bool) *network.Peer {
	GinkgoHelper()
	p := &network.Peer{Name: "peer", Binary: components.Peersim, DataDir: GinkgoT().TempDir(), Dev: dev}
	p.Start()
	DeferCleanup(p.Stop)
	p.Exec(network.Install{Name: chaincode, Version: "1.0", Path: components.Sample(chaincode)})
	if dev {
		cc := p.StartChaincode(components.Binary(chaincode), chaincode+":1.0")
		DeferCleanup(network.StopChaincode, cc)
	}
	s := p.Exec(network.Instantiate{Channel: channel, Name: chaincode, Version: "1.0"})
	Expect(s.Err).To(gbytes.Say("validation code: VALID"))
	p.Exec(network.IdentityAdd{Name: appUser, Attrs: map[string]string{"abac.creator": "true"}})
	return p
}

// mspDir is the MSP folder peersim wrote for a user.
func mspDir(p *network.Peer, user string) string {
	return filepath.Join(p.DataDir, "organizations", "peerOrganizations", "org1.example.com", "users", user+"@org1.example.com", "msp")
}

var _ = DescribeTable("the assettransfer application, written with fabric-gateway, runs unchanged",
	func(dev bool) {
		p := startWithAssetTransfer(dev)
		By("running the application against the peer's client port")
		app := exec.Command(components.Binary("application"), "-peer", p.ClientAddr, "-msp", mspDir(p, appUser))
		s, err := gexec.Start(app, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, network.CommandTimeout).Should(gexec.Exit(0))
		for _, line := range []string{
			"InitLedger committed",
			"TransferAsset committed in block [0-9]+: VALID",
			`TransferAsset no-such-asset failed to endorse, as it should: EndorseError .*: Aborted .*\(Org1MSP\): asset no-such-asset does not exist`,
			"the first committed VALID, the second MVCC_READ_CONFLICT",
			"retried the transfer to Carol on the new state: refused",
			"resumed stream delivered AssetCreated in block [0-9]+, nothing replayed",
			"all steps done",
		} {
			Expect(s.Out).To(gbytes.Say(line))
		}
	},
	Entry("in production mode, the peer launching the chaincode", false),
	Entry("in development mode, the chaincode started by hand", true),
)

var _ = Describe("the Gateway's failures, as fabric-gateway's error types", Ordered, func() {
	var (
		p        *network.Peer
		conn     *grpc.ClientConn
		id       *identity.X509Identity
		gw       *client.Gateway
		contract *client.Contract
		sign     identity.Sign
	)
	BeforeAll(func() {
		p = startWithAssetTransfer(true)
		id, sign = loadIdentity(mspDir(p, appUser))
		var err error
		conn, err = grpc.NewClient(p.ClientAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(conn.Close)
		// No signer: each spec signs, so that one can sign wrongly.
		gw, err = client.Connect(id, client.WithClientConnection(conn))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(gw.Close)
		contract = gw.GetNetwork(channel).GetContract(chaincode)
	})
	// sig signs digest as the application does, or forges the signature.
	sig := func(digest []byte, forge bool) []byte {
		GinkgoHelper()
		s, err := sign(digest)
		Expect(err).NotTo(HaveOccurred())
		if forge {
			s[len(s)-1] ^= 1
		}
		return s
	}
	signed := func(digest []byte) []byte { return sig(digest, false) }
	endorse := func(args ...string) *client.Transaction {
		GinkgoHelper()
		unsigned, err := contract.NewProposal(args[0], client.WithArguments(args[1:]...))
		Expect(err).NotTo(HaveOccurred())
		b, err := unsigned.Bytes()
		Expect(err).NotTo(HaveOccurred())
		proposal, err := gw.NewSignedProposal(b, signed(unsigned.Digest()))
		Expect(err).NotTo(HaveOccurred())
		tx, err := proposal.Endorse()
		Expect(err).NotTo(HaveOccurred())
		return tx
	}
	// send signs (or forges) tx and submits it.
	send := func(tx *client.Transaction, forge bool) (*client.Commit, error) {
		GinkgoHelper()
		b, err := tx.Bytes()
		Expect(err).NotTo(HaveOccurred())
		signedTx, err := gw.NewSignedTransaction(b, sig(tx.Digest(), forge))
		Expect(err).NotTo(HaveOccurred())
		return signedTx.Submit()
	}
	// signCommit signs (or forges) the commit status request.
	signCommit := func(unsigned *client.Commit, forge bool) *client.Commit {
		GinkgoHelper()
		b, err := unsigned.Bytes()
		Expect(err).NotTo(HaveOccurred())
		commit, err := gw.NewSignedCommit(b, sig(unsigned.Digest(), forge))
		Expect(err).NotTo(HaveOccurred())
		return commit
	}
	submit := func(tx *client.Transaction) *client.Commit {
		GinkgoHelper()
		unsigned, err := send(tx, false)
		Expect(err).NotTo(HaveOccurred())
		return signCommit(unsigned, false)
	}

	It("reports a chaincode's error as an EndorseError carrying its message", func() {
		unsigned, err := contract.NewProposal("ReadAsset", client.WithArguments("nothing-here"))
		Expect(err).NotTo(HaveOccurred())
		b, err := unsigned.Bytes()
		Expect(err).NotTo(HaveOccurred())
		proposal, err := gw.NewSignedProposal(b, signed(unsigned.Digest()))
		Expect(err).NotTo(HaveOccurred())
		_, err = proposal.Endorse()
		var endorseErr *client.EndorseError
		Expect(errors.As(err, &endorseErr)).To(BeTrue(), "error %v", err)
		Expect(status.Code(err)).To(Equal(codes.Aborted))
		Expect(detailMessages(err)).To(ConsistOf(ContainSubstring("asset nothing-here does not exist")))
	})

	It("reports a transaction the orderer refuses as a SubmitError", func() {
		_, err := send(endorse("CreateAsset", "refused", "blue", "1", "1"), true)
		var submitErr *client.SubmitError
		Expect(errors.As(err, &submitErr)).To(BeTrue(), "error %v", err)
		Expect(status.Code(err)).To(Equal(codes.Aborted))
		Expect(status.Convert(err).Message()).To(ContainSubstring("status=FORBIDDEN"))
	})

	It("reports a commit status request it may not answer as a CommitStatusError", func() {
		unsigned, err := send(endorse("CreateAsset", "status-refused", "blue", "1", "1"), false)
		Expect(err).NotTo(HaveOccurred())
		_, err = signCommit(unsigned, true).Status()
		var statusErr *client.CommitStatusError
		Expect(errors.As(err, &statusErr)).To(BeTrue(), "error %v", err)
		Expect(status.Code(err)).To(Equal(codes.PermissionDenied))
	})

	It("reports an invalidated transaction's validation code in its commit status", func() {
		first := endorse("CreateAsset", "twice", "blue", "1", "1")
		second := endorse("CreateAsset", "twice", "red", "2", "2")
		st, err := submit(first).Status()
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Code).To(Equal(peer.TxValidationCode_VALID))
		st, err = submit(second).Status()
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Successful).To(BeFalse())
		Expect(st.Code).To(Equal(peer.TxValidationCode_MVCC_READ_CONFLICT))
	})

	It("reports a submitted transaction that commits invalid as a CommitError with its code", func() {
		By("defining the chaincode on a second channel with a policy this peer's one organisation cannot satisfy")
		p.Exec(network.ChannelCreate{Channel: "strict"})
		p.Exec(network.Instantiate{Channel: "strict", Name: chaincode, Version: "1.0", Policy: "AND('Org1MSP.member','Org2MSP.member')"})
		signing, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn))
		Expect(err).NotTo(HaveOccurred())
		defer signing.Close()
		_, err = signing.GetNetwork("strict").GetContract(chaincode).SubmitTransaction("CreateAsset", "strict1", "blue", "1", "1")
		var commitErr *client.CommitError
		Expect(errors.As(err, &commitErr)).To(BeTrue(), "error %v", err)
		Expect(commitErr.Code).To(Equal(peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE))
	})
})

// detailMessages returns the messages of a gRPC error's ErrorDetails.
func detailMessages(err error) []string {
	var out []string
	for _, d := range status.Convert(err).Details() {
		if ed, ok := d.(interface{ GetMessage() string }); ok {
			out = append(out, ed.GetMessage())
		}
	}
	return out
}

// loadIdentity reads an MSP folder's certificate and key, as an
// application does.
func loadIdentity(dir string) (*identity.X509Identity, identity.Sign) {
	GinkgoHelper()
	only := func(sub string) []byte {
		files, err := filepath.Glob(filepath.Join(dir, sub, "*"))
		Expect(err).NotTo(HaveOccurred())
		Expect(files).To(HaveLen(1))
		b, err := os.ReadFile(files[0])
		Expect(err).NotTo(HaveOccurred())
		return b
	}
	cert, err := identity.CertificateFromPEM(only("signcerts"))
	Expect(err).NotTo(HaveOccurred())
	id, err := identity.NewX509Identity("Org1MSP", cert)
	Expect(err).NotTo(HaveOccurred())
	key, err := identity.PrivateKeyFromPEM(only("keystore"))
	Expect(err).NotTo(HaveOccurred())
	sign, err := identity.NewPrivateKeySign(key)
	Expect(err).NotTo(HaveOccurred())
	return id, sign
}
