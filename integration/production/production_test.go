package production_test

import (
	"errors"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/chaincodekit/chaincodekit/integration/network"
)

const channel = "mychannel"

// startPeer starts a production-mode peer on a fresh data directory and
// stops it when the spec ends.
func startPeer(args ...string) *network.Peer {
	GinkgoHelper()
	p := &network.Peer{Name: "peer", Binary: components.Peersim, DataDir: GinkgoT().TempDir(), Args: args}
	p.Start()
	DeferCleanup(p.Stop)
	return p
}

// deploy deploys samples/<name> through lc and returns the chaincode id
// the peer runs it as; the peer builds and launches it.
//   - lscc: install name:1.0 and instantiate it with Init's arguments.
//   - 2.x: package it (label name_1.0), install it, approve the package ID,
//     check commit readiness, commit, then the first invoke --isInit with
//     Init's arguments when it has some (see network.SampleDefinition).
func deploy(p *network.Peer, lc network.Lifecycle, name string, initArgs []string, collections string) string {
	GinkgoHelper()
	if lc == network.V2 {
		id := p.InstallPackage(components.Sample(name), name+"_1.0")
		def := network.SampleDefinition(channel, name, initArgs, collections)
		p.Define(def, id)
		p.InitIfRequired(def, initArgs)
		return id
	}
	p.Exec(network.Install{Name: name, Version: "1.0", Path: components.Sample(name)})
	s := p.Exec(network.Instantiate{Channel: channel, Name: name, Version: "1.0", Args: initArgs, CollectionsConfig: collections})
	Expect(s.Err).To(gbytes.Say("validation code: VALID"))
	return name + ":1.0"
}

// processGone reports whether no process (not even a zombie) has pid.
func processGone(pid int) func() bool {
	return func() bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }
}

var _ = DescribeTable("a production-mode peer deploys, invokes and queries",
	func(f network.SampleFlow) {
		name := f.Sample
		p := startPeer()
		if f.Setup != nil {
			f.Setup(p, f.Lifecycle, deploy)
		}
		collections := f.CollectionsPath(components.Sample(name))
		By("deploying " + name + " through " + f.Lifecycle.String() + ": the peer builds and launches it")
		ccid := deploy(p, f.Lifecycle, name, f.InitArgs, collections)
		f.Use(p, channel)
		// After the invoke: a 2.x definition without Init is launched by
		// its first invoke.
		Expect(p.RunningPID(ccid)).To(BeNumerically(">", 0), "list --running should show %s", ccid)
	},
	network.SampleEntries(),
)

var _ = Describe("a production-mode peer", func() {
	It("refuses a process it did not launch, even with the right name:version", func() {
		p := startPeer()
		deploy(p, network.LSCC, "sacc", []string{"a", "10"}, "")
		pid := p.RunningPID("sacc:1.0")

		By("starting sacc by hand as sacc:1.0, as in development mode")
		rogue := p.StartChaincode(components.Binary("sacc"), "sacc:1.0")
		DeferCleanup(network.StopChaincode, rogue)
		Eventually(rogue, network.StopTimeout).Should(gexec.Exit())
		Expect(rogue.ExitCode()).NotTo(Equal(0))

		By("still serving with the process it launched")
		Expect(p.RunningPID("sacc:1.0")).To(Equal(pid))
		p.Exec(network.Invoke{Channel: channel, Name: "sacc", Args: []string{"set", "a", "11"}})
		Expect(p.Output(network.Query{Channel: channel, Name: "sacc", Args: []string{"get", "a"}})).To(Equal("11"))
	})

	It("refuses a process it did not launch when chaincode TLS is off, naming the reason", func() {
		p := startPeer("--chaincode-tls=false")
		p.Exec(network.Install{Name: "sacc", Version: "1.0", Path: components.Sample("sacc")})

		rogue := p.StartChaincode(components.Binary("sacc"), "sacc:1.0")
		DeferCleanup(network.StopChaincode, rogue)
		Eventually(rogue, network.StopTimeout).Should(gexec.Exit())
		Expect(rogue.ExitCode()).NotTo(Equal(0))
		Expect(rogue.Err).To(gbytes.Say(`will not accept external chaincode connection sacc:1\.0`))
	})

	It("relaunches chaincode that was killed, on the next invoke", func() {
		p := startPeer()
		deploy(p, network.LSCC, "sacc", []string{"a", "10"}, "")
		pid := p.RunningPID("sacc:1.0")
		Expect(pid).To(BeNumerically(">", 0))

		By("killing the chaincode process with SIGKILL")
		Expect(syscall.Kill(pid, syscall.SIGKILL)).To(Succeed())
		Eventually(processGone(pid), network.StopTimeout).Should(BeTrue())
		p.WaitForLog(`chaincode disconnected.* ccid=sacc:1\.0`)

		By("invoking it again")
		s := p.Exec(network.Invoke{Channel: channel, Name: "sacc", Args: []string{"set", "a", "12"}})
		Expect(s.Err).To(gbytes.Say("validation code: VALID"))
		Expect(p.Output(network.Query{Channel: channel, Name: "sacc", Args: []string{"get", "a"}})).To(Equal("12"))
		Expect(p.RunningPID("sacc:1.0")).To(SatisfyAll(BeNumerically(">", 0), Not(Equal(pid))))
	})

	It("stops the chaincode it launched on SIGTERM and logs it as stopped, not as a crash", func() {
		p := startPeer()
		deploy(p, network.LSCC, "sacc", []string{"a", "10"}, "")
		pid := p.RunningPID("sacc:1.0")
		peerLog := p.Session().Err
		before := len(peerLog.Contents())

		p.Stop()
		shutdown := string(peerLog.Contents()[before:])
		Expect(shutdown).To(MatchRegexp(`level=INFO msg="chaincode process stopped" .*ccid=sacc:1\.0`))
		Expect(shutdown).NotTo(ContainSubstring("level=WARN"), "a clean shutdown warns about nothing")
		Expect(processGone(pid)()).To(BeTrue(), "the chaincode process outlived its peer")
	})

	It("upgrades to another installed version, which then serves the channel", func() {
		p := startPeer()
		deploy(p, network.LSCC, "sacc", []string{"a", "10"}, "")
		p.Exec(network.Install{Name: "sacc", Version: "2.0", Path: components.Sample("sacc")})

		s := p.Exec(network.Upgrade{Channel: channel, Name: "sacc", Version: "2.0", Args: []string{"b", "20"}})
		Expect(s.Err).To(gbytes.Say("validation code: VALID"))
		Expect(p.Output(network.ListInstantiated{Channel: channel})).To(SatisfyAll(
			ContainSubstring("Name: sacc, Version: 2.0"), Not(ContainSubstring("Version: 1.0"))))
		Expect(p.RunningPID("sacc:2.0")).To(BeNumerically(">", 0))
		Expect(p.Output(network.Query{Channel: channel, Name: "sacc", Args: []string{"get", "a"}})).To(Equal("10"), "state written by 1.0")
		Expect(p.Output(network.Query{Channel: channel, Name: "sacc", Args: []string{"get", "b"}})).To(Equal("20"), "state written by 2.0's Init")
	})

	It("keeps everything across a restart: installed and instantiated chaincode, state and blocks", func() {
		// A fixed client address, as clients configured with it expect
		// the peer back there after a restart. This is the one place a
		// suite uses FreeAddress: port 0 would let the restarted peer
		// pick another port, and the spec checks that it does not move.
		p := &network.Peer{Name: "peer", Binary: components.Peersim, DataDir: GinkgoT().TempDir(), Address: network.FreeAddress()}
		p.Start()
		DeferCleanup(p.Stop)
		clientAddr := p.ClientAddr
		Expect(clientAddr).To(Equal(p.Address))
		deploy(p, network.LSCC, "abstore", []string{"init", "a", "100", "b", "200"}, "")
		for range 2 {
			p.Exec(network.Invoke{Channel: channel, Name: "abstore", Args: []string{"invoke", "a", "b", "10"}})
		}
		installed := p.Output(network.ListInstalled{})
		instantiated := p.Output(network.ListInstantiated{Channel: channel})
		height := p.BlockHeight(channel)
		Expect(height).To(BeNumerically(">=", 2))
		pid := p.RunningPID("abstore:1.0")

		By("restarting the peer")
		p.Restart()
		Eventually(processGone(pid), network.StopTimeout).Should(BeTrue(), "the peer should stop the chaincode it launched")

		Expect(p.ClientAddr).To(Equal(clientAddr))

		By("finding the same chaincode, state and blocks")
		Expect(p.Output(network.ListInstalled{})).To(Equal(installed))
		Expect(p.Output(network.ListInstantiated{Channel: channel})).To(Equal(instantiated))
		Expect(p.BlockHeight(channel)).To(Equal(height))
		Expect(p.Output(network.Query{Channel: channel, Name: "abstore", Args: []string{"query", "a"}})).To(Equal("80"))

		By("carrying on from there")
		p.Exec(network.Invoke{Channel: channel, Name: "abstore", Args: []string{"invoke", "a", "b", "10"}})
		Expect(p.Output(network.Query{Channel: channel, Name: "abstore", Args: []string{"query", "b"}})).To(Equal("230"))
		Expect(p.BlockHeight(channel)).To(Equal(height + 1))
	})
})
