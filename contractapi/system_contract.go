package contractapi

// SystemContract is the contract NewChaincode adds to every chaincode under
// SystemContractName. Its one transaction, GetMetadata, returns the
// chaincode's metadata document.
type SystemContract struct {
	Contract
	metadata string
}

func (sc *SystemContract) setMetadata(md string) { sc.metadata = md }

// GetMetadata returns the chaincode's metadata as JSON.
func (sc *SystemContract) GetMetadata() string { return sc.metadata }

// GetEvaluateTransactions marks GetMetadata as an evaluate transaction.
func (sc *SystemContract) GetEvaluateTransactions() []string { return []string{"GetMetadata"} }
