package devmode_test

import (
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/chaincodekit/chaincodekit/integration/network"
)

// One spec per message a user reads in the first hour, with the whole
// text, so that each stays said once and says what to do.
var _ = Describe("what the peer tells a user", func() {
	It("names the peer's channels when a command names one it does not have", func() {
		peer := startDevPeer()
		s := peer.Run(network.Query{Channel: "nosuch", Name: "sacc", Args: []string{"get", "a"}})
		Eventually(s, network.CommandTimeout).Should(gexec.Exit(1))
		Expect(s.Err).To(gbytes.Say(regexp.QuoteMeta(
			"channel 'nosuch' not found: this peer's channels are mychannel; create one with `peersim channel create -c nosuch`")))
	})

	It("refuses a second peer on the same data directory at once, naming the first", func() {
		first := startDevPeer()
		second := &network.Peer{Name: "second peer", Binary: components.Peersim, DataDir: first.DataDir, Dev: true}
		s := second.StartFailing()
		Expect(s.Err).To(gbytes.Say(`data directory \S+ is in use by process \d+: locked by another process: ` +
			regexp.QuoteMeta("stop that peer, or give this one another data directory (--data-dir, PEERSIM_DATA_DIR)")))
		Expect(s.Err).NotTo(gbytes.Say("still locked after"), "the refusal must not wait for the ledger file's lock")
	})

	It("logs each attribute of the ledger's open line once", func() {
		peer := startDevPeer()
		line := regexp.MustCompile(`(?m)^.*msg="ledger opened".*$`).Find(peer.Session().Err.Contents())
		Expect(line).NotTo(BeNil(), "the peer logged no ledger opened line")
		Expect(regexp.MustCompile(`channel=`).FindAll(line, -1)).To(HaveLen(1), "ledger opened line: %s", line)
		Expect(string(line)).To(MatchRegexp(`component=ledger channel=mychannel backend=bbolt height=0$`))
	})
})
