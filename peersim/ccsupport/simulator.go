package ccsupport

import (
	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
)

// txSimulator adapts a ledger simulator to the chaincode handler's
// TxSimulator: the iterator methods return the ledger's iterator
// interfaces, which have the same method sets as the handler's but are
// other types, and Go has no covariant return types.
type txSimulator struct{ *ledger.Simulator }

var _ chaincode.TxSimulator = txSimulator{}

func (s txSimulator) GetStateRangeScanIterator(ns, startKey, endKey string) (chaincode.StateIterator, error) {
	it, err := s.Simulator.GetStateRangeScanIterator(ns, startKey, endKey)
	if err != nil {
		return nil, err
	}
	return it, nil
}

func (s txSimulator) GetStateRangeScanIteratorWithPagination(ns, startKey, endKey string, pageSize int32) (chaincode.PagedStateIterator, error) {
	it, err := s.Simulator.GetStateRangeScanIteratorWithPagination(ns, startKey, endKey, pageSize)
	if err != nil {
		return nil, err
	}
	return it, nil
}

func (s txSimulator) ExecuteQuery(ns, query string) (chaincode.StateIterator, error) {
	it, err := s.Simulator.ExecuteQuery(ns, query)
	if err != nil {
		return nil, err
	}
	return it, nil
}

func (s txSimulator) ExecuteQueryWithPagination(ns, query, bookmark string, pageSize int32) (chaincode.PagedStateIterator, error) {
	it, err := s.Simulator.ExecuteQueryWithPagination(ns, query, bookmark, pageSize)
	if err != nil {
		return nil, err
	}
	return it, nil
}

func (s txSimulator) GetPrivateDataRangeScanIterator(ns, collection, startKey, endKey string) (chaincode.StateIterator, error) {
	it, err := s.Simulator.GetPrivateDataRangeScanIterator(ns, collection, startKey, endKey)
	if err != nil {
		return nil, err
	}
	return it, nil
}

func (s txSimulator) ExecuteQueryOnPrivateData(ns, collection, query string) (chaincode.StateIterator, error) {
	it, err := s.Simulator.ExecuteQueryOnPrivateData(ns, collection, query)
	if err != nil {
		return nil, err
	}
	return it, nil
}

func (s txSimulator) GetHistoryForKey(ns, key string) (chaincode.HistoryIterator, error) {
	it, err := s.Simulator.GetHistoryForKey(ns, key)
	if err != nil {
		return nil, err
	}
	return it, nil
}
