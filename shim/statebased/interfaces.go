// Package statebased builds and edits key-level (state-based) endorsement
// policies, the values a chaincode passes to SetStateValidationParameter and
// SetPrivateDataValidationParameter. It has the same API as
// github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased and produces
// byte-for-byte the same policies.
//
// A policy built here requires one signature from each of its organisations:
// it is a serialized common.SignaturePolicyEnvelope whose rule is an
// N-out-of-N over one MSPRole principal per organisation, the organisations
// sorted by MSP ID.
package statebased

import "fmt"

// RoleType is the role an organisation's endorser must have.
type RoleType string

const (
	// RoleTypeMember accepts any member of the organisation. Use it on
	// channels whose MSPs do not classify identities by node OU.
	RoleTypeMember = RoleType("MEMBER")
	// RoleTypePeer accepts only the organisation's peers. Use it on channels
	// whose MSPs classify identities by node OU.
	RoleTypePeer = RoleType("PEER")
)

// RoleTypeDoesNotExistError is returned by AddOrgs for a role other than
// RoleTypeMember and RoleTypePeer.
type RoleTypeDoesNotExistError struct {
	// RoleType is the role that was asked for.
	RoleType RoleType
}

// Error names the role that does not exist, in Fabric's words.
func (r *RoleTypeDoesNotExistError) Error() string {
	return fmt.Sprintf("role type %s does not exist", r.RoleType)
}

// KeyEndorsementPolicy is a key-level endorsement policy that requires one
// endorsement from each of a set of organisations.
type KeyEndorsementPolicy interface {
	// Policy returns the policy serialized, ready for
	// SetStateValidationParameter.
	Policy() ([]byte, error)

	// AddOrgs adds organisations, by MSP ID, whose endorser must have the
	// role roleType; an organisation already in the policy gets the new role.
	// It returns a *RoleTypeDoesNotExistError, and changes nothing, for an
	// unknown role.
	AddOrgs(roleType RoleType, organizations ...string) error

	// DelOrgs removes organisations, by MSP ID. Removing one that is not in
	// the policy does nothing.
	DelOrgs(organizations ...string)

	// ListOrgs returns the MSP IDs of the organisations in the policy.
	ListOrgs() []string
}
