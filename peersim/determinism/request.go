package determinism

import (
	"context"

	"google.golang.org/grpc/metadata"
)

// Header is the gRPC metadata key with which a client asks the peer to
// check one proposal for determinism; its value is "true". It travels
// beside the signed proposal, not in it, so the proposal's bytes, its
// transaction ID and what the chaincode sees are the same with and
// without the check.
const Header = "peersim-check-determinism"

// VerdictHeader is the gRPC response header in which a peer that checked
// a proposal for determinism at the client's request (Header), and
// endorsed it, says how the check ended: VerdictAgree or
// VerdictInconclusive. A refused proposal carries the diff in its
// response instead.
const VerdictHeader = "peersim-determinism"

// The values of VerdictHeader.
const (
	// VerdictAgree: the two simulations gave the same results.
	VerdictAgree = "agree"
	// VerdictInconclusive: a block committed between the two simulations
	// and changed what they read, so their comparison proves nothing; the
	// peer endorsed the first.
	VerdictInconclusive = "inconclusive"
)

// Request returns ctx with the outgoing metadata that asks the peer to
// check the proposals sent with it (Header).
func Request(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, Header, "true")
}

// Requested reports whether the incoming call that ctx belongs to asks for
// the check (Header is "true").
func Requested(ctx context.Context) bool {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return false
	}
	for _, v := range md.Get(Header) {
		if v == "true" {
			return true
		}
	}
	return false
}
