package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	lb "github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/protobuf/proto"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
)

// Lifecycle is Fabric 2.x's lifecycle system chaincode.
const Lifecycle = "_lifecycle"

// Definition is a Fabric 2.x chaincode definition on a channel, as
// `peer lifecycle chaincode approveformyorg`, `checkcommitreadiness` and
// `commit` take it.
type Definition struct {
	// Channel is the channel the definition is for.
	Channel string
	// Name, Version and Sequence identify the definition; Sequence is the
	// committed sequence plus one for a new definition.
	Name     string
	Version  string
	Sequence int64
	// PackageID is the installed package this organisation runs for the
	// definition (ApproveForMyOrg only); empty approves without a package.
	PackageID string
	// SignaturePolicy, or else ChannelConfigPolicy (e.g.
	// "/Channel/Application/Endorsement"), is the endorsement policy; with
	// neither the peer applies the channel's default.
	SignaturePolicy     *common.SignaturePolicyEnvelope
	ChannelConfigPolicy string
	// Collections are the private data collections; nil for none.
	Collections *peer.CollectionConfigPackage
	// InitRequired makes the first invoke an --isInit one.
	InitRequired bool
	// EndorsementPlugin and ValidationPlugin are empty for Fabric's
	// defaults (escc and vscc).
	EndorsementPlugin, ValidationPlugin string
}

// Validate names the first missing field.
func (d Definition) Validate() error {
	switch {
	case d.Channel == "":
		return errors.New("chaincode definition: Channel is empty: name the channel (-C)")
	case d.Name == "":
		return errors.New("chaincode definition: Name is empty: name the chaincode (-n)")
	case d.Version == "":
		return errors.New("chaincode definition: Version is empty: give a version (-v)")
	case d.Sequence < 1:
		return fmt.Errorf("chaincode definition %s: Sequence %d: sequences start at 1 (--sequence)", d.Name, d.Sequence)
	case d.SignaturePolicy != nil && d.ChannelConfigPolicy != "":
		return fmt.Errorf("chaincode definition %s: a signature policy and a channel config policy were both given: give one", d.Name)
	}
	return nil
}

// validationParameter is the marshalled ApplicationPolicy, or nil for the
// channel's default, as Fabric's CLI sends it.
func (d Definition) validationParameter() ([]byte, error) {
	var ap *peer.ApplicationPolicy
	switch {
	case d.SignaturePolicy != nil:
		ap = &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{SignaturePolicy: d.SignaturePolicy}}
	case d.ChannelConfigPolicy != "":
		ap = &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_ChannelConfigPolicyReference{ChannelConfigPolicyReference: d.ChannelConfigPolicy}}
	default:
		return nil, nil
	}
	return proto.Marshal(ap)
}

// PackageLabelled packages the Go chaincode in dir as Fabric 2.x's `peer
// lifecycle chaincode package --label LABEL` does, for InstallPackage.
func PackageLabelled(dir, label string) ([]byte, error) {
	if err := ccpackage.ValidateLabel(label); err != nil {
		return nil, fmt.Errorf("--label %q: %w", label, err)
	}
	return ccpackage.Pack(ccpackage.PackOptions{Dir: dir, Label: label})
}

// InstallPackage installs a Fabric 2.x chaincode package (`peer lifecycle
// chaincode install`) and returns its package ID and label. The signer
// must be an admin.
func (c *Client) InstallPackage(ctx context.Context, pkg []byte) (packageID, label string, err error) {
	if _, err := ccpackage.Parse(pkg); err != nil {
		return "", "", fmt.Errorf("install: the package is not valid: %w", err)
	}
	res := &lb.InstallChaincodeResult{}
	if err := c.lifecycleCall(ctx, "", "InstallChaincode", &lb.InstallChaincodeArgs{ChaincodeInstallPackage: pkg}, res); err != nil {
		return "", "", fmt.Errorf("install: %w", err)
	}
	return res.GetPackageId(), res.GetLabel(), nil
}

// QueryInstalled lists the packages installed on the peer through either
// lifecycle (`peer lifecycle chaincode queryinstalled`). The signer must
// be an admin.
func (c *Client) QueryInstalled(ctx context.Context) ([]*lb.QueryInstalledChaincodesResult_InstalledChaincode, error) {
	res := &lb.QueryInstalledChaincodesResult{}
	if err := c.lifecycleCall(ctx, "", "QueryInstalledChaincodes", &lb.QueryInstalledChaincodesArgs{}, res); err != nil {
		return nil, fmt.Errorf("query installed: %w", err)
	}
	return res.GetInstalledChaincodes(), nil
}

// ApproveForMyOrg approves d for the signer's organisation (`peer
// lifecycle chaincode approveformyorg`): the approval is a transaction,
// and ApproveForMyOrg returns once it is committed VALID. The signer must
// be an admin.
func (c *Client) ApproveForMyOrg(ctx context.Context, d Definition) (*Result, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("approve: %w", err)
	}
	vp, err := d.validationParameter()
	if err != nil {
		return nil, fmt.Errorf("approve %s: marshal endorsement policy: %w", d.Name, err)
	}
	src := &lb.ChaincodeSource{Type: &lb.ChaincodeSource_Unavailable_{Unavailable: &lb.ChaincodeSource_Unavailable{}}}
	if d.PackageID != "" {
		src = &lb.ChaincodeSource{Type: &lb.ChaincodeSource_LocalPackage{LocalPackage: &lb.ChaincodeSource_Local{PackageId: d.PackageID}}}
	}
	args := &lb.ApproveChaincodeDefinitionForMyOrgArgs{
		Sequence: d.Sequence, Name: d.Name, Version: d.Version,
		EndorsementPlugin: d.EndorsementPlugin, ValidationPlugin: d.ValidationPlugin, ValidationParameter: vp,
		Collections: d.Collections, InitRequired: d.InitRequired, Source: src,
	}
	return c.lifecycleSubmit(ctx, d, "approve", "ApproveChaincodeDefinitionForMyOrg", args)
}

// CheckCommitReadiness reports, for each organisation of the channel,
// whether it has approved d (`peer lifecycle chaincode
// checkcommitreadiness`).
func (c *Client) CheckCommitReadiness(ctx context.Context, d Definition) (map[string]bool, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("check commit readiness: %w", err)
	}
	vp, err := d.validationParameter()
	if err != nil {
		return nil, fmt.Errorf("check commit readiness of %s: marshal endorsement policy: %w", d.Name, err)
	}
	args := &lb.CheckCommitReadinessArgs{
		Sequence: d.Sequence, Name: d.Name, Version: d.Version,
		EndorsementPlugin: d.EndorsementPlugin, ValidationPlugin: d.ValidationPlugin, ValidationParameter: vp,
		Collections: d.Collections, InitRequired: d.InitRequired,
	}
	res := &lb.CheckCommitReadinessResult{}
	if err := c.lifecycleCall(ctx, d.Channel, "CheckCommitReadiness", args, res); err != nil {
		return nil, fmt.Errorf("check commit readiness of %s: %w", d.Name, err)
	}
	return res.GetApprovals(), nil
}

// CommitDefinition commits d on its channel (`peer lifecycle chaincode
// commit`) and returns once the transaction is committed VALID.
func (c *Client) CommitDefinition(ctx context.Context, d Definition) (*Result, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	vp, err := d.validationParameter()
	if err != nil {
		return nil, fmt.Errorf("commit %s: marshal endorsement policy: %w", d.Name, err)
	}
	args := &lb.CommitChaincodeDefinitionArgs{
		Sequence: d.Sequence, Name: d.Name, Version: d.Version,
		EndorsementPlugin: d.EndorsementPlugin, ValidationPlugin: d.ValidationPlugin, ValidationParameter: vp,
		Collections: d.Collections, InitRequired: d.InitRequired,
	}
	return c.lifecycleSubmit(ctx, d, "commit", "CommitChaincodeDefinition", args)
}

// QueryCommitted returns the definition of chaincode name committed on
// channel (`peer lifecycle chaincode querycommitted -n NAME`).
func (c *Client) QueryCommitted(ctx context.Context, channel, name string) (*lb.QueryChaincodeDefinitionResult, error) {
	if channel == "" || name == "" {
		return nil, errors.New("query committed: give the channel (-C) and the chaincode name (-n)")
	}
	res := &lb.QueryChaincodeDefinitionResult{}
	if err := c.lifecycleCall(ctx, channel, "QueryChaincodeDefinition", &lb.QueryChaincodeDefinitionArgs{Name: name}, res); err != nil {
		return nil, fmt.Errorf("query committed %s on %s: %w", name, channel, err)
	}
	return res, nil
}

// QueryAllCommitted lists the definitions committed on channel (`peer
// lifecycle chaincode querycommitted` without -n).
func (c *Client) QueryAllCommitted(ctx context.Context, channel string) ([]*lb.QueryChaincodeDefinitionsResult_ChaincodeDefinition, error) {
	if channel == "" {
		return nil, errors.New("query committed: give the channel (-C)")
	}
	res := &lb.QueryChaincodeDefinitionsResult{}
	if err := c.lifecycleCall(ctx, channel, "QueryChaincodeDefinitions", &lb.QueryChaincodeDefinitionsArgs{}, res); err != nil {
		return nil, fmt.Errorf("query committed on %s: %w", channel, err)
	}
	return res.GetChaincodeDefinitions(), nil
}

// lifecycleCall evaluates fn on _lifecycle with args and decodes the
// payload into res.
func (c *Client) lifecycleCall(ctx context.Context, channel, fn string, args, res proto.Message) error {
	in, err := proto.Marshal(args)
	if err != nil {
		return fmt.Errorf("marshal %s arguments: %w", fn, err)
	}
	payload, err := c.Evaluate(ctx, systemCall(channel, Lifecycle, []byte(fn), in))
	if err != nil {
		return err
	}
	if err := proto.Unmarshal(payload, res); err != nil {
		return fmt.Errorf("the peer %s answered %s with something other than a %s: %w", c.address, fn, res.ProtoReflect().Descriptor().Name(), err)
	}
	return nil
}

// lifecycleSubmit submits fn on _lifecycle as a transaction of d's channel.
func (c *Client) lifecycleSubmit(ctx context.Context, d Definition, op, fn string, args proto.Message) (*Result, error) {
	in, err := proto.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("%s %s: marshal arguments: %w", op, d.Name, err)
	}
	res, err := c.Submit(ctx, systemCall(d.Channel, Lifecycle, []byte(fn), in))
	if err != nil {
		return nil, fmt.Errorf("%s %s version %s sequence %d on channel %q: %w", op, d.Name, d.Version, d.Sequence, d.Channel, err)
	}
	return res, nil
}
