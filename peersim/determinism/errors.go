package determinism

import "fmt"

// Phrase begins the text of every MismatchError, so that clients and
// tests can recognise the refusal: the peer answers it as a
// ProposalResponse of status 500 whose message starts with Phrase.
const Phrase = "nondeterministic chaincode"

// MismatchError is the peer's refusal to endorse a proposal whose two
// simulations differ. Its text is Phrase, the transaction, and the
// report's diff.
type MismatchError struct {
	// TxID and Chaincode name the proposal.
	TxID, Chaincode string
	// Report holds the differences.
	Report Report
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s: transaction %s of chaincode %s gave different results when the peer simulated it twice; "+
		"peers endorsing it would disagree and Fabric would reject it with \"ProposalResponsePayloads do not match\"; %s",
		Phrase, e.TxID, e.Chaincode, e.Report)
}
