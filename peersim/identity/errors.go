package identity

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownMSP is returned when an identity names an MSP ID that the MSP does
// not know.
var ErrUnknownMSP = errors.New("unknown msp")

// ErrInvalidIdentity is returned when a certificate does not chain to the
// MSP's CA, has expired, is not yet valid, or breaks the NodeOU rules.
var ErrInvalidIdentity = errors.New("the supplied identity is not valid")

// ErrInvalidSignature is returned when a signature does not verify against the
// identity that claims it.
var ErrInvalidSignature = errors.New("invalid signature")

// ErrInvalidProposal is returned when a signed proposal is malformed: a missing
// header, a wrong header type, an empty nonce or creator.
var ErrInvalidProposal = errors.New("invalid proposal")

// ErrInvalidTxID is returned when a proposal's txid is not
// hex(SHA-256(nonce ‖ creator)).
var ErrInvalidTxID = errors.New("invalid txid")

// ErrPolicyNotSatisfied is returned (wrapped in a *PolicyError) when a set of
// signatures does not satisfy a signature policy.
var ErrPolicyNotSatisfied = errors.New("signature set did not satisfy policy")

// ErrNoEndorsementLayout is returned by EndorsementLayouts when no set of
// the organisations' peers satisfies the policies.
var ErrNoEndorsementLayout = errors.New("no set of organisations' peers can satisfy the endorsement policy")

// ErrInvalidCollectionConfig is returned by ParseCollectionsJSON for a
// collections_config.json that is not a JSON array of collection objects or
// whose policies do not parse.
var ErrInvalidCollectionConfig = errors.New("invalid collection configuration")

// ErrIdentityExists is returned by IssueIdentity when an identity of that name
// is already on disk.
var ErrIdentityExists = errors.New("identity already exists")

// ErrIdentityNotFound is returned when an identity folder does not exist.
var ErrIdentityNotFound = errors.New("identity not found")

// PolicyError says why a signature policy was not satisfied: what the
// signatures lack, which principals found no matching signature and which
// signatures were ignored (bad signature, unknown MSP, invalid certificate,
// duplicate signer).
type PolicyError struct {
	// Policy is the policy in the peer CLI's language, e.g.
	// OutOf(2, 'Org1MSP.member', 'Org2MSP.member').
	Policy string
	// Unsatisfied lists the principals no usable signature satisfied, in
	// policy order, e.g. 'Org2MSP.peer'.
	Unsatisfied []string
	// Missing says what the signatures lack, e.g. 'Org2MSP.peer',
	// 'Org2MSP.peer' or 'Org3MSP.peer', 2 of ('A.peer', 'B.peer', 'C.peer');
	// empty when a gate asks for more sub-policies than it has.
	Missing string
	// MissingOrgs says whose peers' endorsements would supply Missing, e.g.
	// a peer of Org2MSP or Org3MSP, peers of Org2MSP and Org3MSP; empty
	// unless every missing principal is a peer or member role.
	MissingOrgs string
	// Endorsements says the signatures were a transaction's endorsements
	// (MSP.EvaluateEndorsements).
	Endorsements bool
	// Ignored lists, one line per signature, why it could not be used.
	Ignored []string
}

// Error implements error. For endorsements it reads, e.g.:
//
//	endorsement policy AND('Org1MSP.peer', 'Org2MSP.peer') is not satisfied:
//	no valid endorsement by 'Org2MSP.peer': endorse the proposal on a peer
//	of Org2MSP
func (e *PolicyError) Error() string {
	var b strings.Builder
	what := "signature"
	if e.Endorsements {
		what = "endorsement"
		fmt.Fprintf(&b, "endorsement policy %s is not satisfied", e.Policy)
	} else {
		fmt.Fprintf(&b, "%s %s", ErrPolicyNotSatisfied, e.Policy)
	}
	switch {
	case e.Missing == "":
		b.WriteString(": a gate's threshold is higher than its number of sub-policies (OutOf(n+1, ...) is never satisfied)")
	default:
		fmt.Fprintf(&b, ": no valid %s by %s", what, e.Missing)
		if e.Endorsements && e.MissingOrgs != "" {
			fmt.Fprintf(&b, ": endorse the proposal on %s", e.MissingOrgs)
		}
	}
	if len(e.Ignored) > 0 {
		fmt.Fprintf(&b, "; ignored %ss: %s", what, strings.Join(e.Ignored, "; "))
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrPolicyNotSatisfied) true.
func (e *PolicyError) Unwrap() error { return ErrPolicyNotSatisfied }

// TxIDError reports a proposal whose txid does not match its nonce and
// creator. Its message is Fabric's: "invalid txid. got [..], expected [..]".
type TxIDError struct {
	Got      string
	Expected string
}

// Error implements error.
func (e *TxIDError) Error() string {
	return fmt.Sprintf("invalid txid. got [%s], expected [%s]", e.Got, e.Expected)
}

// Unwrap makes errors.Is(err, ErrInvalidTxID) true.
func (e *TxIDError) Unwrap() error { return ErrInvalidTxID }
