package main

import (
	"encoding/json"
	"fmt"

	. "github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Marbles", func() {
	var cc *Chaincode

	BeforeEach(func() {
		p := New(GinkgoT())
		cc = p.Deploy(GinkgoT(), "marbles", Marbles{}, MetaInf("META-INF"))
		for _, m := range [][]string{
			{"marble1", "blue", "35", "tom"},
			{"marble2", "red", "50", "tom"},
			{"marble3", "blue", "70", "jerry"},
			{"marble4", "green", "10", "jerry"},
			{"marble5", "blue", "20", "tom"},
		} {
			Expect(cc.Submit(GinkgoT(), "initMarble", m...)).To(BeValid())
		}
	})

	marble := func(name, color string, size int, owner string) string {
		return fmt.Sprintf(`{"docType":"marble","name":%q,"color":%q,"size":%d,"owner":%q}`, name, color, size, owner)
	}
	names := func(payload []byte) []string {
		var records []Record
		Expect(json.Unmarshal(payload, &records)).To(Succeed())
		out := []string{}
		for _, r := range records {
			out = append(out, r.Key)
		}
		return out
	}
	page := func(payload []byte) Page {
		var p Page
		Expect(json.Unmarshal(payload, &p)).To(Succeed())
		return p
	}

	Describe("creating and reading", func() {
		It("stores a marble as a JSON document", func() {
			Expect(cc.Evaluate(GinkgoT(), "readMarble", "marble1")).To(HaveJSONPayload(marble("marble1", "blue", 35, "tom")))
		})
		It("refuses a marble that exists", func() {
			r := cc.Submit(GinkgoT(), "initMarble", "marble1", "red", "1", "ann")
			Expect(r).To(HaveStatus(500, "initMarble: marble marble1 already exists"))
			Expect(r.Committed).To(BeFalse())
		})
		DescribeTable("refuses bad arguments",
			func(args []string, message string) {
				Expect(cc.Submit(GinkgoT(), "initMarble", args...)).To(HaveStatus(500, message))
			},
			Entry("a size that is not a number", []string{"m", "red", "big", "ann"}, `initMarble: size "big" must be a positive integer`),
			Entry("a size of zero", []string{"m", "red", "0", "ann"}, `initMarble: size "0" must be a positive integer`),
			Entry("too few arguments", []string{"m", "red"}, "initMarble needs 4 arguments (name color size owner); got 2"),
		)
		It("reports a missing marble", func() {
			Expect(cc.Evaluate(GinkgoT(), "readMarble", "nope")).To(HaveStatus(500, "readMarble: marble nope does not exist"))
		})
	})

	Describe("transfers", func() {
		It("changes the owner", func() {
			Expect(cc.Submit(GinkgoT(), "transferMarble", "marble2", "Jerry")).To(BeValid())
			Expect(cc.Evaluate(GinkgoT(), "readMarble", "marble2")).To(HaveJSONPayload(marble("marble2", "red", 50, "jerry")))
		})
		It("finds the marbles of a color through the partial composite key", func() {
			Expect(cc.Submit(GinkgoT(), "transferMarblesBasedOnColor", "blue", "ann")).To(And(BeValid(), HaveJSONPayload(`["marble1","marble3","marble5"]`)))
			Expect(names(cc.Evaluate(GinkgoT(), "queryMarblesByOwner", "ann").Payload)).To(Equal([]string{"marble1", "marble3", "marble5"}))
			Expect(cc.Evaluate(GinkgoT(), "readMarble", "marble2")).To(HaveJSONPayload(marble("marble2", "red", 50, "tom")))
		})
	})

	Describe("range queries", func() {
		It("return the keys from start up to, not including, end", func() {
			Expect(names(cc.Evaluate(GinkgoT(), "getMarblesByRange", "marble1", "marble3").Payload)).To(Equal([]string{"marble1", "marble2"}))
		})
		It("page through the range with bookmarks", func() {
			keys := func(p Page) []string {
				out := []string{}
				for _, r := range p.Records {
					out = append(out, r.Key)
				}
				return out
			}
			first := page(cc.Evaluate(GinkgoT(), "getMarblesByRangeWithPagination", "marble1", "marble9", "2", "").Payload)
			Expect(first.FetchedCount).To(BeEquivalentTo(2))
			Expect(keys(first)).To(Equal([]string{"marble1", "marble2"}))
			Expect(first.Bookmark).To(Equal("marble3"), "a full page's bookmark is the next key")
			second := page(cc.Evaluate(GinkgoT(), "getMarblesByRangeWithPagination", "marble1", "marble9", "2", first.Bookmark).Payload)
			Expect(second.FetchedCount).To(BeEquivalentTo(2))
			Expect(keys(second)).To(Equal([]string{"marble3", "marble4"}))
			Expect(second.Bookmark).To(Equal("marble5"))
			third := page(cc.Evaluate(GinkgoT(), "getMarblesByRangeWithPagination", "marble1", "marble9", "2", second.Bookmark).Payload)
			Expect(third.FetchedCount).To(BeEquivalentTo(1))
			Expect(keys(third)).To(Equal([]string{"marble5"}))
			Expect(third.Bookmark).To(BeEmpty(), "the last page has no bookmark")
		})
	})

	Describe("rich queries", func() {
		It("select by owner with the packaged index", func() {
			Expect(names(cc.Evaluate(GinkgoT(), "queryMarblesByOwner", "jerry").Payload)).To(Equal([]string{"marble3", "marble4"}))
		})
		It("run any Mango selector", func() {
			r := cc.Evaluate(GinkgoT(), "queryMarbles", `{"selector":{"docType":"marble","size":{"$gte":35}}}`)
			Expect(names(r.Payload)).To(ConsistOf("marble1", "marble2", "marble3"))
		})
		It("page with bookmarks", func() {
			q := `{"selector":{"docType":"marble","owner":"tom"},"use_index":["_design/indexOwnerDoc","indexOwner"]}`
			first := page(cc.Evaluate(GinkgoT(), "queryMarblesWithPagination", q, "2", "").Payload)
			Expect(first.FetchedCount).To(BeEquivalentTo(2))
			second := page(cc.Evaluate(GinkgoT(), "queryMarblesWithPagination", q, "2", first.Bookmark).Payload)
			Expect(second.FetchedCount).To(BeEquivalentTo(1))
			all := append(first.Records, second.Records...)
			Expect([]string{all[0].Key, all[1].Key, all[2].Key}).To(ConsistOf("marble1", "marble2", "marble5"))
		})
		It("see only committed documents", func() {
			Expect(cc.Evaluate(GinkgoT(), "initMarble", "marble6", "blue", "1", "jerry")).To(HaveStatus(200))
			Expect(names(cc.Evaluate(GinkgoT(), "queryMarblesByOwner", "jerry").Payload)).To(Equal([]string{"marble3", "marble4"}))
		})
	})

	Describe("history and deletion", func() {
		It("lists every committed version, newest first, including the deletion", func() {
			Expect(cc.Submit(GinkgoT(), "transferMarble", "marble1", "jerry")).To(BeValid())
			Expect(cc.Submit(GinkgoT(), "deleteMarble", "marble1")).To(BeValid())
			var h []HistoryEntry
			Expect(json.Unmarshal(cc.Evaluate(GinkgoT(), "getHistoryForMarble", "marble1").Payload, &h)).To(Succeed())
			Expect(h).To(HaveLen(3))
			Expect(h[0].IsDelete).To(BeTrue())
			Expect(h[1].Value.Owner).To(Equal("jerry"))
			Expect(h[2].Value.Owner).To(Equal("tom"))
			Expect(h[0].TxID).NotTo(Equal(h[1].TxID))
		})
		It("removes the marble and its color index entry", func() {
			Expect(cc.Submit(GinkgoT(), "deleteMarble", "marble4")).To(BeValid())
			Expect(cc.Evaluate(GinkgoT(), "readMarble", "marble4")).To(HaveStatus(500))
			Expect(cc.Submit(GinkgoT(), "transferMarblesBasedOnColor", "green", "ann")).To(And(BeValid(), HaveJSONPayload(`[]`)))
		})
	})
})
