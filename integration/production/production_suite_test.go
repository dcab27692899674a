// Package production_test drives a production-mode peersim: the peer
// builds and launches the chaincode it deploys, and accepts no other.
package production_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/chaincodekit/chaincodekit/integration/network"
)

func TestProduction(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Production mode")
}

// Set on every parallel process by SynchronizedBeforeSuite.
var components network.Components

var _ = SynchronizedBeforeSuite(func() []byte {
	// sacc is built only to play a rogue process: the peer builds the
	// chaincode it runs itself.
	c, err := network.BuildComponents([]string{"-race"}, network.SampleBuild("sacc"))
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
