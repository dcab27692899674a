// Package fabriccli_test drives a peersim peer with Fabric's own peer CLI
// (v2.5), unchanged, set up with the one line `eval "$(peersim env)"`: what
// works with Fabric's client works against peersim. Without Fabric's binary
// (see network.FindFabricPeer) the suite skips, saying where it looked.
package fabriccli_test

import (
	"encoding/json"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/chaincodekit/chaincodekit/integration/network"
)

func TestFabricCLI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Fabric's peer CLI")
}

// Set on every parallel process by SynchronizedBeforeSuite.
var (
	components network.Components
	// fabricPeer is Fabric's peer binary.
	fabricPeer string
)

// shared is what the first process hands the others.
type shared struct {
	Components json.RawMessage `json:"components,omitempty"`
	FabricPeer string          `json:"fabricPeer,omitempty"`
	// Skip, when set, is why the suite cannot run.
	Skip string `json:"skip,omitempty"`
}

var _ = SynchronizedBeforeSuite(func() []byte {
	var s shared
	bin, err := network.FindFabricPeer()
	if err != nil {
		s.Skip = err.Error()
	} else {
		c, err := network.BuildComponents([]string{"-race"}, network.SampleBuild("sacc"))
		Expect(err).NotTo(HaveOccurred())
		s.FabricPeer = bin
		s.Components, err = c.Marshal()
		Expect(err).NotTo(HaveOccurred())
	}
	b, err := json.Marshal(s)
	Expect(err).NotTo(HaveOccurred())
	return b
}, func(b []byte) {
	var s shared
	Expect(json.Unmarshal(b, &s)).To(Succeed())
	if s.Skip != "" {
		Skip("skipping the suite of Fabric's peer CLI: " + s.Skip)
	}
	var err error
	components, err = network.UnmarshalComponents(s.Components)
	Expect(err).NotTo(HaveOccurred())
	fabricPeer = s.FabricPeer
})

var _ = SynchronizedAfterSuite(func() {
	gexec.KillAndWait()
}, func() {
	components.Cleanup()
})
