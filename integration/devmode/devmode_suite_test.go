// Package devmode_test drives a development-mode peersim (--dev) with the
// chaincode started by hand, as Fabric's dev-mode guide describes.
package devmode_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/chaincodekit/chaincodekit/integration/network"
)

func TestDevMode(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Development mode")
}

// Set on every parallel process by SynchronizedBeforeSuite.
var components network.Components

const tallyPackage = network.Module + "/integration/testdata/tally"

var _ = SynchronizedBeforeSuite(func() []byte {
	c, err := network.BuildComponents([]string{"-race"},
		network.SampleBuild("sacc"),
		network.SampleBuild("abstore"),
		network.SampleBuild("marbles"),
		network.SampleBuild("assettransfer"),
		network.SampleBuild("privatedata"),
		network.SampleBuild("sbe"),
		network.SampleBuild("caller"),
		network.SampleBuild("secureddeal"),
		network.Build{Name: "tally", Package: tallyPackage},
		network.Build{Name: "tally-v2", Package: tallyPackage, Args: []string{"-tags", "variant2"}},
	)
	Expect(err).NotTo(HaveOccurred())
	b, err := c.Marshal()
	Expect(err).NotTo(HaveOccurred())
	return b
}, func(b []byte) {
	var err error
	components, err = network.UnmarshalComponents(b)
	Expect(err).NotTo(HaveOccurred())
})

var _ = SynchronizedAfterSuite(func() {
	gexec.KillAndWait()
}, func() {
	components.Cleanup()
})
