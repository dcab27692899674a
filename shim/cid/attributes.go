package cid

import (
	"crypto/x509"
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// attributesOID identifies the certificate extension in which Hyperledger
// Fabric CA stores an identity's attributes.
const attributesOID = "1.2.3.4.5.6.7.8.1"

// certificateAttributes returns the attributes in cert's attributes
// extension (the first one, should there be several), or nil when cert has
// none.
func certificateAttributes(cert *x509.Certificate) (map[string]string, error) {
	for _, ext := range cert.Extensions {
		if ext.Id.String() != attributesOID {
			continue
		}
		if ext.Value == nil {
			return nil, nil
		}
		// Attributes is the body of the extension: {"attrs":{"name":"value"}}.
		// It is named as Fabric's type is, because encoding/json puts the type
		// name into its error texts, and those reach the chaincode.
		type Attributes struct {
			Attrs map[string]string `json:"attrs"`
		}
		var doc Attributes
		if err := json.Unmarshal(ext.Value, &doc); err != nil {
			return nil, fmt.Errorf("failed to unmarshal attributes from certificate: %w", err)
		}
		return doc.Attrs, nil
	}
	return nil, nil
}

// idemixRoleName names an MSP role the way the attribute "role" of an idemix
// identity reports it. Roles an idemix credential does not carry (orderer,
// unknown values) are reported as "", as Fabric does.
func idemixRoleName(role msp.MSPRole_MSPRoleType) string {
	switch role {
	case msp.MSPRole_MEMBER:
		return "member"
	case msp.MSPRole_ADMIN:
		return "admin"
	case msp.MSPRole_CLIENT:
		return "client"
	case msp.MSPRole_PEER:
		return "peer"
	default:
		return ""
	}
}

// idemixAttributes reads idBytes as an msp.SerializedIdemixIdentity and
// returns its organisational unit as the attribute "ou" and its role as the
// attribute "role". Missing fields read as the empty OU and the member role.
func idemixAttributes(idBytes []byte) (map[string]string, error) {
	id := &msp.SerializedIdemixIdentity{}
	if err := proto.Unmarshal(idBytes, id); err != nil {
		return nil, fmt.Errorf("failed to unmarshal transaction invoker's idemix identity: %w", err)
	}
	ou := &msp.OrganizationUnit{}
	if err := proto.Unmarshal(id.GetOu(), ou); err != nil {
		return nil, fmt.Errorf("failed to unmarshal transaction invoker's ou: %w", err)
	}
	role := &msp.MSPRole{}
	if err := proto.Unmarshal(id.GetRole(), role); err != nil {
		return nil, fmt.Errorf("failed to unmarshal transaction invoker's role: %w", err)
	}
	return map[string]string{
		"ou":   ou.GetOrganizationalUnitIdentifier(),
		"role": idemixRoleName(role.GetRole()),
	}, nil
}
