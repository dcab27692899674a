package devmode_test

import (
	"fmt"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/chaincodekit/chaincodekit/integration/network"
)

const channel = "mychannel"

// tallyDir is the test chaincode in the source snapshot.
func tallyDir() string {
	return filepath.Join(components.Source, "integration", "testdata", "tally")
}

// startDevPeer starts a development-mode peer on a fresh data directory
// and stops it when the spec ends.
func startDevPeer(args ...string) *network.Peer {
	GinkgoHelper()
	p := &network.Peer{Name: "dev peer", Binary: components.Peersim, DataDir: GinkgoT().TempDir(), Dev: true, Args: args}
	p.Start()
	DeferCleanup(p.Stop)
	return p
}

// startChaincode starts a dev-mode chaincode and stops it when the spec
// ends (before the peer stops: cleanups run last-in first-out).
func startChaincode(p *network.Peer, binary, ccid string) *gexec.Session {
	GinkgoHelper()
	return startChaincodeWith(p, network.SeedIDVariable, binary, ccid)
}

// startChaincodeWith is startChaincode with the id in idVariable.
func startChaincodeWith(p *network.Peer, idVariable, binary, ccid string) *gexec.Session {
	GinkgoHelper()
	cc := p.StartChaincodeWith(idVariable, binary, ccid)
	DeferCleanup(network.StopChaincode, cc)
	return cc
}

var _ = Describe("a development-mode peer", func() {
	var peer *network.Peer

	BeforeEach(func() {
		peer = startDevPeer()
	})

	It("runs the seed's flow: install, start the chaincode by hand, instantiate, invoke, query", func() {
		By("installing sacc 1.0")
		out := peer.Output(network.Install{Name: "sacc", Version: "1.0", Path: components.Sample("sacc")})
		Expect(out).To(HavePrefix("sacc_1.0:"))

		By("starting the chaincode with CORE_ID_CHAINCODE_NAME=sacc:1.0 CORE_PEER_TLS_ENABLED=false sacc -peer.address " + peer.ChaincodeAddr)
		startChaincode(peer, components.Binary("sacc"), "sacc:1.0")

		By("instantiating it on " + channel)
		s := peer.Exec(network.Instantiate{Channel: channel, Name: "sacc", Version: "1.0", Args: []string{"a", "10"}})
		Expect(s.Err).To(gbytes.Say("validation code: VALID"))

		By("invoking set a 20")
		s = peer.Exec(network.Invoke{Channel: channel, Name: "sacc", Args: []string{"set", "a", "20"}})
		Expect(s.Out).To(gbytes.Say("20"))
		Expect(s.Err).To(gbytes.Say("validation code: VALID"))

		By("querying get a")
		Expect(peer.Output(network.Query{Channel: channel, Name: "sacc", Args: []string{"get", "a"}})).To(Equal("20"))

		By("listing what is installed and instantiated")
		Expect(peer.Output(network.ListInstalled{})).To(ContainSubstring("Name: sacc, Version: 1.0"))
		Expect(peer.Output(network.ListInstantiated{Channel: channel})).To(ContainSubstring("Name: sacc, Version: 1.0"))
	})

	DescribeTable("refuses a chaincode that starts as a name:version that is not installed",
		func(ccid, says string) {
			peer.Exec(network.Install{Name: "sacc", Version: "1.0", Path: components.Sample("sacc")})

			cc := peer.StartChaincode(components.Binary("sacc"), ccid)
			Eventually(cc, network.StopTimeout).Should(gexec.Exit())
			Expect(cc.ExitCode()).NotTo(Equal(0), "the chaincode should fail when the peer refuses it")
			Expect(cc.Err).To(gbytes.Say(says))
		},
		// The whole line, so that the message stays said once and right.
		Entry("another version of an installed name", "sacc:2.0",
			`sacc: chaincode sacc:2\.0 with peer 127\.0\.0\.1:\d+: peer refused the registration: sacc:2\.0 is not installed \(installed versions of sacc: 1\.0\), sacc:2\.0 is not the package ID of a package installed through _lifecycle, and no definition Org1MSP approved on this peer's channels names it \(approved package IDs: none\): install sacc:2\.0 first, approve a definition with --package-id sacc:2\.0, or start the chaincode as an installed or approved id\n`),
		Entry("a name never installed", "nosuch:1.0",
			`sacc: chaincode nosuch:1\.0 with peer 127\.0\.0\.1:\d+: peer refused the registration: no version of nosuch is installed, nosuch:1\.0 is not the package ID of a package installed through _lifecycle, and no definition Org1MSP approved on this peer's channels names it \(approved package IDs: none\): install nosuch:1\.0 first, approve a definition with --package-id nosuch:1\.0, or start the chaincode as an installed or approved id\n`),
	)

	It("accepts the chaincode restarted with new code under the same name:version, without a reinstall", func() {
		peer.Exec(network.Install{Name: "tally", Version: "1.0", Path: tallyDir()})
		query := func(args ...string) string {
			return peer.Output(network.Query{Channel: channel, Name: "tally", Args: args})
		}

		By("running the first build")
		v1 := startChaincode(peer, components.Binary("tally"), "tally:1.0")
		peer.WaitForChaincode("tally:1.0")
		peer.Exec(network.Instantiate{Channel: channel, Name: "tally", Version: "1.0", Args: []string{"init"}})
		Expect(query("version")).To(Equal("tally v1"))
		peer.Exec(network.Invoke{Channel: channel, Name: "tally", Args: []string{"incr", "k"}})

		By("stopping it and starting a build with different code as tally:1.0")
		network.StopChaincode(v1)
		peer.WaitForLog(`chaincode disconnected.* ccid=tally:1\.0`)
		startChaincode(peer, components.Binary("tally-v2"), "tally:1.0")
		peer.WaitForChaincode("tally:1.0")

		By("seeing the new code answer, on the state the old code wrote")
		Expect(query("version")).To(Equal("tally v2"))
		Expect(query("get", "k")).To(Equal("1"))
		Expect(peer.Output(network.ListInstalled{})).To(SatisfyAll(
			ContainSubstring("Name: tally, Version: 1.0"),
			Not(ContainSubstring("Version: 2")),
		))
	})
})

// devDeploy deploys samples/<name> through lc with its binary started by
// hand, and returns the chaincode id it runs as, name:1.0.
//   - lscc, as the seed's guide runs it: install name:1.0, start the binary
//     with CORE_ID_CHAINCODE_NAME=name:1.0, instantiate it with Init's
//     arguments.
//   - 2.x, as Fabric's 2.x dev-mode guide runs it: nothing installed;
//     approve (--package-id name:1.0) and commit the definition, start the
//     binary with CORE_CHAINCODE_ID_NAME=name:1.0, then the first invoke
//     --isInit with Init's arguments when it has some.
func devDeploy(p *network.Peer, lc network.Lifecycle, name string, initArgs []string, collections string) string {
	GinkgoHelper()
	ccid := name + ":1.0"
	if lc == network.V2 {
		def := network.SampleDefinition(channel, name, initArgs, collections)
		p.Define(def, ccid)
		startChaincodeWith(p, network.FabricIDVariable, components.Binary(name), ccid)
		// A 2.x invoke of a chaincode not yet connected fails at once.
		p.WaitForChaincode(ccid)
		p.InitIfRequired(def, initArgs)
		return ccid
	}
	p.Exec(network.Install{Name: name, Version: "1.0", Path: components.Sample(name)})
	startChaincode(p, components.Binary(name), ccid)
	s := p.Exec(network.Instantiate{Channel: channel, Name: name, Version: "1.0", Args: initArgs, CollectionsConfig: collections})
	Expect(s.Err).To(gbytes.Say("validation code: VALID"))
	return ccid
}

var _ = DescribeTable("every sample runs natively against a development-mode peer",
	func(f network.SampleFlow) {
		name := f.Sample
		p := startDevPeer()
		if f.Setup != nil {
			f.Setup(p, f.Lifecycle, devDeploy)
		}
		collections := f.CollectionsPath(components.Sample(name))
		By("deploying " + name + " through " + f.Lifecycle.String() + ", its binary started by hand as " + name + ":1.0")
		ccid := devDeploy(p, f.Lifecycle, name, f.InitArgs, collections)
		Expect(p.Output(network.ListRunning{})).NotTo(ContainSubstring(ccid), "a development-mode peer runs no chaincode process itself")
		f.Use(p, channel)
	},
	network.SampleEntries(),
)

var _ = Describe("channels", func() {
	It("keeps each channel's state apart for one chaincode process", func() {
		peer := startDevPeer()
		By("creating a second channel")
		s := peer.Exec(network.ChannelCreate{Channel: "other"})
		Expect(s.Err).To(gbytes.Say("channel other created"))
		Expect(peer.Output(network.ChannelList{})).To(SatisfyAll(ContainSubstring(channel), ContainSubstring("other")))

		By("instantiating sacc on both, with different values")
		peer.Exec(network.Install{Name: "sacc", Version: "1.0", Path: components.Sample("sacc")})
		startChaincode(peer, components.Binary("sacc"), "sacc:1.0")
		peer.Exec(network.Instantiate{Channel: channel, Name: "sacc", Version: "1.0", Args: []string{"a", "10"}})
		peer.Exec(network.Instantiate{Channel: "other", Name: "sacc", Version: "1.0", Args: []string{"a", "99"}})

		By("invoking on one channel only")
		peer.Exec(network.Invoke{Channel: "other", Name: "sacc", Args: []string{"set", "a", "100"}})
		Expect(peer.Output(network.Query{Channel: "other", Name: "sacc", Args: []string{"get", "a"}})).To(Equal("100"))
		Expect(peer.Output(network.Query{Channel: channel, Name: "sacc", Args: []string{"get", "a"}})).To(Equal("10"))
	})
})

var _ = Describe("concurrent invokes of the same key", func() {
	It("commit exactly one winner per key; the others fail with MVCC_READ_CONFLICT", func() {
		const (
			keys   = 3
			perKey = 4
		)
		peer := startDevPeer()
		peer.Exec(network.Install{Name: "tally", Version: "1.0", Path: tallyDir()})
		cc := startChaincode(peer, components.Binary("tally"), "tally:1.0")
		peer.Exec(network.Instantiate{Channel: channel, Name: "tally", Version: "1.0", Args: []string{"init"}})

		By(fmt.Sprintf("restarting the peer so that it cuts a block only once %d transactions arrived", keys*perKey))
		// Every invoke is then endorsed before any commits: all of them
		// read the same version of their key, whatever the scheduling.
		peer.Stop()
		Eventually(cc, network.StopTimeout).Should(gexec.Exit())
		peer.Args = []string{"--batch-size", fmt.Sprint(keys * perKey), "--batch-timeout", "10m"}
		peer.Start()
		startChaincode(peer, components.Binary("tally"), "tally:1.0")
		peer.WaitForChaincode("tally:1.0")
		height := peer.BlockHeight(channel)

		By(fmt.Sprintf("invoking incr on each of %d keys %d times at once", keys, perKey))
		sessions := map[string][]*gexec.Session{}
		for k := range keys {
			key := fmt.Sprintf("key%d", k)
			for range perKey {
				sessions[key] = append(sessions[key], peer.Run(network.Invoke{Channel: channel, Name: "tally", Args: []string{"incr", key}}))
			}
		}
		for key, ss := range sessions {
			winners := 0
			for _, s := range ss {
				Eventually(s, network.CommandTimeout).Should(gexec.Exit())
				switch s.ExitCode() {
				case 0:
					winners++
					Expect(s.Err).To(gbytes.Say("validation code: VALID"))
				default:
					Expect(s.Err).To(gbytes.Say("validation code: MVCC_READ_CONFLICT"), "a losing invoke of %s", key)
				}
			}
			Expect(winners).To(Equal(1), "winners for %s", key)
			Expect(peer.Output(network.Query{Channel: channel, Name: "tally", Args: []string{"get", key}})).To(Equal("1"))
		}
		Expect(peer.BlockHeight(channel)).To(Equal(height+1), "all invokes should have been ordered in one block")
	})
})
