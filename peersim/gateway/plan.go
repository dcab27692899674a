package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
)

// errPayloadMismatch is Fabric's Gateway's detail for an endorser whose
// proposal response payload differs from the first endorser's.
var errPayloadMismatch = errors.New("ProposalResponsePayloads do not match")

// peerOf returns the endorser of org's peer in this process: Endorser for
// the gateway's own organisation, Peers[org] for the others.
func (s *Server) peerOf(org string) (Endorser, bool) {
	if org == s.cfg.MSPID {
		return s.cfg.Endorser, s.cfg.Endorser != nil
	}
	e, ok := s.cfg.Peers[org]
	return e, ok && e != nil
}

// detailOf is the ErrorDetail of a failure on org's peer.
func (s *Server) detailOf(org, msg string) *gp.ErrorDetail {
	addr := s.cfg.Addresses[org]
	if addr == "" && org == s.cfg.MSPID {
		addr = s.cfg.Address
	}
	return &gp.ErrorDetail{Address: addr, MspId: org, Message: msg}
}

// withoutPeers returns an error with Fabric's words when an organisation of
// orgs is not among onChannel, the channel's organisations that have a
// peer in this process.
func withoutPeers(orgs, onChannel []string) error {
	var missing []string
	for _, o := range orgs {
		if !slices.Contains(onChannel, o) {
			missing = append(missing, o)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("failed to find any endorsing peers for org(s): %s", strings.Join(missing, ", "))
	}
	return nil
}

// localFirst returns orgs with the gateway's organisation first, without
// duplicates, keeping the order of the others.
func (s *Server) localFirst(orgs []string) []string {
	out := make([]string, 0, len(orgs))
	if slices.Contains(orgs, s.cfg.MSPID) {
		out = append(out, s.cfg.MSPID)
	}
	for _, o := range orgs {
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// outcome is one organisation's answer to a proposal.
type outcome struct {
	org string
	pr  *peer.ProposalResponse
	err error
}

// endorseOn runs the signed proposal on the peers of orgs in parallel and
// returns their answers in the order of orgs. Every org must have a peer.
// The first org's endorsement runs on the caller's goroutine, after the
// others have started on their own: the usual call endorses on one peer
// only, and a goroutine for it costs a start and the growth of a fresh
// stack through the endorser's deep calls.
func (s *Server) endorseOn(ctx context.Context, sp *peer.SignedProposal, orgs []string) []outcome {
	out := make([]outcome, len(orgs))
	endorse := func(i int) {
		e, _ := s.peerOf(orgs[i])
		pr, err := e.Process(ctx, sp)
		out[i] = outcome{org: orgs[i], pr: pr, err: err}
	}
	var wg sync.WaitGroup
	for i := 1; i < len(orgs); i++ {
		wg.Go(func() { endorse(i) })
	}
	if len(orgs) > 0 {
		endorse(0)
	}
	wg.Wait()
	return out
}

// collection is the endorsements gathered for one proposal: the first
// successful response fixes the payload every other must match, as in
// Fabric's Gateway.
type collection struct {
	s        *Server
	payload  []byte
	endorsed map[string]*peer.ProposalResponse
	failed   map[string]bool
	details  []*gp.ErrorDetail
}

func (s *Server) newCollection() *collection {
	return &collection{s: s, endorsed: map[string]*peer.ProposalResponse{}, failed: map[string]bool{}}
}

// add records o; it returns false when o failed or its payload differs.
func (c *collection) add(o outcome) bool {
	if code, msg, _ := endorserVerdict(o.pr, o.err); code != codes.OK {
		c.s.cfg.Log.Debug("endorse failed", "mspid", o.org, "error", msg)
		c.failed[o.org] = true
		c.details = append(c.details, c.s.detailOf(o.org, msg))
		return false
	}
	if c.payload == nil {
		c.payload = o.pr.GetPayload()
	} else if !bytes.Equal(c.payload, o.pr.GetPayload()) {
		c.s.cfg.Log.Warn("proposal response payloads do not match", "mspid", o.org)
		c.failed[o.org] = true
		c.details = append(c.details, c.s.detailOf(o.org, errPayloadMismatch.Error()))
		return false
	}
	c.endorsed[o.org] = o.pr
	return true
}

// responses returns the responses of orgs, or false when one is missing.
func (c *collection) responses(orgs []string) ([]*peer.ProposalResponse, bool) {
	out := make([]*peer.ProposalResponse, 0, len(orgs))
	for _, o := range orgs {
		pr, ok := c.endorsed[o]
		if !ok {
			return nil, false
		}
		out = append(out, pr)
	}
	return out, true
}

// complete tries the layouts in order, as Fabric's Gateway does: it skips
// a layout with an organisation that already failed, endorses in parallel
// on the organisations of the layout not endorsed yet, and returns the
// responses of the first layout whose organisations all endorsed alike.
func (c *collection) complete(ctx context.Context, sp *peer.SignedProposal, layouts [][]string) ([]*peer.ProposalResponse, error) {
	for _, lo := range layouts {
		if slices.ContainsFunc(lo, func(o string) bool { return c.failed[o] }) {
			continue
		}
		var todo []string
		for _, o := range lo {
			if _, ok := c.endorsed[o]; !ok {
				todo = append(todo, o)
			}
		}
		for _, o := range c.s.endorseOn(ctx, sp, todo) {
			c.add(o)
		}
		if err := ctx.Err(); err != nil {
			return nil, rpcError(codes.DeadlineExceeded, "endorsement timeout expired while collecting endorsements")
		}
		if prs, ok := c.responses(lo); ok {
			return prs, nil
		}
	}
	return nil, rpcError(codes.Aborted, "failed to collect enough transaction endorsements, see attached details for more info", c.details...)
}

// members returns the organisations of channel: Config.Members's, or the
// organisations with a peer here.
func (s *Server) members(channel string) ([]string, error) {
	if s.cfg.Members != nil {
		ms, err := s.cfg.Members(channel)
		if err != nil {
			return nil, fmt.Errorf("members of channel %s: %w", channel, err)
		}
		return ms, nil
	}
	orgs := map[string]bool{s.cfg.MSPID: true}
	for o := range s.cfg.Peers {
		orgs[o] = true
	}
	return slices.Sorted(maps.Keys(orgs)), nil
}

// plannable returns the channel's organisations that have a peer in this
// process, in the channel's order.
func (s *Server) plannable(members []string) []string {
	var orgs []string
	for _, m := range members {
		if _, ok := s.peerOf(m); ok {
			orgs = append(orgs, m)
		}
	}
	return orgs
}

// channelPeers returns the organisations of channel that have a peer in
// this process, in the channel's order, as Fabric's Gateway considers only
// the peers discovery finds on the channel. Without Peers it is the
// gateway's own organisation, and Members is not asked.
func (s *Server) channelPeers(channel string) ([]string, error) {
	if s.cfg.Peers == nil {
		return s.plannable([]string{s.cfg.MSPID}), nil
	}
	members, err := s.members(channel)
	if err != nil {
		return nil, err
	}
	return s.plannable(members), nil
}

// needs is what a proposal's writes need of its endorsers.
type needs struct {
	// policies must all be satisfied.
	policies []*common.SignaturePolicyEnvelope
	// readers, when not nil, are the only organisations that may endorse:
	// the members of every collection the chaincode read.
	readers map[string]bool
	// trusted, when not nil, narrows readers to the members of every
	// collection touched, so that transient data reaches only them.
	trusted map[string]bool
	// protected are the collections that narrowed readers to trusted.
	protected []string
}

// allow narrows a set of organisations (nil: all) to members.
func allow(set map[string]bool, members []string) map[string]bool {
	out := map[string]bool{}
	for _, m := range members {
		if set == nil || set[m] {
			out[m] = true
		}
	}
	return out
}

// needsOf returns what the proposal's writes need, as Fabric's discovery
// reads a ChaincodeInterest: for each chaincode called, its endorsement
// policy (unless DisregardNamespacePolicy), the endorsement policy of each
// collection touched (one peer of its organisation for an implicit
// collection, the chaincode's when the collection has none) and the
// key-level policies; endorsers among the members of the collections
// read, and with transient data of all the collections touched. An
// interest naming no chaincode stands for the chaincode cc alone. System
// chaincodes need one member's peer.
func (s *Server) needsOf(l *ledger.Ledger, cc string, members []string, interest *peer.ChaincodeInterest, transient bool) (*needs, error) {
	calls := interest.GetChaincodes()
	if len(calls) == 0 {
		calls = []*peer.ChaincodeCall{{Name: cc}}
	}
	n := &needs{}
	for _, call := range calls {
		if slices.Contains(s.cfg.SystemChaincodes, call.GetName()) {
			n.policies = append(n.policies, identity.AnyMember(members...))
			continue
		}
		def, err := l.ChaincodeDefinition(call.GetName())
		if err != nil {
			return nil, fmt.Errorf("chaincode %s: %w", call.GetName(), err)
		}
		ccPolicy, err := endorsementPolicy(def.EndorsementPolicy, members)
		if err != nil {
			return nil, fmt.Errorf("chaincode %s: %w", call.GetName(), err)
		}
		for _, name := range call.GetCollectionNames() {
			p, err := collectionPolicy(def, name, members)
			if err != nil {
				return nil, fmt.Errorf("chaincode %s: %w", call.GetName(), err)
			}
			if p == nil {
				p = ccPolicy
			}
			n.policies = append(n.policies, p)
			owners := collectionMembers(def, name)
			if !call.GetNoPrivateReads() {
				n.readers = allow(n.readers, owners)
				n.trusted = allow(n.trusted, owners)
			} else if transient {
				n.trusted = allow(n.trusted, owners)
				n.protected = append(n.protected, name)
			}
		}
		n.policies = append(n.policies, call.GetKeyPolicies()...)
		if len(call.GetCollectionNames()) == 0 && !call.GetDisregardNamespacePolicy() {
			n.policies = append(n.policies, ccPolicy)
		}
	}
	return n, nil
}

// among returns the orgs in set (nil: all of them).
func among(orgs []string, set map[string]bool) []string {
	if set == nil {
		return orgs
	}
	var out []string
	for _, o := range orgs {
		if set[o] {
			out = append(out, o)
		}
	}
	return out
}

// collectionMembers returns the member organisations of collection name of
// def: those its member orgs policy names, or the organisation of an
// implicit collection.
func collectionMembers(def *ledger.ChaincodeDefinition, name string) []string {
	if org, ok := strings.CutPrefix(name, ledger.ImplicitCollectionPrefix); ok {
		return []string{org}
	}
	for _, c := range def.Collections.GetConfig() {
		if sc := c.GetStaticCollectionConfig(); sc.GetName() == name {
			return identity.PolicyOrgs(sc.GetMemberOrgsPolicy().GetSignaturePolicy())
		}
	}
	return nil
}

// endorsementPolicy resolves a definition's policy to a signature policy:
// a signature policy as given, the channel's Endorsement and
// LifecycleEndorsement references as MAJORITY of the members, no policy
// (an lscc definition) as any one member.
func endorsementPolicy(p *peer.ApplicationPolicy, members []string) (*common.SignaturePolicyEnvelope, error) {
	switch t := p.GetType().(type) {
	case nil:
		return identity.AnyMember(members...), nil
	case *peer.ApplicationPolicy_SignaturePolicy:
		return t.SignaturePolicy, nil
	case *peer.ApplicationPolicy_ChannelConfigPolicyReference:
		switch t.ChannelConfigPolicyReference {
		case identity.EndorsementRef, identity.LifecycleEndorsementRef:
			return identity.Majority(members...), nil
		}
		return nil, fmt.Errorf("channel policy reference %q is not supported: use %s, %s or a signature policy", t.ChannelConfigPolicyReference, identity.EndorsementRef, identity.LifecycleEndorsementRef)
	}
	return nil, fmt.Errorf("unknown application policy type %T", p.GetType())
}

// collectionPolicy returns the endorsement policy of collection name of
// def, or nil when the collection has none. An organisation's implicit
// collection that def does not define needs that organisation's
// Endorsement policy, one of its peers, as the validator requires
// whatever the chaincode's policy.
func collectionPolicy(def *ledger.ChaincodeDefinition, name string, members []string) (*common.SignaturePolicyEnvelope, error) {
	for _, c := range def.Collections.GetConfig() {
		sc := c.GetStaticCollectionConfig()
		if sc.GetName() != name {
			continue
		}
		if sc.GetEndorsementPolicy() == nil {
			return nil, nil
		}
		p, err := endorsementPolicy(sc.GetEndorsementPolicy(), members)
		if err != nil {
			return nil, fmt.Errorf("collection %s: %w", name, err)
		}
		return p, nil
	}
	if org, ok := strings.CutPrefix(name, ledger.ImplicitCollectionPrefix); ok && org != "" {
		return orgPeer(org), nil
	}
	return nil, nil
}

// orgPeer is OR('<org>.peer'): the test network's Endorsement policy of
// one organisation.
func orgPeer(org string) *common.SignaturePolicyEnvelope {
	return &common.SignaturePolicyEnvelope{
		Rule:       identity.NOutOf(1, identity.SignedBy(0)),
		Identities: []*msp.MSPPrincipal{identity.RolePrincipal(org, msp.MSPRole_PEER)},
	}
}
