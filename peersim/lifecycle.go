package peersim

import (
	"context"
	"errors"
	"fmt"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// lscc serves the legacy lifecycle system chaincode: install, deploy,
// upgrade, getinstalledchaincodes and getchaincodes.
func (p *Peer) lscc(ctx context.Context, up *identity.UnpackedProposal, l *ledger.Ledger) *peer.ProposalResponse {
	args := up.Input().GetArgs()
	if len(args) == 0 {
		return failure("invalid number of arguments to lscc: 0")
	}
	ccID := &peer.ChaincodeID{Name: lsccName}
	switch fn := string(args[0]); fn {
	case "install":
		pkgID, err := p.install(up, args)
		if err != nil {
			return failure(err.Error())
		}
		return p.endorse(up, nil, ccID, &peer.Response{Status: 200, Payload: []byte(pkgID)}, nil, nil)
	case "deploy", "upgrade":
		return p.instantiate(ctx, up, l, fn == "upgrade")
	case "getinstalledchaincodes":
		var out peer.ChaincodeQueryResponse
		for _, in := range p.store.List() {
			out.Chaincodes = append(out.Chaincodes, p.chaincodeInfo(in.Name, in.Version))
		}
		return p.answer(up, ccID, &out)
	case "getchaincodes":
		if l == nil {
			return failure("getchaincodes needs a channel: name one in the proposal")
		}
		defs, err := definitions(l)
		if err != nil {
			return failure(err.Error())
		}
		var out peer.ChaincodeQueryResponse
		for _, d := range defs {
			out.Chaincodes = append(out.Chaincodes, p.chaincodeInfo(d.Name, d.Version))
		}
		return p.answer(up, ccID, &out)
	default:
		return failure(fmt.Sprintf("invalid function to lscc: %s", fn))
	}
}

// answer endorses a successful system chaincode query whose payload is m.
func (p *Peer) answer(up *identity.UnpackedProposal, ccID *peer.ChaincodeID, m proto.Message) *peer.ProposalResponse {
	b, err := proto.Marshal(m)
	if err != nil {
		return failure(fmt.Sprintf("marshal %s answer: %v", ccID.GetName(), err))
	}
	return p.endorse(up, nil, ccID, &peer.Response{Status: 200, Payload: b}, nil, nil)
}

func (p *Peer) chaincodeInfo(name, version string) *peer.ChaincodeInfo {
	info := &peer.ChaincodeInfo{Name: name, Version: version}
	if in, err := p.store.Get(name, version); err == nil {
		info.Id = []byte(in.PackageID)
		if pkg, err := p.store.Load(name, version); err == nil {
			info.Path = pkg.Metadata.Path
		}
	}
	return info
}

// install stores the package of an lscc install proposal and returns its
// package ID.
func (p *Peer) install(up *identity.UnpackedProposal, args [][]byte) (string, error) {
	if err := isAdmin(up, "install"); err != nil {
		return "", err
	}
	if len(args) != 2 {
		return "", fmt.Errorf("invalid number of arguments to lscc install: %d, want 2 (install, deployment spec)", len(args))
	}
	cds := &peer.ChaincodeDeploymentSpec{}
	if err := proto.Unmarshal(args[1], cds); err != nil {
		return "", fmt.Errorf("invalid deployment spec in lscc install: %w", err)
	}
	id := cds.GetChaincodeSpec().GetChaincodeId()
	if err := validateNameVersion(id.GetName(), id.GetVersion()); err != nil {
		return "", err
	}
	in, err := p.store.Install(id.GetName(), id.GetVersion(), cds.GetCodePackage())
	if err != nil {
		return "", fmt.Errorf("install %s:%s: %w", id.GetName(), id.GetVersion(), err)
	}
	p.log.Info("chaincode installed", "name", in.Name, "version", in.Version, "package_id", in.PackageID)
	return in.PackageID, nil
}

func validateNameVersion(name, version string) error {
	switch name {
	case lsccName, csccName, psccName, qsccName, "escc", "vscc", "_lifecycle":
		return fmt.Errorf("chaincode name %q is reserved for a system chaincode: choose another name", name)
	}
	if err := ccpackage.ValidateName(name); err != nil {
		return err
	}
	return ccpackage.ValidateVersion(version)
}

// instantiate endorses an lscc deploy or upgrade: it waits for the
// chaincode, then simulates the definition write and Init in one
// transaction. The client orders it; the chaincode counts as instantiated
// once that transaction commits VALID.
func (p *Peer) instantiate(ctx context.Context, up *identity.UnpackedProposal, l *ledger.Ledger, upgrade bool) *peer.ProposalResponse {
	what := "deploy"
	if upgrade {
		what = "upgrade"
	}
	if err := isAdmin(up, what); err != nil {
		return failure(err.Error())
	}
	if l == nil {
		return failure(fmt.Sprintf("lscc %s needs a channel: name one in the proposal", what))
	}
	args := up.Input().GetArgs()
	if len(args) < 3 {
		return failure(fmt.Sprintf("invalid number of arguments to lscc %s: %d, want at least 3 (%s, channel, deployment spec)", what, len(args), what))
	}
	if string(args[1]) != l.ChannelID() {
		return failure(fmt.Sprintf("lscc %s for channel %q sent on channel %q: they must be the same", what, args[1], l.ChannelID()))
	}
	cds := &peer.ChaincodeDeploymentSpec{}
	if err := proto.Unmarshal(args[2], cds); err != nil {
		return failure(fmt.Sprintf("invalid deployment spec in lscc %s: %v", what, err))
	}
	spec := cds.GetChaincodeSpec()
	name, version := spec.GetChaincodeId().GetName(), spec.GetChaincodeId().GetVersion()
	if err := validateNameVersion(name, version); err != nil {
		return failure(err.Error())
	}
	def := &ledger.ChaincodeDefinition{Name: name, Version: version}
	env := anyMember(p.msp.IDs())
	if len(args) > 3 && len(args[3]) > 0 {
		env = &common.SignaturePolicyEnvelope{}
		if err := proto.Unmarshal(args[3], env); err != nil {
			return failure(fmt.Sprintf("invalid endorsement policy in lscc %s: %v", what, err))
		}
	}
	def.EndorsementPolicy = &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{SignaturePolicy: env}}
	if len(args) > 6 && len(args[6]) > 0 {
		def.Collections = &peer.CollectionConfigPackage{}
		if err := proto.Unmarshal(args[6], def.Collections); err != nil {
			return failure(fmt.Sprintf("invalid collection configuration in lscc %s: %v", what, err))
		}
	}
	if _, err := p.store.Get(name, version); err != nil {
		return failure(fmt.Sprintf("cannot get package for chaincode (%s:%s): %v", name, version, err))
	}
	existing, err := l.ChaincodeDefinition(name)
	switch {
	case err != nil && !errors.Is(err, ledger.ErrChaincodeNotDefined):
		return failure(err.Error())
	case !upgrade && err == nil:
		return failure(fmt.Sprintf("chaincode with name '%s' already exists", name))
	case upgrade && err != nil:
		return failure(notInstantiated(name))
	case upgrade && existing.Version == version:
		return failure(fmt.Sprintf("version already exists for chaincode with name '%s'", name))
	}
	txID := up.TxID()
	if err := p.ensureConnected(ctx, name, version, true); err != nil {
		return failure(fmt.Sprintf("error in simulation: failed to execute transaction %s: %v", txID, err))
	}

	sim, err := l.NewSimulator(txID, up.Creator.MSPID())
	if err != nil {
		return failure(fmt.Sprintf("error in simulation: %v", err))
	}
	// Read the current definition so that two deploys or upgrades racing
	// each other conflict at commit.
	if _, err := sim.GetChaincodeDefinition(name); err != nil && !errors.Is(err, ledger.ErrChaincodeNotDefined) {
		sim.Done()
		return failure(fmt.Sprintf("error in simulation: %v", err))
	}
	if err := sim.PutChaincodeDefinition(def); err != nil {
		sim.Done()
		return failure(fmt.Sprintf("error in simulation: %v", err))
	}
	input := &peer.ChaincodeInput{Args: spec.GetInput().GetArgs(), Decorations: spec.GetInput().GetDecorations()}
	resp, _, err := p.execute(ctx, name+":"+version, chaincode.ExecuteRequest{
		Type: peer.ChaincodeMessage_INIT, ChannelID: l.ChannelID(), TxID: txID, Namespace: name,
		Input: input, SignedProposal: up.SignedProposal, Simulator: txSimulator{sim},
	})
	sim.Done()
	if err != nil {
		return failure("error in simulation: " + err.Error())
	}
	if resp.GetStatus() >= 400 {
		return failure(fmt.Sprintf("error in simulation: transaction returned with failure: Init of %s:%s returned status %d: %s", name, version, resp.GetStatus(), resp.GetMessage()))
	}
	res, err := sim.Results()
	if err != nil {
		return failure(fmt.Sprintf("error in simulation: %v", err))
	}
	if res.Private != nil || hasCollections(res) {
		return failure("Private data is forbidden to be used in instantiate")
	}
	if err := p.defineIndexesFor(l, name, version); err != nil {
		p.log.Warn("could not define CouchDB indexes", "chaincode", name+":"+version, "error", err)
	}
	p.log.Info("chaincode "+what+" endorsed; it takes effect when the transaction commits",
		"channel", l.ChannelID(), "name", name, "version", version, "txid", txID)
	return p.endorse(up, l, &peer.ChaincodeID{Name: lsccName}, &peer.Response{Status: 200, Message: resp.GetMessage(), Payload: resp.GetPayload()}, res, nil)
}

func hasCollections(res *ledger.SimulationResults) bool {
	for _, ns := range res.Public.GetNsRwset() {
		if len(ns.GetCollectionHashedRwset()) > 0 {
			return true
		}
	}
	return false
}

// definitions lists the chaincode definitions committed on a channel.
func definitions(l *ledger.Ledger) ([]*ledger.ChaincodeDefinition, error) {
	var names []string
	sim, err := l.NewSimulator("peersim-list-definitions", "")
	if err != nil {
		return nil, fmt.Errorf("list chaincode definitions of %s: %w", l.ChannelID(), err)
	}
	it, err := sim.GetStateRangeScanIterator(ledger.LSCCNamespace, "", "")
	if err != nil {
		sim.Done()
		return nil, fmt.Errorf("list chaincode definitions of %s: %w", l.ChannelID(), err)
	}
	for {
		kv, err := it.Next()
		if err != nil {
			it.Close()
			sim.Done()
			return nil, fmt.Errorf("list chaincode definitions of %s: %w", l.ChannelID(), err)
		}
		if kv == nil {
			break
		}
		names = append(names, kv.GetKey())
	}
	it.Close()
	sim.Done()
	defs := make([]*ledger.ChaincodeDefinition, 0, len(names))
	for _, n := range names {
		d, err := l.ChaincodeDefinition(n)
		if err != nil {
			return nil, err
		}
		defs = append(defs, d)
	}
	return defs, nil
}

// defineIndexes hands the ledger the CouchDB indexes of every chaincode
// defined on it (the ledger keeps them in memory only).
func (p *Peer) defineIndexes(l *ledger.Ledger) error {
	defs, err := definitions(l)
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range defs {
		if err := p.defineIndexesFor(l, d.Name, d.Version); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (p *Peer) defineIndexesFor(l *ledger.Ledger, name, version string) error {
	pkg, err := p.store.Load(name, version)
	if err != nil {
		return err
	}
	byColl := map[string][][]byte{}
	for _, ix := range pkg.Indexes {
		byColl[ix.Collection] = append(byColl[ix.Collection], ix.Definition)
	}
	for coll, defs := range byColl {
		if err := l.DefineIndexes(name, coll, defs...); err != nil {
			return fmt.Errorf("indexes of %s:%s (collection %q): %w", name, version, coll, err)
		}
	}
	return nil
}
