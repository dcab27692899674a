package network

import (
	"fmt"
	"path/filepath"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/types"
)

// Deployer deploys samples/<name> as version 1.0 on p's channel through
// lc, with Init's arguments and, if not "", the collections file, and
// returns the chaincode id the sample runs as (name:1.0, or the package ID
// of a package installed through _lifecycle). Each suite brings its own: in
// production mode the peer builds and launches the chaincode, in
// development mode the spec starts it by hand.
type Deployer func(p *Peer, lc Lifecycle, name string, initArgs []string, collections string) (ccid string)

// SampleFlow is what one sample needs to be deployed and used end to end:
// both suites run every flow, so every sample is proven in both modes.
type SampleFlow struct {
	// Description names the table entry.
	Description string
	// Sample is the folder under samples/.
	Sample string
	// Lifecycle is how the suite deploys the sample (and what Setup
	// deploys); SampleEntries sets it.
	Lifecycle Lifecycle
	// InitArgs are Init's arguments: at instantiate with lscc, in the
	// first invoke (--isInit) with the 2.x lifecycle.
	InitArgs []string
	// Collections is a collections file under the sample's folder, or "".
	Collections string
	// Setup prepares the peer before the sample is deployed (an identity
	// to add, another chaincode to deploy first, through lc); nil for none.
	Setup func(p *Peer, lc Lifecycle, deploy Deployer)
	// Invoke, Transient and Identity make the transaction submitted.
	Invoke    []string
	Transient map[string][]byte
	Identity  string
	// Query is evaluated after the invoke committed; Answer matches its
	// payload.
	Query  []string
	Answer types.GomegaMatcher
}

// SampleFlows returns one flow per sample.
func SampleFlows() []SampleFlow {
	return []SampleFlow{
		{
			Description: "sacc", Sample: "sacc",
			InitArgs: []string{"a", "10"},
			Invoke:   []string{"set", "a", "20"},
			Query:    []string{"get", "a"},
			Answer:   gomega.Equal("20"),
		},
		{
			Description: "abstore", Sample: "abstore",
			InitArgs: []string{"init", "a", "100", "b", "200"},
			Invoke:   []string{"invoke", "a", "b", "10"},
			Query:    []string{"query", "a"},
			Answer:   gomega.Equal("90"),
		},
		{
			Description: "marbles, with a rich query on its packaged index", Sample: "marbles",
			InitArgs: []string{"init"},
			Invoke:   []string{"initMarble", "marble1", "blue", "35", "tom"},
			Query:    []string{"queryMarblesByOwner", "tom"},
			Answer:   gomega.SatisfyAll(gomega.ContainSubstring(`"name":"marble1"`), gomega.ContainSubstring(`"owner":"tom"`)),
		},
		{
			Description: "assettransfer, as an identity with the abac.creator attribute", Sample: "assettransfer",
			InitArgs: []string{},
			Setup: func(p *Peer, _ Lifecycle, _ Deployer) {
				p.Exec(IdentityAdd{Name: "creator", Attrs: map[string]string{"abac.creator": "true"}})
			},
			Invoke:   []string{"CreateAsset", "asset1", "blue", "5", "300"},
			Identity: "creator",
			Query:    []string{"ReadAsset", "asset1"},
			Answer:   gomega.SatisfyAll(gomega.ContainSubstring(`"ID":"asset1"`), gomega.ContainSubstring(`"appraisedValue":300`)),
		},
		{
			Description: "privatedata, with its collections and transient data", Sample: "privatedata",
			InitArgs:    []string{"init"},
			Collections: "collections_config.json",
			Invoke:      []string{"createAsset", "asset1"},
			Transient:   map[string][]byte{"asset": []byte(`{"color":"blue","size":5,"owner":"tom"}`)},
			Query:       []string{"readAsset", "asset1"},
			Answer:      gomega.SatisfyAll(gomega.ContainSubstring(`"color":"blue"`), gomega.ContainSubstring(`"owner":"tom"`)),
		},
		{
			Description: "sbe", Sample: "sbe",
			InitArgs: []string{"init"},
			Invoke:   []string{"setValue", "k", "v1"},
			Query:    []string{"getValue", "k"},
			Answer:   gomega.Equal("v1"),
		},
		{
			Description: "caller, calling sacc (deployed first) on the same channel", Sample: "caller",
			InitArgs: []string{"init"},
			Setup: func(p *Peer, lc Lifecycle, deploy Deployer) {
				deploy(p, lc, "sacc", []string{"a", "10"}, "")
			},
			Invoke: []string{"callAndRecord", "sacc", "set", "a", "30"},
			Query:  []string{"call", "sacc", "", "get", "a"},
			Answer: gomega.Equal("30"),
		},
	}
}

// SampleEntries makes one DescribeTable entry per sample flow and
// lifecycle, e.g. "sacc (lscc)" and "sacc (2.x lifecycle)"; the table's
// body takes the flow, whose Lifecycle says how to deploy it.
func SampleEntries() []ginkgo.TableEntry {
	var entries []ginkgo.TableEntry
	for _, f := range SampleFlows() {
		for _, lc := range Lifecycles() {
			f.Lifecycle = lc
			entries = append(entries, ginkgo.Entry(fmt.Sprintf("%s (%s)", f.Description, lc), f))
		}
	}
	return entries
}

// CollectionsPath is the flow's collections file inside the sample folder
// sampleDir, or "" when it has none.
func (f SampleFlow) CollectionsPath(sampleDir string) string {
	if f.Collections == "" {
		return ""
	}
	return filepath.Join(sampleDir, f.Collections)
}

// Use submits the flow's invoke on channel, expects it committed VALID,
// then evaluates its query and matches the answer.
func (f SampleFlow) Use(p *Peer, channel string) {
	ginkgo.GinkgoHelper()
	ginkgo.By("invoking " + f.Sample)
	s := p.Exec(Invoke{Channel: channel, Name: f.Sample, Args: f.Invoke, Transient: f.Transient, Identity: f.Identity})
	gomega.Expect(s.Err).To(gbytes.Say("validation code: VALID"))

	ginkgo.By("querying " + f.Sample)
	gomega.Expect(p.Output(Query{Channel: channel, Name: f.Sample, Args: f.Query})).To(f.Answer)
}
