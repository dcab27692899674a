package main

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The marbles tests are a Ginkgo suite, to show peersimtest working with
// GinkgoT() and its Gomega matchers.
func TestMarbles(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Marbles Suite")
}
