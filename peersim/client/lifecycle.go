package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
)

// The system chaincodes the client calls.
const (
	// LSCC is Fabric 1.4's legacy lifecycle system chaincode.
	LSCC = "lscc"
	// CSCC is the configuration system chaincode (channels).
	CSCC = "cscc"
	// PSCC is peersim's own system chaincode (the production-mode registry).
	PSCC = "pscc"
	// QSCC is Fabric's ledger query system chaincode (chain height, blocks,
	// transactions).
	QSCC = "qscc"
)

// Install sends a chaincode package (Fabric 2.x format, as ccpackage.Pack
// makes it) to the peer with lscc "install" under name and version, and
// returns the package ID the peer reports. The package is parsed and checked
// first. The signer must be an admin.
func (c *Client) Install(ctx context.Context, name, version string, pkg []byte) (string, error) {
	if err := ccpackage.ValidateName(name); err != nil {
		return "", fmt.Errorf("install: %w", err)
	}
	if err := ccpackage.ValidateVersion(version); err != nil {
		return "", fmt.Errorf("install %s: %w", name, err)
	}
	parsed, err := ccpackage.Parse(pkg)
	if err != nil {
		return "", fmt.Errorf("install %s:%s: the package is not valid: %w", name, version, err)
	}
	cds, err := proto.Marshal(&peer.ChaincodeDeploymentSpec{
		ChaincodeSpec: &peer.ChaincodeSpec{
			Type:        specType(parsed.Metadata.Type),
			ChaincodeId: &peer.ChaincodeID{Name: name, Version: version, Path: parsed.Metadata.Path},
		},
		CodePackage: pkg,
	})
	if err != nil {
		return "", fmt.Errorf("install %s:%s: marshal deployment spec: %w", name, version, err)
	}
	payload, err := c.Evaluate(ctx, systemCall("", LSCC, []byte("install"), cds))
	if err != nil {
		return "", fmt.Errorf("install %s:%s: %w", name, version, err)
	}
	return string(payload), nil
}

// PackageChaincode packages the Go chaincode in dir for Install as
// name:version: a Fabric 2.x package of the Go module around dir labelled
// name_version, as ccpackage.Pack makes it; the same source always gives the
// same bytes. A bad name or version is refused first, with an error wrapping
// ErrInvalidChaincodeName or ErrInvalidChaincodeVersion.
func PackageChaincode(name, version, dir string) ([]byte, error) {
	if err := ccpackage.ValidateName(name); err != nil {
		return nil, err
	}
	if err := ccpackage.ValidateVersion(version); err != nil {
		return nil, err
	}
	return ccpackage.Pack(ccpackage.PackOptions{Dir: dir, Label: ccpackage.Label(name, version)})
}

// PackageID checks pkg as Install does and returns its package ID, the one
// the peer reports when it installs it: the label of its metadata.json, a
// colon and the hex SHA-256 of pkg.
func PackageID(pkg []byte) (string, error) {
	parsed, err := ccpackage.Parse(pkg)
	if err != nil {
		return "", err
	}
	return ccpackage.PackageID(parsed.Metadata.Label, pkg), nil
}

// specType maps a package's metadata type to the ChaincodeSpec type Fabric's
// CLI sends.
func specType(metadataType string) peer.ChaincodeSpec_Type {
	switch metadataType {
	case "node":
		return peer.ChaincodeSpec_NODE
	case "java":
		return peer.ChaincodeSpec_JAVA
	default:
		return peer.ChaincodeSpec_GOLANG
	}
}

// Deployment describes an instantiation or upgrade on a channel.
type Deployment struct {
	// Channel is the channel to deploy on.
	Channel string
	// Name and Version name the installed chaincode.
	Name    string
	Version string
	// Args are the arguments of Init (function name first), as -c gives them.
	Args [][]byte
	// Policy is the endorsement policy; nil leaves it to the peer's default
	// (any member of the channel's organisations), as Fabric's CLI does
	// without -P.
	Policy *common.SignaturePolicyEnvelope
	// Collections are the private data collections; nil for none.
	Collections *peer.CollectionConfigPackage
}

// ParsePolicy parses an endorsement policy for Deployment.Policy, in the
// language of the peer CLI's -P, e.g. "OR('Org1MSP.member', 'Org2MSP.member')"
// (see identity.ParsePolicy).
func ParsePolicy(policy string) (*common.SignaturePolicyEnvelope, error) {
	return identity.ParsePolicy(policy)
}

// ParseCollectionsJSON parses a collections_config.json file for
// Deployment.Collections, as the peer CLI's --collections-config reads it
// (see identity.ParseCollectionsJSON).
func ParseCollectionsJSON(data []byte) (*peer.CollectionConfigPackage, error) {
	return identity.ParseCollectionsJSON(data)
}

// Validate names the first missing field.
func (d Deployment) Validate() error {
	switch {
	case d.Channel == "":
		return errors.New("deployment: Channel is empty: name the channel (-C)")
	case d.Name == "":
		return errors.New("deployment: Name is empty: name the chaincode (-n)")
	case d.Version == "":
		return errors.New("deployment: Version is empty: give the installed version (-v)")
	}
	return nil
}

// Instantiate deploys an installed chaincode on a channel with lscc
// "deploy": the peer runs Init with d.Args and endorses; the client then
// orders the transaction and waits until it is committed VALID (the
// definition and Init's writes commit together). The signer must be an
// admin.
func (c *Client) Instantiate(ctx context.Context, d Deployment) (*Result, error) {
	return c.deploy(ctx, "deploy", d)
}

// Upgrade moves a channel to another installed version of a chaincode with
// lscc "upgrade"; Init runs again with d.Args. Like Instantiate it returns
// once the transaction is committed VALID.
func (c *Client) Upgrade(ctx context.Context, d Deployment) (*Result, error) {
	return c.deploy(ctx, "upgrade", d)
}

func (c *Client) deploy(ctx context.Context, op string, d Deployment) (*Result, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	cds, err := proto.Marshal(&peer.ChaincodeDeploymentSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		Type:        peer.ChaincodeSpec_GOLANG,
		ChaincodeId: &peer.ChaincodeID{Name: d.Name, Version: d.Version},
		Input:       &peer.ChaincodeInput{Args: d.Args},
	}})
	if err != nil {
		return nil, fmt.Errorf("%s %s:%s: marshal deployment spec: %w", op, d.Name, d.Version, err)
	}
	var policy, collections []byte
	if d.Policy != nil {
		if policy, err = proto.Marshal(d.Policy); err != nil {
			return nil, fmt.Errorf("%s %s:%s: marshal endorsement policy: %w", op, d.Name, d.Version, err)
		}
	}
	if d.Collections != nil {
		if collections, err = proto.Marshal(d.Collections); err != nil {
			return nil, fmt.Errorf("%s %s:%s: marshal collections: %w", op, d.Name, d.Version, err)
		}
	}
	inv := systemCall(d.Channel, LSCC, []byte(op), []byte(d.Channel), cds, policy, []byte("escc"), []byte("vscc"), collections)
	res, err := c.Submit(ctx, inv)
	if err != nil {
		return nil, fmt.Errorf("%s %s:%s on channel %q: %w", op, d.Name, d.Version, d.Channel, err)
	}
	return res, nil
}

// InstalledChaincodes lists the chaincodes installed on the peer (lscc
// "getinstalledchaincodes"); each Id holds the package ID.
func (c *Client) InstalledChaincodes(ctx context.Context) ([]*peer.ChaincodeInfo, error) {
	return c.queryChaincodes(ctx, "", "getinstalledchaincodes")
}

// InstantiatedChaincodes lists the chaincodes instantiated on a channel
// (lscc "getchaincodes").
func (c *Client) InstantiatedChaincodes(ctx context.Context, channel string) ([]*peer.ChaincodeInfo, error) {
	if channel == "" {
		return nil, errors.New("list instantiated chaincodes: the channel is empty: name it (-C)")
	}
	return c.queryChaincodes(ctx, channel, "getchaincodes")
}

func (c *Client) queryChaincodes(ctx context.Context, channel, fn string) ([]*peer.ChaincodeInfo, error) {
	payload, err := c.Evaluate(ctx, systemCall(channel, LSCC, []byte(fn)))
	if err != nil {
		return nil, fmt.Errorf("lscc %s: %w", fn, err)
	}
	resp := &peer.ChaincodeQueryResponse{}
	if err := proto.Unmarshal(payload, resp); err != nil {
		return nil, fmt.Errorf("lscc %s: the peer %s answered with something other than a ChaincodeQueryResponse: %w", fn, c.address, err)
	}
	return resp.GetChaincodes(), nil
}

// systemCall is a proposal to a system chaincode, typed GOLANG as Fabric's
// CLI sends it.
func systemCall(channel, chaincode string, args ...[]byte) Invocation {
	return Invocation{
		ChannelID: channel,
		Chaincode: chaincode,
		Type:      peer.ChaincodeSpec_GOLANG,
		Args:      args,
	}
}
