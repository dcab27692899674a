package devmode_test

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/chaincodekit/chaincodekit/integration/network"
)

var _ = Describe("a development-mode peer of three organisations", func() {
	orgs := []string{"Org1MSP", "Org2MSP", "Org3MSP"}
	var peer *network.Peer

	BeforeEach(func() {
		peer = &network.Peer{Name: "3-org peer", Binary: components.Peersim, DataDir: GinkgoT().TempDir(), Dev: true, Orgs: orgs}
		peer.Start()
		DeferCleanup(peer.Stop)
	})

	as := func(org string, c network.Command) network.Command { return network.AsOrg{Org: org, Command: c} }
	price := []byte(`{"asset_id":"asset1","price":1000,"trade_id":"t-42"}`)
	props := []byte(`{"color":"blue","serial":"SN-1"}`)

	It("runs the secureddeal sample: each organisation approves, the parties agree, both peers endorse the sale, the buyer resells", func() {
		// No collections config: the sample keeps everything private in
		// the organisations' implicit collections.
		def := network.Definition{
			Channel: channel, Name: "secureddeal", Version: "1.0", Sequence: 1,
			SignaturePolicy: "OR('Org1MSP.peer','Org2MSP.peer','Org3MSP.peer')",
		}
		By("approving the definition as each organisation, on its own peer")
		for i, org := range orgs {
			peer.Exec(as(org, network.ApproveForMyOrg{Definition: def, PackageID: "secureddeal:1.0"}))
			out := peer.Output(as(org, network.CheckCommitReadiness(def)))
			for j, other := range orgs {
				Expect(out).To(ContainSubstring("%s: %t", other, j <= i), "readiness after %s approved", org)
			}
		}

		By("committing it with the endorsements of a majority: two of three")
		commit := def
		commit.EndorsingOrgs = []string{"Org1MSP", "Org3MSP"}
		peer.Exec(network.Commit(commit))
		startChaincodeWith(peer, network.FabricIDVariable, components.Binary("secureddeal"), "secureddeal:1.0") // as the README: CORE_CHAINCODE_ID_NAME

		By("creating an asset as Org1MSP and agreeing on its price, each party on its own peer")
		invoke := func(org string, args []string, transient map[string][]byte, endorsers ...string) *gexec.Session {
			return peer.Run(as(org, network.Invoke{Channel: channel, Name: "secureddeal", Args: args, Transient: transient, EndorsingOrgs: endorsers}))
		}
		s := invoke("Org1MSP", []string{"CreateAsset", "asset1", "a blue bike"}, map[string][]byte{"asset_properties": props}, "Org1MSP")
		Eventually(s, network.CommandTimeout).Should(gexec.Exit(0))
		Expect(s.Err).To(gbytes.Say("validation code: VALID"))
		s = invoke("Org1MSP", []string{"AgreeToSell", "asset1"}, map[string][]byte{"asset_price": price}, "Org1MSP")
		Eventually(s, network.CommandTimeout).Should(gexec.Exit(0))
		s = invoke("Org2MSP", []string{"AgreeToBuy", "asset1"}, map[string][]byte{"asset_price": price}, "Org2MSP")
		Eventually(s, network.CommandTimeout).Should(gexec.Exit(0))

		By("keeping Org1MSP's properties on its own peer: Org2MSP's peer has only their hash")
		Expect(peer.Output(as("Org1MSP", network.Query{Channel: channel, Name: "secureddeal", Args: []string{"ReadAssetProperties", "asset1"}}))).To(Equal(string(props)))

		By("refusing the sale endorsed by the seller's peer alone")
		transfer := []string{"TransferAsset", "asset1", "Org2MSP"}
		both := map[string][]byte{"asset_price": price, "asset_properties": props}
		s = invoke("Org1MSP", transfer, both, "Org1MSP")
		Eventually(s, network.CommandTimeout).Should(gexec.Exit(1))
		Expect(s.Err).To(gbytes.Say("ENDORSEMENT_POLICY_FAILURE"))

		By("selling it with both parties' peers endorsing")
		s = invoke("Org1MSP", transfer, both, "Org1MSP", "Org2MSP")
		Eventually(s, network.CommandTimeout).Should(gexec.Exit(0))
		Expect(s.Err).To(gbytes.Say("validation code: VALID"))

		var asset struct {
			OwnerOrg string `json:"ownerOrg"`
		}
		out := peer.Output(as("Org3MSP", network.Query{Channel: channel, Name: "secureddeal", Args: []string{"ReadAsset", "asset1"}}))
		Expect(json.Unmarshal([]byte(out), &asset)).To(Succeed())
		Expect(asset.OwnerOrg).To(Equal("Org2MSP"))

		By("showing the receipt to the parties only")
		deals := func(org string) string {
			return peer.Output(as(org, network.Query{Channel: channel, Name: "secureddeal", Args: []string{"ReadDeals", "asset1"}}))
		}
		noReceipt := func(org string) {
			s := peer.Run(as(org, network.Query{Channel: channel, Name: "secureddeal", Args: []string{"ReadDeals", "asset1"}}))
			Eventually(s, network.CommandTimeout).Should(gexec.Exit(1))
			Expect(s.Err).To(gbytes.Say(org + " holds no receipt of asset asset1"))
		}
		Expect(deals("Org1MSP")).To(ContainSubstring(`"seller":"Org1MSP","buyer":"Org2MSP","price":1000`))
		Expect(deals("Org2MSP")).To(ContainSubstring(`"seller":"Org1MSP","buyer":"Org2MSP","price":1000`))
		noReceipt("Org3MSP")

		By("reselling it from Org2MSP to Org3MSP, endorsed by their two peers")
		price2 := []byte(`{"asset_id":"asset1","price":2000,"trade_id":"t-43"}`)
		s = invoke("Org2MSP", []string{"AgreeToSell", "asset1"}, map[string][]byte{"asset_price": price2}, "Org2MSP")
		Eventually(s, network.CommandTimeout).Should(gexec.Exit(0))
		s = invoke("Org3MSP", []string{"AgreeToBuy", "asset1"}, map[string][]byte{"asset_price": price2}, "Org3MSP")
		Eventually(s, network.CommandTimeout).Should(gexec.Exit(0))
		s = invoke("Org2MSP", []string{"TransferAsset", "asset1", "Org3MSP"}, map[string][]byte{"asset_price": price2, "asset_properties": props}, "Org2MSP", "Org3MSP")
		Eventually(s, network.CommandTimeout).Should(gexec.Exit(0))
		Expect(s.Err).To(gbytes.Say("validation code: VALID"))

		By("keeping each sale's receipt with its own two parties")
		first, second := `"seller":"Org1MSP","buyer":"Org2MSP","price":1000`, `"seller":"Org2MSP","buyer":"Org3MSP","price":2000`
		out = deals("Org1MSP")
		Expect(out).To(ContainSubstring(first))
		Expect(out).NotTo(ContainSubstring(second))
		out = deals("Org2MSP")
		Expect(out).To(ContainSubstring(first))
		Expect(out).To(ContainSubstring(second))
		out = deals("Org3MSP")
		Expect(out).To(ContainSubstring(second))
		Expect(out).NotTo(ContainSubstring(first))
	})

	It("creates a channel of two of them, which the third organisation's peer has not joined", func() {
		peer.Exec(network.ChannelCreate{Channel: "pair", Orgs: []string{"Org1MSP", "Org2MSP"}})
		Expect(peer.Output(as("Org2MSP", network.ChannelList{}))).To(ContainSubstring("pair"))
		Expect(peer.Output(as("Org3MSP", network.ChannelList{}))).NotTo(ContainSubstring("pair"))
	})
})
