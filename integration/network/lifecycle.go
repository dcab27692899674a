package network

import (
	"fmt"
	"path/filepath"
	"regexp"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
)

// Lifecycle is how chaincode gets defined on a channel. A Fabric 2.5 peer
// has both, and the suites deploy every sample both ways.
type Lifecycle int

const (
	// LSCC is Fabric 1.4's lifecycle, the seed's: install name:version,
	// then instantiate, whose transaction runs Init with its arguments.
	LSCC Lifecycle = iota
	// V2 is Fabric 2.x's _lifecycle: approve a definition for the peer's
	// organisation and commit it; Init runs only as the first invoke
	// (--isInit) of a definition committed with --init-required.
	V2
)

// Lifecycles are both lifecycles, in the order the suites' tables list
// their entries.
func Lifecycles() []Lifecycle { return []Lifecycle{LSCC, V2} }

// String names the lifecycle as the table entries do: "lscc" or
// "2.x lifecycle".
func (l Lifecycle) String() string {
	if l == V2 {
		return "2.x lifecycle"
	}
	return "lscc"
}

// SampleDefinition is the definition of name both suites commit through
// the 2.x lifecycle: version 1.0, sequence 1, the channel's default
// endorsement policy, the collections file if not "", and --init-required
// only when Init has arguments (a definition without it never runs Init,
// as in Fabric).
func SampleDefinition(channel, name string, initArgs []string, collections string) Definition {
	return Definition{
		Channel: channel, Name: name, Version: "1.0", Sequence: 1,
		CollectionsConfig: collections,
		InitRequired:      len(initArgs) > 0,
	}
}

// packageID matches the line `lifecycle chaincode install` prints.
var packageID = regexp.MustCompile(`(?m)^Chaincode code package identifier: (\S+)$`)

// InstallPackage packages the chaincode directory dir with label as
// Fabric 2.x does, installs it through _lifecycle, expects queryinstalled
// to list it and returns its package ID (label:sha256).
func (p *Peer) InstallPackage(dir, label string) string {
	ginkgo.GinkgoHelper()
	pkg := filepath.Join(ginkgo.GinkgoT().TempDir(), label+".tar.gz")
	p.Exec(LifecyclePackage{Path: dir, Label: label, Output: pkg})
	m := packageID.FindStringSubmatch(p.Output(LifecycleInstall{Package: pkg}))
	gomega.Expect(m).NotTo(gomega.BeNil(), "peer %s: install of %s printed no package identifier", p.Name, pkg)
	id := m[1]
	gomega.Expect(id).To(gomega.HavePrefix(label+":"), "the package ID is label:sha256")
	gomega.Expect(p.Output(QueryInstalled{})).To(gomega.ContainSubstring("Package ID: " + id + ", Label: " + label))
	return id
}

// Define runs the 2.x lifecycle's definition steps for the peer's one
// organisation: approveformyorg with packageID, checkcommitreadiness
// (Org1MSP: true), commit, and querycommitted shows the definition.
func (p *Peer) Define(def Definition, packageID string) {
	ginkgo.GinkgoHelper()
	s := p.Exec(ApproveForMyOrg{Definition: def, PackageID: packageID})
	gomega.Expect(s.Err).To(gbytes.Say("validation code: VALID"))
	gomega.Expect(p.Output(CheckCommitReadiness(def))).To(gomega.HaveSuffix("approval status by org:\nOrg1MSP: true"))
	s = p.Exec(Commit(def))
	gomega.Expect(s.Err).To(gbytes.Say("validation code: VALID"))
	gomega.Expect(p.Output(QueryCommitted{Channel: def.Channel, Name: def.Name})).To(gomega.ContainSubstring(fmt.Sprintf("Version: %s, Sequence: %d,", def.Version, def.Sequence)))
}

// InitIfRequired submits the first invoke of a committed definition with
// --isInit and Init's arguments when the definition is InitRequired, and
// does nothing otherwise.
func (p *Peer) InitIfRequired(def Definition, initArgs []string) {
	ginkgo.GinkgoHelper()
	if !def.InitRequired {
		return
	}
	s := p.Exec(Invoke{Channel: def.Channel, Name: def.Name, Args: initArgs, IsInit: true})
	gomega.Expect(s.Err).To(gbytes.Say("validation code: VALID"))
}
