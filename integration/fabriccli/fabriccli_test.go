package fabriccli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
	"google.golang.org/protobuf/proto"

	"github.com/chaincodekit/chaincodekit/integration/network"
)

const channel = "mychannel"

// startBarePeer starts a development-mode peer on a fresh data directory
// and stops it when the spec ends.
func startBarePeer() *network.Peer {
	GinkgoHelper()
	p := &network.Peer{Name: "dev peer", Binary: components.Peersim, DataDir: GinkgoT().TempDir(), Dev: true}
	p.Start()
	DeferCleanup(p.Stop)
	return p
}

// startPeer starts a development-mode peer on a fresh data directory with
// sacc 1.0 installed, running and instantiated (a=10) through peersim's own
// CLI, and stops both when the spec ends.
func startPeer() *network.Peer {
	GinkgoHelper()
	p := startBarePeer()

	By("deploying sacc through peersim's CLI: install, start it by hand, instantiate")
	p.Exec(network.Install{Name: "sacc", Version: "1.0", Path: components.Sample("sacc")})
	cc := p.StartChaincode(components.Binary("sacc"), "sacc:1.0")
	DeferCleanup(network.StopChaincode, cc) // before the peer stops
	s := p.Exec(network.Instantiate{Channel: channel, Name: "sacc", Version: "1.0", Args: []string{"a", "10"}})
	Expect(s.Err).To(gbytes.Say("validation code: VALID"))
	return p
}

// fabricCLI is Fabric's peer CLI set up with what `peersim env` prints for
// identity, as `eval "$(peersim env)"` sets up a shell.
func fabricCLI(p *network.Peer, identity string) network.FabricCLI {
	GinkgoHelper()
	env, err := network.ParseExports(p.Output(network.Env{Identity: identity}))
	Expect(err).NotTo(HaveOccurred())
	return network.FabricCLI{Binary: fabricPeer, Env: env}
}

// ctor is the -c JSON of Fabric's CLI.
func ctor(args ...string) string {
	b, err := json.Marshal(struct{ Args []string }{args})
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}

// invoke runs `peer chaincode invoke -o $ORDERER_ADDRESS ... --waitForEvent`
// and expects Fabric's line of success.
func invoke(cli network.FabricCLI, args ...string) {
	GinkgoHelper()
	s := cli.Exec("chaincode", "invoke", "-o", cli.Getenv("ORDERER_ADDRESS"), "-C", channel, "-n", "sacc", "-c", ctor(args...), "--waitForEvent")
	Expect(s.Err).To(gbytes.Say(`Chaincode invoke successful\. result: status:200`))
}

// query runs `peer chaincode query` and returns what it printed.
func query(cli network.FabricCLI, args ...string) string {
	GinkgoHelper()
	return strings.TrimSpace(string(cli.Exec("chaincode", "query", "-C", channel, "-n", "sacc", "-c", ctor(args...)).Out.Contents()))
}

// blockInfo matches getinfo's line: Blockchain info: {"height":N,...}.
var blockInfo = regexp.MustCompile(`Blockchain info: (\{.*\})`)

var _ = Describe("Fabric's own peer CLI, set up with eval \"$(peersim env)\"", func() {
	var (
		peer *network.Peer
		cli  network.FabricCLI
	)

	BeforeEach(func() {
		peer = startPeer()
		cli = fabricCLI(peer, "")
	})

	It("is pointed at the running peer, its core.yaml and the Admin MSP", func() {
		Expect(cli.Env).To(ConsistOf(
			"FABRIC_CFG_PATH="+peer.DataDir,
			"CORE_PEER_ADDRESS="+peer.ClientAddr,
			"CORE_PEER_TLS_ENABLED=false",
			"CORE_PEER_LOCALMSPID=Org1MSP",
			"CORE_PEER_MSPCONFIGPATH="+filepath.Join(peer.DataDir, "organizations", "peerOrganizations", "org1.example.com", "users", "Admin@org1.example.com", "msp"),
			"ORDERER_ADDRESS="+peer.ClientAddr,
		))
		Expect(filepath.Join(peer.DataDir, "core.yaml")).To(BeAnExistingFile())
	})

	It("lists the peer's channels and reads a channel's height", func() {
		By("peer channel list")
		Expect(cli.Exec("channel", "list").Out).To(gbytes.Say(`Channels peers has joined: \n` + channel + `\n`))

		By("peer channel getinfo -c " + channel)
		m := blockInfo.FindSubmatch(cli.Exec("channel", "getinfo", "-c", channel).Out.Contents())
		Expect(m).NotTo(BeNil(), "getinfo printed no Blockchain info line")
		var info struct{ Height int }
		Expect(json.Unmarshal(m[1], &info)).To(Succeed())
		Expect(info.Height).To(Equal(peer.BlockHeight(channel)))
	})

	It("invokes with --waitForEvent and queries what the invoke committed", func() {
		By("peer chaincode query: Init's value")
		Expect(query(cli, "get", "a")).To(Equal("10"))

		By("peer chaincode invoke --waitForEvent: it returns once the transaction committed")
		invoke(cli, "set", "a", "20")

		By("peer chaincode query: the committed value")
		Expect(query(cli, "get", "a")).To(Equal("20"))
	})

	It("signs as the identity peersim env was given", func() {
		user := fabricCLI(peer, "User1")
		Expect(user.Getenv("CORE_PEER_MSPCONFIGPATH")).To(ContainSubstring("User1@org1.example.com"))
		invoke(user, "set", "b", "7")
		Expect(query(user, "get", "b")).To(Equal("7"))
	})

	Describe("peer channel fetch", func() {
		var height int

		BeforeEach(func() {
			By("committing three more blocks: the instantiate made block 0")
			for i := range 3 {
				invoke(cli, "set", "a", fmt.Sprint(i))
			}
			height = peer.BlockHeight(channel)
			Expect(height).To(Equal(4))
		})

		// fetch runs `peer channel fetch <target> <file> -c mychannel` with
		// the extra flags and decodes the block it wrote.
		fetch := func(target string, flags ...string) *common.Block {
			GinkgoHelper()
			file := filepath.Join(GinkgoT().TempDir(), target+".block")
			cli.Exec(append([]string{"channel", "fetch", target, file, "-c", channel}, flags...)...)
			raw, err := os.ReadFile(file)
			Expect(err).NotTo(HaveOccurred())
			b := &common.Block{}
			Expect(proto.Unmarshal(raw, b)).To(Succeed(), "the fetched file is not a common.Block")
			return b
		}

		DescribeTable("fetches the block asked for, whole, from the embedded orderer (-o)",
			func(target string, number func() int) {
				b := fetch(target, "-o", cli.Getenv("ORDERER_ADDRESS"))
				Expect(b.GetHeader().GetNumber()).To(BeEquivalentTo(number()))
				Expect(b.GetData().GetData()).NotTo(BeEmpty(), "block %d has no transactions", b.GetHeader().GetNumber())
				Expect(b.GetMetadata().GetMetadata()).To(HaveLen(len(common.BlockMetadataIndex_name)))
			},
			Entry("newest: the last block", "newest", func() int { return height - 1 }),
			Entry("oldest: block 0", "oldest", func() int { return 0 }),
			Entry("a number: that block", "3", func() int { return 3 }),
			// peersim has no config blocks: the last config index in the
			// metadata is 0, so Fabric's CLI fetches block 0.
			Entry("config: block 0, which holds the first transactions", "config", func() int { return 0 }),
		)

		It("fetches from the peer's Deliver service without -o", func() {
			Expect(fetch("newest").GetHeader().GetNumber()).To(BeEquivalentTo(height - 1))
		})
	})
})

var _ = Describe("Fabric's own legacy lifecycle commands", func() {
	It("install, instantiate and list chaincode, which then answers Fabric's invoke and query", func() {
		peer := startBarePeer()
		cli := fabricCLI(peer, "")
		cli.Dir = components.Sample("sacc")

		By("peer chaincode install -n sacc -v 1.0 -p . (in the sample's folder)")
		cli.Exec("chaincode", "install", "-n", "sacc", "-v", "1.0", "-p", ".")
		Expect(cli.Exec("chaincode", "list", "--installed").Out).To(gbytes.Say(`Name: sacc, Version: 1\.0, Path: ` + regexp.QuoteMeta(network.Module+"/samples/sacc")))

		By("starting the chaincode by hand as sacc:1.0")
		cc := peer.StartChaincode(components.Binary("sacc"), "sacc:1.0")
		DeferCleanup(network.StopChaincode, cc)
		peer.WaitForChaincode("sacc:1.0")

		By("peer chaincode instantiate -o $ORDERER_ADDRESS")
		cli.Exec("chaincode", "instantiate", "-o", cli.Getenv("ORDERER_ADDRESS"), "-C", channel, "-n", "sacc", "-v", "1.0", "-c", ctor("a", "10"))
		Eventually(func() string {
			return string(cli.Exec("chaincode", "list", "--instantiated", "-C", channel).Out.Contents())
		}, network.CommandTimeout).Should(ContainSubstring("Name: sacc, Version: 1.0"))

		By("invoking and querying it with Fabric's CLI")
		Expect(query(cli, "get", "a")).To(Equal("10"))
		invoke(cli, "set", "a", "11")
		Expect(query(cli, "get", "a")).To(Equal("11"))
	})
})

var _ = Describe("Fabric's own 2.x lifecycle commands (peer lifecycle chaincode)", func() {
	It("package, install, approve, check readiness, commit and query, as the test-network's deployCC runs them", func() {
		peer := startBarePeer()
		cli := fabricCLI(peer, "")
		pkg := filepath.Join(GinkgoT().TempDir(), "sacc.tar.gz")
		orderer := cli.Getenv("ORDERER_ADDRESS")

		By("peer lifecycle chaincode package --label sacc_1.0")
		cli.Exec("lifecycle", "chaincode", "package", pkg, "--path", components.Sample("sacc"), "--lang", "golang", "--label", "sacc_1.0")
		Expect(pkg).To(BeAnExistingFile())

		By("peer lifecycle chaincode install: the package id is label:sha256")
		s := cli.Exec("lifecycle", "chaincode", "install", pkg)
		m := regexp.MustCompile(`Chaincode code package identifier: (sacc_1\.0:[0-9a-f]{64})`).FindSubmatch(s.Err.Contents())
		Expect(m).NotTo(BeNil(), "install printed no package identifier")
		packageID := string(m[1])

		By("peer lifecycle chaincode queryinstalled and getinstalledpackage")
		Expect(cli.Exec("lifecycle", "chaincode", "queryinstalled").Out).To(gbytes.Say(`Package ID: ` + regexp.QuoteMeta(packageID) + `, Label: sacc_1\.0`))
		out := GinkgoT().TempDir()
		cli.Exec("lifecycle", "chaincode", "getinstalledpackage", "--package-id", packageID, "--output-directory", out)
		fetched, err := os.ReadFile(filepath.Join(out, packageID+".tar.gz"))
		Expect(err).NotTo(HaveOccurred())
		original, err := os.ReadFile(pkg)
		Expect(err).NotTo(HaveOccurred())
		Expect(fetched).To(Equal(original), "getinstalledpackage returned other bytes than were installed")

		def := []string{"-C", channel, "-n", "sacc", "-v", "1.0", "--sequence", "1"}
		By("peer lifecycle chaincode checkcommitreadiness before approval: Org1MSP false")
		Expect(cli.Exec(append([]string{"lifecycle", "chaincode", "checkcommitreadiness"}, def...)...).Out).To(gbytes.Say(`Org1MSP: false`))

		By("peer lifecycle chaincode approveformyorg, ordered and committed")
		s = cli.Exec(append([]string{"lifecycle", "chaincode", "approveformyorg", "-o", orderer, "--package-id", packageID}, def...)...)
		Expect(s.Err).To(gbytes.Say(`committed with status \(VALID\)`))
		Expect(cli.Exec("lifecycle", "chaincode", "queryapproved", "-C", channel, "-n", "sacc", "--sequence", "1").Out).To(gbytes.Say(`sequence: 1, version: 1\.0, .*package-id: ` + regexp.QuoteMeta(packageID)))

		By("peer lifecycle chaincode checkcommitreadiness: Org1MSP true")
		Expect(cli.Exec(append([]string{"lifecycle", "chaincode", "checkcommitreadiness"}, def...)...).Out).To(gbytes.Say(`approval status by org:\nOrg1MSP: true`))

		By("peer lifecycle chaincode commit")
		s = cli.Exec(append([]string{"lifecycle", "chaincode", "commit", "-o", orderer}, def...)...)
		Expect(s.Err).To(gbytes.Say(`committed with status \(VALID\)`))

		By("peer lifecycle chaincode querycommitted")
		Expect(cli.Exec("lifecycle", "chaincode", "querycommitted", "-C", channel, "-n", "sacc").Out).To(gbytes.Say(`Version: 1\.0, Sequence: 1, Endorsement Plugin: escc, Validation Plugin: vscc, Approvals: \[Org1MSP: true\]`))
		Expect(cli.Exec("lifecycle", "chaincode", "querycommitted", "-C", channel).Out).To(gbytes.Say(`Name: sacc, Version: 1\.0, Sequence: 1`))

		By("starting the chaincode by hand under its package id, as Fabric's 2.x dev-mode guide does, then invoking it with Fabric's CLI")
		cc := peer.StartChaincode(components.Binary("sacc"), packageID)
		DeferCleanup(network.StopChaincode, cc)
		peer.WaitForChaincode(packageID)
		invoke(cli, "set", "a", "20")
		Expect(query(cli, "get", "a")).To(Equal("20"))

		By("approving sequence 3 next is refused with Fabric's message")
		bad := cli.Run(append([]string{"lifecycle", "chaincode", "approveformyorg", "-o", orderer, "--package-id", packageID}, "-C", channel, "-n", "sacc", "-v", "2.0", "--sequence", "3")...)
		Eventually(bad, network.CommandTimeout).Should(gexec.Exit())
		Expect(bad.ExitCode()).NotTo(Equal(0))
		Expect(bad.Err).To(gbytes.Say(`requested sequence 3 is larger than the next available sequence number 2`))
	})
})

var _ = Describe("Fabric's own peer CLI with two organisations", func() {
	It("approves as each organisation on its own peer, commits and invokes with both --peerAddresses", func() {
		peer := &network.Peer{Name: "2-org peer", Binary: components.Peersim, DataDir: GinkgoT().TempDir(), Dev: true, Orgs: []string{"Org1MSP", "Org2MSP"}}
		peer.Start()
		DeferCleanup(peer.Stop)
		cli1 := fabricCLI(peer, "")
		env2, err := network.ParseExports(peer.Output(network.AsOrg{Org: "Org2MSP", Command: network.Env{}}))
		Expect(err).NotTo(HaveOccurred())
		cli2 := network.FabricCLI{Binary: fabricPeer, Env: env2}
		Expect(cli2.Getenv("CORE_PEER_LOCALMSPID")).To(Equal("Org2MSP"))
		addr1, addr2 := cli1.Getenv("CORE_PEER_ADDRESS"), cli2.Getenv("CORE_PEER_ADDRESS")
		Expect(addr2).NotTo(Equal(addr1), "Org2MSP's peer has its own address")
		orderer := cli1.Getenv("ORDERER_ADDRESS")
		def := []string{"-C", channel, "-n", "sacc", "-v", "1.0", "--sequence", "1"}
		both := []string{"--peerAddresses", addr1, "--peerAddresses", addr2}

		By("each organisation's admin approving on its own peer")
		for _, cli := range []network.FabricCLI{cli1, cli2} {
			s := cli.Exec(append([]string{"lifecycle", "chaincode", "approveformyorg", "-o", orderer, "--package-id", "sacc:1.0"}, def...)...)
			Expect(s.Err).To(gbytes.Say(`committed with status \(VALID\)`))
		}
		Expect(cli2.Exec(append([]string{"lifecycle", "chaincode", "checkcommitreadiness"}, def...)...).Out).To(gbytes.Say(`approval status by org:\nOrg1MSP: true\nOrg2MSP: true`))

		By("a commit endorsed by Org1MSP's peer alone is no majority of two")
		s := cli1.Run(append([]string{"lifecycle", "chaincode", "commit", "-o", orderer}, def...)...)
		Eventually(s, network.CommandTimeout).Should(gexec.Exit())
		Expect(s.ExitCode()).NotTo(Equal(0))
		Expect(s.Err).To(gbytes.Say(`ENDORSEMENT_POLICY_FAILURE`))

		By("a commit endorsed by both organisations' peers")
		s = cli1.Exec(append(append([]string{"lifecycle", "chaincode", "commit", "-o", orderer}, def...), both...)...)
		Expect(s.Err).To(gbytes.Say(`committed with status \(VALID\)`))
		Expect(cli2.Exec("lifecycle", "chaincode", "querycommitted", "-C", channel, "-n", "sacc").Out).To(gbytes.Say(`Approvals: \[Org1MSP: true, Org2MSP: true\]`))

		By("invoking with both peers, as the default MAJORITY endorsement policy needs")
		cc := peer.StartChaincode(components.Binary("sacc"), "sacc:1.0")
		DeferCleanup(network.StopChaincode, cc)
		peer.WaitForChaincode("sacc:1.0")
		s = cli2.Exec(append([]string{"chaincode", "invoke", "-o", orderer, "-C", channel, "-n", "sacc", "-c", ctor("set", "a", "20"), "--waitForEvent"}, both...)...)
		Expect(s.Err).To(gbytes.Say(`Chaincode invoke successful\. result: status:200`))
		Expect(query(cli2, "get", "a")).To(Equal("20"))

		By("an invoke endorsed by one peer is invalidated")
		s = cli2.Run("chaincode", "invoke", "-o", orderer, "-C", channel, "-n", "sacc", "-c", ctor("set", "a", "30"), "--waitForEvent")
		Eventually(s, network.CommandTimeout).Should(gexec.Exit())
		Expect(s.ExitCode()).NotTo(Equal(0))
		Expect(s.Err).To(gbytes.Say(`ENDORSEMENT_POLICY_FAILURE`))
		Expect(query(cli1, "get", "a")).To(Equal("20"))
	})
})
