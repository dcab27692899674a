// Package gateway_test drives peersim's Gateway service with Fabric's own
// fabric-gateway client, unchanged: the assettransfer application sample
// against a real peersim process in both operating modes, and each of the
// client's error types provoked from the test.
package gateway_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/chaincodekit/chaincodekit/integration/network"
)

func TestGateway(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Gateway")
}

// Set on every parallel process by SynchronizedBeforeSuite.
var components network.Components

var _ = SynchronizedBeforeSuite(func() []byte {
	c, err := network.BuildComponents([]string{"-race"},
		network.SampleBuild("assettransfer"),
		network.Build{Name: "application", Package: network.Module + "/samples/assettransfer/application"},
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
