package ledger

import (
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// PolicyChecker is what validation needs from the peer's MSP: signature
// checks and policy evaluation. The peer implements it; tests use a fake.
// It must be safe for concurrent use: a block's transactions are checked
// in parallel. Its methods must not modify their arguments (a Policy's
// Application is shared with the ledger's cache of chaincode definitions).
type PolicyChecker interface {
	// CheckCreator verifies that signature is the creator's signature over
	// payload (the envelope's payload bytes). An error makes the transaction
	// BAD_CREATOR_SIGNATURE.
	CheckCreator(creator, payload, signature []byte) error
	// CheckEndorsements verifies each endorsement's signature over
	// prp||endorser and that the endorsers together satisfy p. An error
	// makes the transaction ENDORSEMENT_POLICY_FAILURE.
	CheckEndorsements(p Policy, prp []byte, endorsements []*peer.Endorsement) error
}

// Policy names the policy a set of writes must satisfy.
type Policy struct {
	// Namespace is the chaincode whose writes are being validated.
	Namespace string
	// Collection is set for a collection-level or private key-level policy.
	Collection string
	// Key is set for a key-level (state-based) policy.
	Key string
	// Application is the policy to evaluate: the chaincode's or the
	// collection's endorsement policy, or the key's VALIDATION_PARAMETER
	// (a signature policy). It is nil for the reserved namespaces
	// LSCCNamespace and LifecycleNamespace, whose writes (chaincode
	// definitions, approvals) follow the peer's own lifecycle rule, and for
	// a chaincode defined without a policy.
	Application *peer.ApplicationPolicy
}

// AcceptAllPolicies accepts every signature and endorsement. It is the
// default when Open gets no PolicyChecker.
type AcceptAllPolicies struct{}

// CheckCreator accepts.
func (AcceptAllPolicies) CheckCreator(creator, payload, signature []byte) error { return nil }

// CheckEndorsements accepts.
func (AcceptAllPolicies) CheckEndorsements(Policy, []byte, []*peer.Endorsement) error { return nil }
