package syscc

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"

	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	lb "github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/protobuf/proto"
)

// params are the fields of a definition that organisations approve (all
// but the name and the sequence, which are part of the approval's key).
type params struct {
	version             string
	endorsementPlugin   string
	validationPlugin    string
	validationParameter []byte
	collections         *peer.CollectionConfigPackage
	initRequired        bool
}

// definitionArgs are the fields the approve, check and commit Args share.
type definitionArgs interface {
	GetSequence() int64
	GetName() string
	GetVersion() string
	GetEndorsementPlugin() string
	GetValidationPlugin() string
	GetValidationParameter() []byte
	GetCollections() *peer.CollectionConfigPackage
	GetInitRequired() bool
}

// newParams validates a definition's name, version, policy and collections
// and fills Fabric's defaults.
func newParams(in definitionArgs) (params, error) {
	name, version := in.GetName(), in.GetVersion()
	if !namePattern.MatchString(name) {
		return params{}, fmt.Errorf("error validating chaincode definition: invalid chaincode name '%s'. Names can only consist of alphanumerics, '_', and '-' and can only begin with alphanumerics", name)
	}
	if slices.Contains(reserved, name) {
		return params{}, fmt.Errorf("error validating chaincode definition: chaincode name '%s' is the name of a system chaincode", name)
	}
	if !versionPattern.MatchString(version) {
		return params{}, fmt.Errorf("error validating chaincode definition: invalid chaincode version '%s'. Versions can only consist of alphanumerics, '_', '-', '+', and '.'", version)
	}
	if err := ledger.ValidateCollections(in.GetCollections()); err != nil {
		return params{}, fmt.Errorf("error validating chaincode definition: collections of %s: %w", name, err)
	}
	p := params{
		version: version, endorsementPlugin: in.GetEndorsementPlugin(), validationPlugin: in.GetValidationPlugin(),
		validationParameter: in.GetValidationParameter(), collections: in.GetCollections(), initRequired: in.GetInitRequired(),
	}
	if p.collections == nil {
		p.collections = &peer.CollectionConfigPackage{}
	}
	if p.endorsementPlugin == "" {
		p.endorsementPlugin = defaultEndorsementPlugin
	}
	if p.validationPlugin == "" {
		p.validationPlugin = defaultValidationPlugin
	}
	if len(p.validationParameter) == 0 {
		b, err := proto.Marshal(&peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_ChannelConfigPolicyReference{ChannelConfigPolicyReference: DefaultEndorsementPolicyRef}})
		if err != nil {
			return params{}, fmt.Errorf("marshal the default endorsement policy: %w", err)
		}
		p.validationParameter = b
	}
	if _, err := p.policy(); err != nil {
		return params{}, err
	}
	return p, nil
}

// policy decodes the validation parameter: an ApplicationPolicy holding a
// signature policy or a channel policy reference.
func (p params) policy() (*peer.ApplicationPolicy, error) {
	ap := &peer.ApplicationPolicy{}
	if err := proto.Unmarshal(p.validationParameter, ap); err != nil {
		return nil, fmt.Errorf("error validating chaincode definition: the validation parameter (endorsement policy) is not an ApplicationPolicy: %w", err)
	}
	if ap.GetSignaturePolicy() == nil && ap.GetChannelConfigPolicyReference() == "" {
		return nil, errors.New("error validating chaincode definition: the endorsement policy names neither a signature policy nor a channel policy: give --signature-policy or --channel-config-policy")
	}
	return ap, nil
}

// The fields of an approval, in Fabric's order, and their data types.
const (
	fieldEndorsementInfo = "EndorsementInfo"
	fieldValidationInfo  = "ValidationInfo"
	fieldCollections     = "Collections"
	fieldPackageID       = "PackageID"
	typeParameters       = "ChaincodeParameters"
	typeLocalPackage     = "ChaincodeLocalPackage"
)

// privateName is the name of an approval: name#sequence.
func privateName(name string, sequence int64) string { return fmt.Sprintf("%s#%d", name, sequence) }

// Keys of an approval in an implicit collection, laid out as Fabric lays
// them out.
func metadataKey(prefix, pname string) string     { return prefix + "/metadata/" + pname }
func fieldKey(prefix, pname, field string) string { return prefix + "/fields/" + pname + "/" + field }
func implicitCollection(mspID string) string      { return ledger.ImplicitCollectionPrefix + mspID }
func stateBytes(b []byte) *lb.StateData           { return &lb.StateData{Type: &lb.StateData_Bytes{Bytes: b}} }
func stateString(s string) *lb.StateData {
	return &lb.StateData{Type: &lb.StateData_String_{String_: s}}
}
func stateMetadata(typ string, f ...string) proto.Message {
	return &lb.StateMetadata{Datatype: typ, Fields: f}
}

// entries returns the private key-value pairs that record the approval of
// p, with packageID, as name#sequence.
func (p params) entries(name string, sequence int64, packageID string) (map[string][]byte, error) {
	pn := privateName(name, sequence)
	coll := p.collections
	fields := []struct {
		key string
		msg proto.Message
	}{
		{metadataKey("namespaces", pn), stateMetadata(typeParameters, fieldEndorsementInfo, fieldValidationInfo, fieldCollections)},
		{fieldKey("namespaces", pn, fieldEndorsementInfo), nil},
		{fieldKey("namespaces", pn, fieldValidationInfo), nil},
		{fieldKey("namespaces", pn, fieldCollections), nil},
		{metadataKey("chaincode-sources", pn), stateMetadata(typeLocalPackage, fieldPackageID)},
		{fieldKey("chaincode-sources", pn, fieldPackageID), stateString(packageID)},
	}
	inner := []proto.Message{
		&lb.ChaincodeEndorsementInfo{Version: p.version, InitRequired: p.initRequired, EndorsementPlugin: p.endorsementPlugin},
		&lb.ChaincodeValidationInfo{ValidationPlugin: p.validationPlugin, ValidationParameter: p.validationParameter},
		coll,
	}
	mo := proto.MarshalOptions{Deterministic: true}
	for i, m := range inner {
		b, err := mo.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("marshal %s of %s: %w", fields[i+1].key, pn, err)
		}
		fields[i+1].msg = stateBytes(b)
	}
	out := make(map[string][]byte, len(fields))
	for _, f := range fields {
		b, err := mo.Marshal(f.msg)
		if err != nil {
			return nil, fmt.Errorf("marshal %s: %w", f.key, err)
		}
		out[f.key] = b
	}
	return out, nil
}

// parameterKeys are the keys of the approved parameters (not the package),
// with the item name CheckCommitReadiness reports for a mismatch.
func parameterKeys(name string, sequence int64) [][2]string {
	pn := privateName(name, sequence)
	return [][2]string{
		{metadataKey("namespaces", pn), "Metadata"},
		{fieldKey("namespaces", pn, fieldEndorsementInfo), fieldEndorsementInfo},
		{fieldKey("namespaces", pn, fieldValidationInfo), fieldValidationInfo},
		{fieldKey("namespaces", pn, fieldCollections), fieldCollections},
	}
}

// approval is an organisation's approval as read back from its implicit
// collection.
type approval struct {
	params    params
	packageID string
}

// readApproval reads the approval of name#sequence by mspID from its
// implicit collection (clear data: the peer's own organisation only); nil
// when there is none.
func readApproval(sim *ledger.Simulator, mspID, name string, sequence int64) (*approval, error) {
	coll, pn := implicitCollection(mspID), privateName(name, sequence)
	get := func(key string, m proto.Message) (bool, error) {
		b, err := sim.GetPrivateData(ledger.LifecycleNamespace, coll, key)
		if err != nil || b == nil {
			return false, err
		}
		if err := proto.Unmarshal(b, m); err != nil {
			return false, fmt.Errorf("approval %s of %s: decode %s: %w", pn, mspID, key, err)
		}
		return true, nil
	}
	var md lb.StateMetadata
	if ok, err := get(metadataKey("namespaces", pn), &md); err != nil || !ok {
		return nil, err
	}
	var a approval
	var ei lb.ChaincodeEndorsementInfo
	var vi lb.ChaincodeValidationInfo
	cp := &peer.CollectionConfigPackage{}
	for _, f := range []struct {
		field string
		m     proto.Message
	}{{fieldEndorsementInfo, &ei}, {fieldValidationInfo, &vi}, {fieldCollections, cp}} {
		var sd lb.StateData
		if _, err := get(fieldKey("namespaces", pn, f.field), &sd); err != nil {
			return nil, err
		}
		if err := proto.Unmarshal(sd.GetBytes(), f.m); err != nil {
			return nil, fmt.Errorf("approval %s of %s: decode %s: %w", pn, mspID, f.field, err)
		}
	}
	a.params = params{version: ei.GetVersion(), initRequired: ei.GetInitRequired(), endorsementPlugin: ei.GetEndorsementPlugin(),
		validationPlugin: vi.GetValidationPlugin(), validationParameter: vi.GetValidationParameter(), collections: cp}
	var sd lb.StateData
	if _, err := get(fieldKey("chaincode-sources", pn, fieldPackageID), &sd); err != nil {
		return nil, err
	}
	a.packageID = sd.GetString_()
	return &a, nil
}

// equal compares the parameters as their recorded bytes do.
func (p params) equal(o params) bool {
	a, err1 := p.entries("x", 1, "")
	b, err2 := o.entries("x", 1, "")
	if err1 != nil || err2 != nil {
		return false
	}
	for k, v := range a {
		if string(b[k]) != string(v) {
			return false
		}
	}
	return true
}

// mismatches names the items of p that differ from the committed
// definition def, as Fabric's redefinition error lists them.
func (p params) mismatches(def *ledger.ChaincodeDefinition) []string {
	committed := paramsOf(def)
	var out []string
	if p.version != committed.version || p.initRequired != committed.initRequired || p.endorsementPlugin != committed.endorsementPlugin {
		out = append(out, fieldEndorsementInfo)
	}
	if p.validationPlugin != committed.validationPlugin || !proto.Equal(mustPolicy(p), mustPolicy(committed)) {
		out = append(out, fieldValidationInfo)
	}
	if !proto.Equal(p.collections, committed.collections) {
		out = append(out, fieldCollections)
	}
	return out
}

func mustPolicy(p params) *peer.ApplicationPolicy {
	ap, err := p.policy()
	if err != nil {
		return nil
	}
	return ap
}

// paramsOf returns the parameters of a committed _lifecycle definition.
func paramsOf(def *ledger.ChaincodeDefinition) params {
	vp, _ := proto.MarshalOptions{Deterministic: true}.Marshal(def.EndorsementPolicy)
	coll := def.Collections
	if coll == nil {
		coll = &peer.CollectionConfigPackage{}
	}
	return params{version: def.Version, endorsementPlugin: def.EndorsementPlugin, validationPlugin: def.ValidationPlugin,
		validationParameter: vp, collections: coll, initRequired: def.InitRequired}
}

// committed returns the committed _lifecycle definition of name (nil when
// there is none, or only an lscc one), recording the read.
func committed(sim *ledger.Simulator, name string) (*ledger.ChaincodeDefinition, error) {
	def, err := sim.GetChaincodeDefinition(name)
	switch {
	case errors.Is(err, ledger.ErrChaincodeNotDefined):
		return nil, nil
	case err != nil:
		return nil, err
	case def.Sequence == 0:
		return nil, nil
	}
	return def, nil
}

// approve records the peer's organisation's approval, under Fabric's
// sequence rules.
func (c *LifecycleChaincode) approve(inv *Invocation, in *lb.ApproveChaincodeDefinitionForMyOrgArgs) (proto.Message, *ledger.SimulationResults, error) {
	p, err := newParams(in)
	if err != nil {
		return nil, nil, err
	}
	var packageID string
	switch s := in.GetSource().GetType().(type) {
	case *lb.ChaincodeSource_LocalPackage:
		packageID = s.LocalPackage.GetPackageId()
	case *lb.ChaincodeSource_Unavailable_, nil:
	default:
		return nil, nil, fmt.Errorf("chaincode source type %T is not known: give --package-id or none", s)
	}
	name, seq, l := in.GetName(), in.GetSequence(), inv.Ledger
	sim, err := l.NewSimulatorAt(c.OrgMSPID, inv.Proposal.TxID(), inv.Proposal.Creator.MSPID())
	if err != nil {
		return nil, nil, err
	}
	defer sim.Done()
	def, err := committed(sim, name)
	if err != nil {
		return nil, nil, err
	}
	if err := checkCollectionUpgrade(def, p.collections); err != nil {
		return nil, nil, fmt.Errorf("error validating chaincode definition: %w", err)
	}
	var current int64
	if def != nil {
		current = def.Sequence
	}
	switch {
	case seq == 0 && current == 0:
		return nil, nil, errors.New("requested sequence is 0, but first definable sequence number is 1")
	case seq < current:
		return nil, nil, fmt.Errorf("currently defined sequence %d is larger than requested sequence %d", current, seq)
	case seq > current+1:
		return nil, nil, fmt.Errorf("requested sequence %d is larger than the next available sequence number %d", seq, current+1)
	}
	prev, err := readApproval(sim, c.OrgMSPID, name, seq)
	if err != nil {
		return nil, nil, err
	}
	unchanged := prev != nil && prev.params.equal(p) && prev.packageID == packageID
	if seq == current {
		if mm := p.mismatches(def); len(mm) > 0 {
			return nil, nil, fmt.Errorf("attempted to redefine the current committed sequence (%d) for namespace %s with different parameters: %v differ", current, name, mm)
		}
		if unchanged {
			return nil, nil, fmt.Errorf("attempted to redefine the current committed sequence (%d) for namespace %s", current, name)
		}
	} else if unchanged {
		return nil, nil, fmt.Errorf("attempted to redefine uncommitted sequence (%d) for namespace %s with unchanged content", seq, name)
	}
	entries, err := p.entries(name, seq, packageID)
	if err != nil {
		return nil, nil, err
	}
	coll := implicitCollection(c.OrgMSPID)
	for k, v := range entries {
		if err := sim.SetPrivateData(ledger.LifecycleNamespace, coll, k, v); err != nil {
			return nil, nil, fmt.Errorf("could not serialize chaincode parameters to state: %w", err)
		}
	}
	sim.Done()
	res, err := sim.Results()
	if err != nil {
		return nil, nil, err
	}
	c.Log.Info("chaincode approval endorsed; it takes effect when the transaction commits",
		"channel", l.ChannelID(), "name", name, "sequence", seq, "package_id", packageID, "org", c.OrgMSPID)
	return &lb.ApproveChaincodeDefinitionForMyOrgResult{}, res, nil
}

func (c *LifecycleChaincode) queryApproved(inv *Invocation, in *lb.QueryApprovedChaincodeDefinitionArgs) (proto.Message, error) {
	name, seq, l := in.GetName(), in.GetSequence(), inv.Ledger
	sim, err := l.NewSimulatorAt(c.OrgMSPID, inv.Proposal.TxID(), inv.Proposal.Creator.MSPID())
	if err != nil {
		return nil, err
	}
	defer sim.Done()
	if seq == 0 {
		def, err := committed(sim, name)
		if err != nil {
			return nil, err
		}
		if def != nil {
			seq = def.Sequence
		}
		next, err := readApproval(sim, c.OrgMSPID, name, seq+1)
		if err != nil {
			return nil, err
		}
		if next != nil {
			seq++
		}
	}
	a, err := readApproval(sim, c.OrgMSPID, name, seq)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, fmt.Errorf("could not fetch approved chaincode definition (name: '%s', sequence: '%d') on channel '%s'", name, seq, l.ChannelID())
	}
	src := a.source()
	return &lb.QueryApprovedChaincodeDefinitionResult{
		Sequence: seq, Version: a.params.version, EndorsementPlugin: a.params.endorsementPlugin, ValidationPlugin: a.params.validationPlugin,
		ValidationParameter: a.params.validationParameter, Collections: a.params.collections, InitRequired: a.params.initRequired, Source: src,
	}, nil
}

// queryAllApproved lists every approval of the peer's organisation on the
// channel, by name and then sequence.
func (c *LifecycleChaincode) queryAllApproved(inv *Invocation) (proto.Message, error) {
	sim, err := inv.Ledger.NewSimulatorAt(c.OrgMSPID, inv.Proposal.TxID(), inv.Proposal.Creator.MSPID())
	if err != nil {
		return nil, err
	}
	defer sim.Done()
	refs, err := approvalRefs(sim, c.OrgMSPID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(refs, func(a, b approvalRef) int { return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.seq, b.seq)) })
	out := &lb.QueryApprovedChaincodeDefinitionsResult{ApprovedChaincodeDefinitions: []*lb.QueryApprovedChaincodeDefinitionsResult_ApprovedChaincodeDefinition{}}
	for _, r := range refs {
		a, err := readApproval(sim, c.OrgMSPID, r.name, r.seq)
		if err != nil || a == nil {
			return nil, fmt.Errorf("approval %s: %w", privateName(r.name, r.seq), err)
		}
		out.ApprovedChaincodeDefinitions = append(out.ApprovedChaincodeDefinitions, &lb.QueryApprovedChaincodeDefinitionsResult_ApprovedChaincodeDefinition{
			Name: r.name, Sequence: r.seq, Version: a.params.version, EndorsementPlugin: a.params.endorsementPlugin,
			ValidationPlugin: a.params.validationPlugin, ValidationParameter: a.params.validationParameter,
			Collections: a.params.collections, InitRequired: a.params.initRequired, Source: a.source(),
		})
	}
	return out, nil
}

// source is the approval's package as Fabric reports it.
func (a *approval) source() *lb.ChaincodeSource {
	if a.packageID == "" {
		return &lb.ChaincodeSource{Type: &lb.ChaincodeSource_Unavailable_{Unavailable: &lb.ChaincodeSource_Unavailable{}}}
	}
	return &lb.ChaincodeSource{Type: &lb.ChaincodeSource_LocalPackage{LocalPackage: &lb.ChaincodeSource_Local{PackageId: a.packageID}}}
}

// readiness checks that in, with its validated parameters p, is the next
// sequence of its chaincode and reports the organisations' approvals of it.
func (c *LifecycleChaincode) readiness(channel string, sim *ledger.Simulator, in definitionArgs, p params) (map[string]bool, map[string][]string, error) {
	name, seq := in.GetName(), in.GetSequence()
	def, err := committed(sim, name)
	if err != nil {
		return nil, nil, err
	}
	var current int64
	if def != nil {
		current = def.Sequence
	}
	if seq != current+1 {
		return nil, nil, fmt.Errorf("requested sequence is %d, but new definition must be sequence %d", seq, current+1)
	}
	return c.orgApprovals(channel, sim, name, seq, p)
}

// orgApprovals reports, per organisation of the channel, whether it
// approved exactly p as name#seq, comparing the hashes of its implicit
// collection (as any peer can), and which items differ when it did not.
func (c *LifecycleChaincode) orgApprovals(channel string, sim *ledger.Simulator, name string, seq int64, p params) (map[string]bool, map[string][]string, error) {
	want, err := p.entries(name, seq, "")
	if err != nil {
		return nil, nil, err
	}
	approvals, mismatches := map[string]bool{}, map[string][]string{}
	members, err := c.Members(channel)
	if err != nil {
		return nil, nil, err
	}
	for _, org := range members {
		var items []string
		for _, k := range parameterKeys(name, seq) {
			h, err := sim.GetPrivateDataHash(ledger.LifecycleNamespace, implicitCollection(org), k[0])
			if err != nil {
				return nil, nil, fmt.Errorf("serialization check failed for key %s: %w", privateName(name, seq), err)
			}
			if string(h) != string(hashOf(want[k[0]])) {
				items = append(items, k[1])
			}
		}
		approvals[org] = len(items) == 0
		if len(items) > 0 {
			mismatches[org] = items
		}
	}
	return approvals, mismatches, nil
}

func (c *LifecycleChaincode) checkCommitReadiness(inv *Invocation, in *lb.CheckCommitReadinessArgs) (proto.Message, error) {
	sim, err := inv.Ledger.NewSimulatorAt(c.OrgMSPID, inv.Proposal.TxID(), inv.Proposal.Creator.MSPID())
	if err != nil {
		return nil, err
	}
	defer sim.Done()
	p, err := newParams(in)
	if err != nil {
		return nil, err
	}
	approvals, mismatches, err := c.readiness(inv.Ledger.ChannelID(), sim, in, p)
	if err != nil {
		return nil, err
	}
	out := &lb.CheckCommitReadinessResult{Approvals: approvals, Mismatches: map[string]*lb.CheckCommitReadinessResult_Mismatches{}}
	for org, items := range mismatches {
		out.Mismatches[org] = &lb.CheckCommitReadinessResult_Mismatches{Items: items}
	}
	return out, nil
}

// commit simulates the write of the definition, refused unless the peer's
// organisation approved it. That a majority of the channel's organisations
// did is the lifecycle endorsement policy's business at validation: the
// transaction needs the endorsements of a majority, each of which checked
// its own organisation's approval.
func (c *LifecycleChaincode) commit(inv *Invocation, in *lb.CommitChaincodeDefinitionArgs) (proto.Message, *ledger.SimulationResults, error) {
	l := inv.Ledger
	sim, err := l.NewSimulatorAt(c.OrgMSPID, inv.Proposal.TxID(), inv.Proposal.Creator.MSPID())
	if err != nil {
		return nil, nil, err
	}
	defer sim.Done()
	p, err := newParams(in)
	if err != nil {
		return nil, nil, err
	}
	prev, err := committed(sim, in.GetName())
	if err != nil {
		return nil, nil, err
	}
	if err := checkCollectionUpgrade(prev, p.collections); err != nil {
		return nil, nil, fmt.Errorf("error validating chaincode definition: %w", err)
	}
	approvals, _, err := c.readiness(l.ChannelID(), sim, in, p)
	if err != nil {
		return nil, nil, err
	}
	// As in Fabric, each endorser checks its own organisation's approval;
	// the majority is the lifecycle endorsement policy's, which validation
	// applies to the commit's endorsements.
	if !approvals[c.OrgMSPID] {
		return nil, nil, fmt.Errorf("chaincode definition not agreed to by this org (%s)", c.OrgMSPID)
	}
	policy, err := p.policy()
	if err != nil {
		return nil, nil, err
	}
	def := &ledger.ChaincodeDefinition{
		Name: in.GetName(), Version: p.version, Sequence: in.GetSequence(), InitRequired: p.initRequired,
		EndorsementPlugin: p.endorsementPlugin, ValidationPlugin: p.validationPlugin, EndorsementPolicy: policy,
	}
	if len(p.collections.GetConfig()) > 0 {
		def.Collections = p.collections
	}
	if err := sim.PutLifecycleDefinition(def); err != nil {
		return nil, nil, fmt.Errorf("could not serialize chaincode definition: %w", err)
	}
	sim.Done()
	res, err := sim.Results()
	if err != nil {
		return nil, nil, err
	}
	// As lscc does at instantiate, the indexes of the package this org
	// approved are defined at endorsement; they serve queries only once
	// the definition commits.
	if err := DefineIndexes(l, c.Store, c.OrgMSPID, def); err != nil {
		c.Log.Warn("could not define CouchDB indexes", "chaincode", def.Name, "sequence", def.Sequence, "error", err)
	}
	c.Log.Info("chaincode definition commit endorsed; it takes effect when the transaction commits",
		"channel", l.ChannelID(), "name", def.Name, "sequence", def.Sequence, "approvals", approved(approvals))
	return &lb.CommitChaincodeDefinitionResult{}, res, nil
}

// checkCollectionUpgrade applies Fabric's rules for the collections of a
// new sequence: every committed collection stays, with its BlockToLive.
func checkCollectionUpgrade(prev *ledger.ChaincodeDefinition, next *peer.CollectionConfigPackage) error {
	if prev == nil || len(prev.Collections.GetConfig()) == 0 {
		return nil
	}
	if len(next.GetConfig()) == 0 {
		return errors.New("the proposed collection config does not contain previously defined collections")
	}
	proposed := map[string]*peer.StaticCollectionConfig{}
	for _, cc := range next.GetConfig() {
		if sc := cc.GetStaticCollectionConfig(); sc != nil {
			proposed[sc.GetName()] = sc
		}
	}
	for _, cc := range prev.Collections.GetConfig() {
		old := cc.GetStaticCollectionConfig()
		nw, ok := proposed[old.GetName()]
		if !ok {
			return fmt.Errorf("existing collection [%s] missing in the proposed collection configuration", old.GetName())
		}
		if nw.GetBlockToLive() != old.GetBlockToLive() {
			return fmt.Errorf("the BlockToLive in an existing collection [%s] modified. Existing value [%d]", old.GetName(), old.GetBlockToLive())
		}
	}
	return nil
}

func (c *LifecycleChaincode) queryDefinition(inv *Invocation, in *lb.QueryChaincodeDefinitionArgs) (proto.Message, error) {
	sim, err := inv.Ledger.NewSimulatorAt(c.OrgMSPID, inv.Proposal.TxID(), inv.Proposal.Creator.MSPID())
	if err != nil {
		return nil, err
	}
	defer sim.Done()
	def, err := committed(sim, in.GetName())
	if err != nil {
		return nil, err
	}
	if def == nil {
		return nil, &notFoundError{msg: fmt.Sprintf("namespace %s is not defined", in.GetName())}
	}
	p := paramsOf(def)
	approvals, _, err := c.orgApprovals(inv.Ledger.ChannelID(), sim, def.Name, def.Sequence, p)
	if err != nil {
		return nil, err
	}
	return &lb.QueryChaincodeDefinitionResult{
		Sequence: def.Sequence, Version: p.version, EndorsementPlugin: p.endorsementPlugin, ValidationPlugin: p.validationPlugin,
		ValidationParameter: p.validationParameter, Collections: p.collections, InitRequired: p.initRequired, Approvals: approvals,
	}, nil
}

func (c *LifecycleChaincode) queryDefinitions(inv *Invocation) (proto.Message, error) {
	defs, err := inv.Ledger.ChaincodeDefinitions()
	if err != nil {
		return nil, err
	}
	out := &lb.QueryChaincodeDefinitionsResult{ChaincodeDefinitions: []*lb.QueryChaincodeDefinitionsResult_ChaincodeDefinition{}}
	for _, def := range defs {
		if def.Sequence == 0 {
			continue // an lscc definition: Fabric's _lifecycle does not list those
		}
		p := paramsOf(def)
		out.ChaincodeDefinitions = append(out.ChaincodeDefinitions, &lb.QueryChaincodeDefinitionsResult_ChaincodeDefinition{
			Name: def.Name, Sequence: def.Sequence, Version: p.version, EndorsementPlugin: p.endorsementPlugin, ValidationPlugin: p.validationPlugin,
			ValidationParameter: p.validationParameter, Collections: p.collections, InitRequired: p.initRequired,
		})
	}
	return out, nil
}

// hashOf is the hash the ledger keeps of a private value.
func hashOf(b []byte) []byte {
	sum := sha256.Sum256(b)
	return sum[:]
}

// approved lists the organisations whose approval is true, sorted.
func approved(approvals map[string]bool) []string {
	var yes []string
	for org, ok := range approvals {
		if ok {
			yes = append(yes, org)
		}
	}
	slices.Sort(yes)
	return yes
}
