package identity

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/testing/protocmp"
)

func role(mspID string, r msp.MSPRole_MSPRoleType) *msp.MSPPrincipal { return RolePrincipal(mspID, r) }

func TestParsePolicyBuildsFabricsEnvelope(t *testing.T) {
	member := msp.MSPRole_MEMBER
	tests := []struct {
		name   string
		policy string
		want   *common.SignaturePolicyEnvelope
	}{
		{
			name:   "AND of two members",
			policy: "AND('Org1MSP.member', 'Org2MSP.member')",
			want: &common.SignaturePolicyEnvelope{
				Rule:       NOutOf(2, SignedBy(0), SignedBy(1)),
				Identities: []*msp.MSPPrincipal{role("Org1MSP", member), role("Org2MSP", member)},
			},
		},
		{
			name:   "OR is one out of n",
			policy: "OR('Org1MSP.peer','Org2MSP.client')",
			want: &common.SignaturePolicyEnvelope{
				Rule:       NOutOf(1, SignedBy(0), SignedBy(1)),
				Identities: []*msp.MSPPrincipal{role("Org1MSP", msp.MSPRole_PEER), role("Org2MSP", msp.MSPRole_CLIENT)},
			},
		},
		{
			name:   "OutOf with every role",
			policy: "OutOf(2, 'A.member', 'B.admin', 'C.client', 'D.peer', 'E.orderer')",
			want: &common.SignaturePolicyEnvelope{
				Rule: NOutOf(2, SignedBy(0), SignedBy(1), SignedBy(2), SignedBy(3), SignedBy(4)),
				Identities: []*msp.MSPPrincipal{role("A", member), role("B", msp.MSPRole_ADMIN), role("C", msp.MSPRole_CLIENT),
					role("D", msp.MSPRole_PEER), role("E", msp.MSPRole_ORDERER)},
			},
		},
		{
			name:   "nested gates number their principals before the outer gate's own, as Fabric does",
			policy: "OR('A.member', AND('B.member', 'C.member'))",
			want: &common.SignaturePolicyEnvelope{
				Rule:       NOutOf(1, SignedBy(2), NOutOf(2, SignedBy(0), SignedBy(1))),
				Identities: []*msp.MSPPrincipal{role("B", member), role("C", member), role("A", member)},
			},
		},
		{
			name:   "sibling gates are numbered left to right",
			policy: "OR(AND('A.member', 'B.member'), OR('C.admin', 'D.member'))",
			want: &common.SignaturePolicyEnvelope{
				Rule: NOutOf(1, NOutOf(2, SignedBy(0), SignedBy(1)), NOutOf(1, SignedBy(2), SignedBy(3))),
				Identities: []*msp.MSPPrincipal{role("A", member), role("B", member), role("C", msp.MSPRole_ADMIN),
					role("D", member)},
			},
		},
		{
			name:   "a repeated principal gets its own identity entry",
			policy: "and('A.member', 'A.member')",
			want: &common.SignaturePolicyEnvelope{
				Rule:       NOutOf(2, SignedBy(0), SignedBy(1)),
				Identities: []*msp.MSPPrincipal{role("A", member), role("A", member)},
			},
		},
		{
			name:   "MSP IDs with dots and dashes, double quotes, lowercase gate",
			policy: `or("MSP.WITH.DOTS.member", "MSP-WITH-DASHES.member")`,
			want: &common.SignaturePolicyEnvelope{
				Rule:       NOutOf(1, SignedBy(0), SignedBy(1)),
				Identities: []*msp.MSPPrincipal{role("MSP.WITH.DOTS", member), role("MSP-WITH-DASHES", member)},
			},
		},
		{
			name:   "a quoted threshold",
			policy: "OUTOF('1', 'A.member', 'B.member')",
			want: &common.SignaturePolicyEnvelope{
				Rule:       NOutOf(1, SignedBy(0), SignedBy(1)),
				Identities: []*msp.MSPPrincipal{role("A", member), role("B", member)},
			},
		},
		{
			name:   "t = 0 is accepted (always satisfied)",
			policy: "outof(0, 'A.member')",
			want: &common.SignaturePolicyEnvelope{
				Rule:       NOutOf(0, SignedBy(0)),
				Identities: []*msp.MSPPrincipal{role("A", member)},
			},
		},
		{
			name:   "t = n+1 is accepted (never satisfied)",
			policy: "OutOf(3, 'A.member', 'B.member')",
			want: &common.SignaturePolicyEnvelope{
				Rule:       NOutOf(3, SignedBy(0), SignedBy(1)),
				Identities: []*msp.MSPPrincipal{role("A", member), role("B", member)},
			},
		},
		{
			name:   "whitespace and newlines are ignored",
			policy: "  AND (\n\t'A.member' ,\n 'B.peer' )  ",
			want: &common.SignaturePolicyEnvelope{
				Rule:       NOutOf(2, SignedBy(0), SignedBy(1)),
				Identities: []*msp.MSPPrincipal{role("A", member), role("B", msp.MSPRole_PEER)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePolicy(tt.policy)
			if err != nil {
				t.Fatalf("ParsePolicy: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("envelope mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePolicyRefusesBadPolicies(t *testing.T) {
	tests := []struct {
		name    string
		policy  string
		wantErr string
	}{
		{"an empty policy", "", "policy is empty"},
		{"a bare principal", "'A.member'", "must start with a gate"},
		{"an unquoted principal", "OR('A.member', Bmember)", "unrecognized token 'Bmember' in policy string"},
		{"a principal without a role", "OR('A.member', 'Bmember')", "unrecognized token 'Bmember' in policy string"},
		{"an unknown role", "AND('A.member', 'B.auditor')", "unrecognized token 'B.auditor'"},
		{"a capitalised role", "AND('A.Member')", "unrecognized token 'A.Member'"},
		{"a space in the MSP ID", "AND('Org 1.member')", `MSP ID "Org 1"`},
		{"an unknown gate", "XOR('A.member')", "unrecognized token 'XOR'"},
		{"a mixed-case gate Fabric does not accept", "aNd('A.member')", "unrecognized token 'aNd'"},
		{"a missing parenthesis", "AND('A.member'", "missing ')' to close AND("},
		{"a missing comma", "AND('A.member' 'B.member')", "expected ',' or ')'"},
		{"an empty AND", "AND()", "AND() needs at least one"},
		{"an OutOf without principals", "OutOf(1)", "expected at least two arguments to OutOf"},
		{"a negative threshold", "OutOf(-1, 'A.member', 'B.member')", "invalid t-out-of-n predicate, t -1, n 2"},
		{"a threshold above n+1", "OutOf(4, 'A.member', 'B.member')", "invalid t-out-of-n predicate, t 4, n 2"},
		{"a threshold that is not a number", "OutOf(x, 'A.member')", "integer threshold"},
		{"a boolean threshold", "OutOf(true, 'A.member')", "integer threshold"},
		{"a number as a principal", "OutOf(1, 2)", "unrecognized token '2'"},
		{"an unterminated string", "AND('A.member)", "unterminated string"},
		{"an escape sequence", `AND('A\'.member')`, "escape sequences are not supported"},
		{"trailing text", "AND('A.member') OR('B.member')", "after the end of the policy"},
		{"absurd nesting", strings.Repeat("AND(", 100) + "'A.member'" + strings.Repeat(")", 100), "nested deeper than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := ParsePolicy(tt.policy)
			if err == nil {
				t.Fatalf("ParsePolicy(%q) = %v, want error", tt.policy, env)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "parse policy ") {
				t.Errorf("err = %q does not say it is a policy parse error", err)
			}
		})
	}
}

func TestFormatPolicyRoundTrips(t *testing.T) {
	for _, s := range []string{
		"AND('Org1MSP.member', 'Org2MSP.peer')",
		"OR('Org1MSP.admin', AND('Org2MSP.member', 'Org3MSP.client'))",
		"OutOf(2, 'A.member', 'B.member', 'C.orderer')",
	} {
		t.Run(s, func(t *testing.T) {
			if got := FormatPolicy(MustParsePolicy(s)); got != s {
				t.Errorf("FormatPolicy = %q, want %q", got, s)
			}
		})
	}
}

// signer signs data for a policy test.
type signer interface {
	Serialize() []byte
	Sign([]byte) ([]byte, error)
}

func sign(t *testing.T, s signer, data string) SignedData {
	t.Helper()
	sig, err := s.Sign([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return SignedData{Identity: s.Serialize(), Data: []byte(data), Signature: sig}
}

func TestEvaluatePolicy(t *testing.T) {
	org1 := newTestOrg(t, "Org1MSP", "org1.example.com")
	org2 := newTestOrg(t, "Org2MSP", "org2.example.com")
	org3 := newTestOrg(t, "Org3MSP", "org3.example.com")
	m := mustMSP(t, []MSPConfig{org1.MSPConfig(), org2.MSPConfig()})

	o1User := mustIdentity(t, org1, "User1")
	o1Admin := mustIdentity(t, org1, "Admin")
	o1Peer := org1.Peer()
	o1Alice, err := org1.IssueIdentity("alice", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	o1Boss, err := org1.IssueIdentity("boss", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	o2User := mustIdentity(t, org2, "User1")
	o2Peer := org2.Peer()
	o3User := mustIdentity(t, org3, "User1")

	const data = "the proposal response payload"
	badSig := sign(t, o2User, data)
	badSig.Data = []byte("something else")

	identityPolicy := &common.SignaturePolicyEnvelope{
		Rule:       SignedBy(0),
		Identities: []*msp.MSPPrincipal{IdentityPrincipal(o1Alice.Serialize())},
	}

	tests := []struct {
		name            string
		policy          *common.SignaturePolicyEnvelope
		signed          []SignedData
		wantUnsatisfied []string // nil: satisfied
		wantIgnored     string
	}{
		{
			name:   "AND is satisfied by one member of each org",
			policy: MustParsePolicy("AND('Org1MSP.member', 'Org2MSP.member')"),
			signed: []SignedData{sign(t, o1User, data), sign(t, o2User, data)},
		},
		{
			name:            "AND with one org missing names that org",
			policy:          MustParsePolicy("AND('Org1MSP.member', 'Org2MSP.member')"),
			signed:          []SignedData{sign(t, o1User, data)},
			wantUnsatisfied: []string{"'Org2MSP.member'"},
		},
		{
			name:   "OR is satisfied by either org",
			policy: MustParsePolicy("OR('Org1MSP.member', 'Org2MSP.member')"),
			signed: []SignedData{sign(t, o2Peer, data)},
		},
		{
			name:            "OR with no signature names both principals",
			policy:          MustParsePolicy("OR('Org1MSP.member', 'Org2MSP.member')"),
			wantUnsatisfied: []string{"'Org1MSP.member'", "'Org2MSP.member'"},
		},
		{
			name:   "OutOf(2) is satisfied by two of three",
			policy: MustParsePolicy("OutOf(2, 'Org1MSP.member', 'Org2MSP.member', 'Org1MSP.peer')"),
			signed: []SignedData{sign(t, o1User, data), sign(t, o1Peer, data)},
		},
		{
			name:            "OutOf(2) is not satisfied by one",
			policy:          MustParsePolicy("OutOf(2, 'Org1MSP.member', 'Org2MSP.member', 'Org1MSP.peer')"),
			signed:          []SignedData{sign(t, o1User, data)},
			wantUnsatisfied: []string{"'Org2MSP.member'", "'Org1MSP.peer'"},
		},
		{
			name:   "a peer role needs a peer",
			policy: MustParsePolicy("AND('Org1MSP.peer')"),
			signed: []SignedData{sign(t, o1Peer, data)},
		},
		{
			name:            "a client is not a peer",
			policy:          MustParsePolicy("AND('Org1MSP.peer')"),
			signed:          []SignedData{sign(t, o1User, data)},
			wantUnsatisfied: []string{"'Org1MSP.peer'"},
		},
		{
			name:   "the admin role is satisfied by cryptogen's Admin",
			policy: MustParsePolicy("AND('Org1MSP.admin')"),
			signed: []SignedData{sign(t, o1Admin, data)},
		},
		{
			name:   "the admin role is satisfied by an identity issued as admin",
			policy: MustParsePolicy("AND('Org1MSP.admin')"),
			signed: []SignedData{sign(t, o1Boss, data)},
		},
		{
			name:            "an admin is not a client",
			policy:          MustParsePolicy("AND('Org1MSP.client')"),
			signed:          []SignedData{sign(t, o1Admin, data)},
			wantUnsatisfied: []string{"'Org1MSP.client'"},
		},
		{
			name:   "the client role is satisfied by a client",
			policy: MustParsePolicy("AND('Org1MSP.client')"),
			signed: []SignedData{sign(t, o1Alice, data)},
		},
		{
			name:   "two different members satisfy a doubled principal",
			policy: MustParsePolicy("AND('Org1MSP.member', 'Org1MSP.member')"),
			signed: []SignedData{sign(t, o1User, data), sign(t, o1Alice, data)},
		},
		{
			name:            "the same signer twice counts once",
			policy:          MustParsePolicy("AND('Org1MSP.member', 'Org1MSP.member')"),
			signed:          []SignedData{sign(t, o1User, data), sign(t, o1User, data)},
			wantUnsatisfied: []string{"'Org1MSP.member'"},
			wantIgnored:     "signature 1: Org1MSP/User1@org1.example.com already signed (signature 0); a signer counts once",
		},
		{
			name:            "a signature over other data is ignored",
			policy:          MustParsePolicy("AND('Org1MSP.member', 'Org2MSP.member')"),
			signed:          []SignedData{sign(t, o1User, data), badSig},
			wantUnsatisfied: []string{"'Org2MSP.member'"},
			wantIgnored:     "signature 1: by Org2MSP/User1@org2.example.com: invalid signature",
		},
		{
			name:            "a signer of an unknown MSP is ignored",
			policy:          MustParsePolicy("OR('Org1MSP.member', 'Org2MSP.member', 'Org3MSP.member')"),
			signed:          []SignedData{sign(t, o3User, data)},
			wantUnsatisfied: []string{"'Org1MSP.member'", "'Org2MSP.member'", "'Org3MSP.member'"},
			wantIgnored:     `MSP "Org3MSP" is unknown`,
		},
		{
			name:   "an identity principal is satisfied by that identity",
			policy: identityPolicy,
			signed: []SignedData{sign(t, o1User, data), sign(t, o1Alice, data)},
		},
		{
			name:            "an identity principal is not satisfied by another member",
			policy:          identityPolicy,
			signed:          []SignedData{sign(t, o1User, data)},
			wantUnsatisfied: []string{"identity Org1MSP/alice"},
		},
		{
			name:   "OutOf(0) needs nothing",
			policy: MustParsePolicy("OutOf(0, 'Org1MSP.member')"),
		},
		{
			name:   "OutOf(n+1) is never satisfied",
			policy: MustParsePolicy("OutOf(3, 'Org1MSP.member', 'Org2MSP.member')"),
			signed: []SignedData{sign(t, o1User, data), sign(t, o2User, data)},
			// Every principal found a signer; the gate still fails.
			wantUnsatisfied: []string{},
		},
		{
			name:   "nested gates: an admin or two members",
			policy: MustParsePolicy("OR('Org1MSP.admin', AND('Org1MSP.member', 'Org2MSP.member'))"),
			signed: []SignedData{sign(t, o2User, data), sign(t, o1User, data)},
		},
		{
			// Fabric matches signatures greedily in order, without backtracking:
			// the member slot takes the peer's signature first and the peer slot
			// is then left without one.
			name:            "greedy matching does not backtrack, as in Fabric",
			policy:          MustParsePolicy("AND('Org1MSP.member', 'Org1MSP.peer')"),
			signed:          []SignedData{sign(t, o1Peer, data), sign(t, o1User, data)},
			wantUnsatisfied: []string{"'Org1MSP.peer'"},
		},
		{
			name:   "the same principals succeed when the signatures come in the other order",
			policy: MustParsePolicy("AND('Org1MSP.member', 'Org1MSP.peer')"),
			signed: []SignedData{sign(t, o1User, data), sign(t, o1Peer, data)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := m.EvaluatePolicy(tt.policy, tt.signed)
			if tt.wantUnsatisfied == nil {
				if err != nil {
					t.Fatalf("EvaluatePolicy: %v", err)
				}
				return
			}
			var perr *PolicyError
			if !errors.As(err, &perr) {
				t.Fatalf("EvaluatePolicy = %v, want a *PolicyError", err)
			}
			if !errors.Is(err, ErrPolicyNotSatisfied) {
				t.Errorf("errors.Is(err, ErrPolicyNotSatisfied) = false")
			}
			if !slices.Equal(perr.Unsatisfied, tt.wantUnsatisfied) && len(perr.Unsatisfied)+len(tt.wantUnsatisfied) > 0 {
				t.Errorf("Unsatisfied = %v, want %v", perr.Unsatisfied, tt.wantUnsatisfied)
			}
			if tt.wantIgnored != "" && !strings.Contains(strings.Join(perr.Ignored, "\n"), tt.wantIgnored) {
				t.Errorf("Ignored = %q, want an entry containing %q", perr.Ignored, tt.wantIgnored)
			}
			if !strings.HasPrefix(err.Error(), "signature set did not satisfy policy ") {
				t.Errorf("message %q", err)
			}
		})
	}
}

func TestEvaluatePolicyRefusesMalformedPolicies(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	signed := []SignedData{sign(t, org.Peer(), "d")}
	tests := []struct {
		name    string
		policy  *common.SignaturePolicyEnvelope
		wantErr string
	}{
		{"a nil policy", nil, "policy or its rule is nil"},
		{"a policy without a rule", &common.SignaturePolicyEnvelope{}, "policy or its rule is nil"},
		{"an identity index out of range", &common.SignaturePolicyEnvelope{Rule: SignedBy(3)}, "identity index out of range, requested 3, but identities length is 0"},
		{"a negative threshold", &common.SignaturePolicyEnvelope{Rule: NOutOf(-1)}, "negative n -1"},
		{"a nil sub-rule", &common.SignaturePolicyEnvelope{Rule: NOutOf(1, nil)}, "nil rule"},
		{"a rule without a type", &common.SignaturePolicyEnvelope{Rule: &common.SignaturePolicy{}}, "unknown signature policy type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := org.MSP().EvaluatePolicy(tt.policy, signed)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestEndorsementsEvaluateAgainstAPolicy(t *testing.T) {
	org1 := newTestOrg(t, "Org1MSP", "org1.example.com")
	org2 := newTestOrg(t, "Org2MSP", "org2.example.com")
	m := mustMSP(t, []MSPConfig{org1.MSPConfig(), org2.MSPConfig()})
	payload := []byte("prp")
	var endorsements []*peer.Endorsement
	for _, p := range []*SigningIdentity{org1.Peer(), org2.Peer()} {
		e, err := p.Endorse(payload)
		if err != nil {
			t.Fatal(err)
		}
		endorsements = append(endorsements, e)
	}
	policy := MustParsePolicy("AND('Org1MSP.peer', 'Org2MSP.peer')")
	if err := m.EvaluateEndorsements(policy, payload, endorsements); err != nil {
		t.Errorf("two peers' endorsements: %v", err)
	}
	err := m.EvaluateEndorsements(policy, []byte("another payload"), endorsements)
	if err == nil || !strings.Contains(err.Error(), "invalid signature") {
		t.Errorf("endorsements of another payload: %v", err)
	}
}

func TestAnUnsatisfiedEndorsementPolicySaysWhatIsMissing(t *testing.T) {
	org1 := newTestOrg(t, "Org1MSP", "org1.example.com")
	org2 := newTestOrg(t, "Org2MSP", "org2.example.com")
	org3 := newTestOrg(t, "Org3MSP", "org3.example.com")
	m := mustMSP(t, []MSPConfig{org1.MSPConfig(), org2.MSPConfig(), org3.MSPConfig()})
	payload := []byte("prp")
	endorse := func(ids ...*SigningIdentity) []*peer.Endorsement {
		var out []*peer.Endorsement
		for _, id := range ids {
			e, err := id.Endorse(payload)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		}
		return out
	}
	tests := []struct {
		name         string
		policy       string
		endorsements []*peer.Endorsement
		want         string
	}{
		{name: "AND names the organisation that did not endorse",
			policy: "AND('Org1MSP.peer', 'Org2MSP.peer')", endorsements: endorse(org1.Peer()),
			want: "endorsement policy AND('Org1MSP.peer', 'Org2MSP.peer') is not satisfied: no valid endorsement by 'Org2MSP.peer': endorse the proposal on a peer of Org2MSP"},
		{name: "AND without endorsements names both",
			policy: "AND('Org1MSP.peer', 'Org2MSP.peer')",
			want:   "endorsement policy AND('Org1MSP.peer', 'Org2MSP.peer') is not satisfied: no valid endorsement by 'Org1MSP.peer' and 'Org2MSP.peer': endorse the proposal on peers of Org1MSP and Org2MSP"},
		{name: "OR asks for one of its organisations",
			policy: "OR('Org2MSP.peer', 'Org3MSP.peer')", endorsements: endorse(org1.Peer()),
			want: "endorsement policy OR('Org2MSP.peer', 'Org3MSP.peer') is not satisfied: no valid endorsement by 'Org2MSP.peer' or 'Org3MSP.peer': endorse the proposal on a peer of Org2MSP or Org3MSP"},
		{name: "OutOf counts the endorsements still needed",
			policy: "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')", endorsements: endorse(org1.Peer()),
			want: "endorsement policy OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer') is not satisfied: no valid endorsement by 'Org2MSP.peer' or 'Org3MSP.peer': endorse the proposal on a peer of Org2MSP or Org3MSP"},
		{name: "OutOf with two missing says how many of which",
			policy: "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')",
			want:   "endorsement policy OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer') is not satisfied: no valid endorsement by 2 of ('Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer'): endorse the proposal on peers of 2 of (Org1MSP, Org2MSP, Org3MSP)"},
		{name: "a nested gate is put in parentheses",
			policy: "AND('Org1MSP.peer', OR('Org2MSP.peer', 'Org3MSP.peer'))", endorsements: endorse(org1.Peer()),
			want: "endorsement policy AND('Org1MSP.peer', OR('Org2MSP.peer', 'Org3MSP.peer')) is not satisfied: no valid endorsement by 'Org2MSP.peer' or 'Org3MSP.peer': endorse the proposal on a peer of Org2MSP or Org3MSP"},
		{name: "nested gates that both miss",
			policy: "AND('Org1MSP.peer', OR('Org2MSP.peer', 'Org3MSP.peer'))",
			want:   "endorsement policy AND('Org1MSP.peer', OR('Org2MSP.peer', 'Org3MSP.peer')) is not satisfied: no valid endorsement by 'Org1MSP.peer' and ('Org2MSP.peer' or 'Org3MSP.peer'): endorse the proposal on peers of Org1MSP and (Org2MSP or Org3MSP)"},
		{name: "MAJORITY of two is both",
			policy: FormatPolicy(Majority("Org1MSP", "Org2MSP")), endorsements: endorse(org2.Peer()),
			want: "endorsement policy AND('Org1MSP.peer', 'Org2MSP.peer') is not satisfied: no valid endorsement by 'Org1MSP.peer': endorse the proposal on a peer of Org1MSP"},
		{name: "an admin principal gets no peer advice",
			policy: "AND('Org2MSP.admin')", endorsements: endorse(org2.Peer()),
			want: "endorsement policy AND('Org2MSP.admin') is not satisfied: no valid endorsement by 'Org2MSP.admin'"},
		{name: "an endorsement that does not verify is listed as ignored",
			policy: "AND('Org1MSP.peer', 'Org2MSP.peer')", endorsements: append(endorse(org1.Peer()), &peer.Endorsement{Endorser: org2.Peer().Serialize(), Signature: []byte("forged")}),
			want: "endorsement policy AND('Org1MSP.peer', 'Org2MSP.peer') is not satisfied: no valid endorsement by 'Org2MSP.peer': endorse the proposal on a peer of Org2MSP; ignored endorsements: signature 1: by Org2MSP/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := m.EvaluateEndorsements(MustParsePolicy(tt.policy), payload, tt.endorsements)
			if !errors.Is(err, ErrPolicyNotSatisfied) {
				t.Fatalf("EvaluateEndorsements = %v, want ErrPolicyNotSatisfied", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("EvaluateEndorsements =\n%s\nwant it to start with\n%s", err, tt.want)
			}
		})
	}
}

func TestMajorityNeedsMoreThanHalfOfThePeers(t *testing.T) {
	for _, tc := range []struct {
		orgs []string
		want string
	}{
		{[]string{"Org1MSP"}, "AND('Org1MSP.peer')"},
		{[]string{"Org1MSP", "Org2MSP"}, "AND('Org1MSP.peer', 'Org2MSP.peer')"},
		{[]string{"A", "B", "C"}, "OutOf(2, 'A.peer', 'B.peer', 'C.peer')"},
		{[]string{"A", "B", "C", "D"}, "OutOf(3, 'A.peer', 'B.peer', 'C.peer', 'D.peer')"},
	} {
		t.Run(strings.Join(tc.orgs, ","), func(t *testing.T) {
			if got := FormatPolicy(Majority(tc.orgs...)); got != tc.want {
				t.Errorf("Majority(%v) = %s, want %s", tc.orgs, got, tc.want)
			}
		})
	}
}
