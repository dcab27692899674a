package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// describe reports what the proposal carries.
func describe(stub shim.ChaincodeStubInterface, _ []string) *peer.Response {
	args := stub.GetArgs()
	strArgs := stub.GetStringArgs()
	argsSlice, err := stub.GetArgsSlice()
	if err != nil {
		return shim.Error(err.Error())
	}
	creator, err := stub.GetCreator()
	if err != nil {
		return shim.Error(err.Error())
	}
	transient, err := stub.GetTransient()
	if err != nil {
		return shim.Error(err.Error())
	}
	binding, err := stub.GetBinding()
	if err != nil {
		return shim.Error(err.Error())
	}
	signed, err := stub.GetSignedProposal()
	if err != nil {
		return shim.Error(err.Error())
	}
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return shim.Error(err.Error())
	}
	out, err := json.Marshal(map[string]any{
		"txid":        stub.GetTxID(),
		"channel":     stub.GetChannelID(),
		"args":        len(args),
		"strArgs":     strArgs,
		"argsSlice":   len(argsSlice),
		"creator":     len(creator),
		"transient":   len(transient),
		"binding":     len(binding),
		"decorations": len(stub.GetDecorations()),
		"signed":      len(signed.GetProposalBytes()),
		"timestamp":   ts.AsTime(),
	})
	if err != nil {
		return shim.Error(err.Error())
	}
	if err := stub.SetEvent("described", out); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(out)
}

// put stores an asset under a composite key: put <type> <id> <value>.
func put(stub shim.ChaincodeStubInterface, params []string) *peer.Response {
	if len(params) != 3 {
		return shim.Error("put wants <type> <id> <value>")
	}
	key, err := stub.CreateCompositeKey(params[0], params[1:2])
	if err != nil {
		return shim.Error(err.Error())
	}
	if err := stub.PutState(key, []byte(params[2])); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success([]byte(key))
}

// get reads keys, one or many.
func get(stub shim.ChaincodeStubInterface, params []string) *peer.Response {
	if len(params) == 1 {
		v, err := stub.GetState(params[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(v)
	}
	values, err := stub.GetMultipleStates(params...)
	if err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(bytes.Join(values, []byte(",")))
}

// remove deletes a key.
func remove(stub shim.ChaincodeStubInterface, params []string) *peer.Response {
	if err := stub.DelState(params[0]); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(nil)
}

// drain reads an iterator to its end and closes it.
func drain(iter shim.StateQueryIteratorInterface) ([]*queryresult.KV, error) {
	defer iter.Close()
	var kvs []*queryresult.KV
	for iter.HasNext() {
		kv, err := iter.Next()
		if err != nil {
			return nil, err
		}
		kvs = append(kvs, kv)
	}
	return kvs, iter.Close()
}

func keysOf(kvs []*queryresult.KV) []byte {
	var keys []string
	for _, kv := range kvs {
		keys = append(keys, kv.GetKey()+"="+string(kv.GetValue()))
	}
	return []byte(strings.Join(keys, ","))
}

// rangeQuery: range <start> <end> [pageSize bookmark].
func rangeQuery(stub shim.ChaincodeStubInterface, params []string) *peer.Response {
	var iter shim.StateQueryIteratorInterface
	var meta *peer.QueryResponseMetadata
	var err error
	if len(params) == 4 {
		size, convErr := strconv.ParseInt(params[2], 10, 32)
		if convErr != nil {
			return shim.Error(convErr.Error())
		}
		iter, meta, err = stub.GetStateByRangeWithPagination(params[0], params[1], int32(size), params[3])
	} else {
		iter, err = stub.GetStateByRange(params[0], params[1])
	}
	if err != nil {
		return shim.Error(err.Error())
	}
	kvs, err := drain(iter)
	if err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(append(keysOf(kvs), []byte(fmt.Sprintf(";%d;%s", meta.GetFetchedRecordsCount(), meta.GetBookmark()))...))
}

// richQuery: query <selector> [pageSize bookmark].
func richQuery(stub shim.ChaincodeStubInterface, params []string) *peer.Response {
	var iter shim.StateQueryIteratorInterface
	var err error
	if len(params) == 3 {
		iter, _, err = stub.GetQueryResultWithPagination(params[0], 10, params[2])
	} else {
		iter, err = stub.GetQueryResult(params[0])
	}
	if err != nil {
		return shim.Error(err.Error())
	}
	kvs, err := drain(iter)
	if err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(keysOf(kvs))
}

// history: history <key>.
func history(stub shim.ChaincodeStubInterface, params []string) *peer.Response {
	var iter shim.HistoryQueryIteratorInterface
	iter, err := stub.GetHistoryForKey(params[0])
	if err != nil {
		return shim.Error(err.Error())
	}
	defer iter.Close()
	var out []string
	for iter.HasNext() {
		var mod *queryresult.KeyModification
		mod, err = iter.Next()
		if err != nil {
			return shim.Error(err.Error())
		}
		out = append(out, fmt.Sprintf("%s:%t:%s", mod.GetTxId(), mod.GetIsDelete(), mod.GetValue()))
	}
	return shim.Success([]byte(strings.Join(out, ",")))
}

// byOwner lists assets of a type, a page at a time or all at once.
func byOwner(stub shim.ChaincodeStubInterface, params []string) *peer.Response {
	var iters []shim.StateQueryIteratorInterface
	iter, err := stub.GetStateByPartialCompositeKey(params[0], params[1:])
	if err != nil {
		return shim.Error(err.Error())
	}
	iters = append(iters, iter)
	iter, _, err = stub.GetStateByPartialCompositeKeyWithPagination(params[0], params[1:], 5, "")
	if err != nil {
		return shim.Error(err.Error())
	}
	iters = append(iters, iter)
	iter, _, err = stub.GetAllStatesCompositeKeyWithPagination(5, "")
	if err != nil {
		return shim.Error(err.Error())
	}
	iters = append(iters, iter)

	var out []string
	for _, it := range iters {
		kvs, err := drain(it)
		if err != nil {
			return shim.Error(err.Error())
		}
		for _, kv := range kvs {
			objectType, attrs, err := stub.SplitCompositeKey(kv.GetKey())
			if err != nil {
				return shim.Error(err.Error())
			}
			out = append(out, objectType+"/"+strings.Join(attrs, "/"))
		}
	}
	return shim.Success([]byte(strings.Join(out, ",")))
}

// private exercises the private data calls on collection params[0].
func private(stub shim.ChaincodeStubInterface, params []string) *peer.Response {
	collection, key := params[0], params[1]
	transient, err := stub.GetTransient()
	if err != nil {
		return shim.Error(err.Error())
	}
	if err := stub.PutPrivateData(collection, key, transient["value"]); err != nil {
		return shim.Error(err.Error())
	}
	v, err := stub.GetPrivateData(collection, key)
	if err != nil {
		return shim.Error(err.Error())
	}
	values, err := stub.GetMultiplePrivateData(collection, key, key+"-other")
	if err != nil {
		return shim.Error(err.Error())
	}
	hash, err := stub.GetPrivateDataHash(collection, key)
	if err != nil {
		return shim.Error(err.Error())
	}
	for _, open := range []func() (shim.StateQueryIteratorInterface, error){
		func() (shim.StateQueryIteratorInterface, error) {
			return stub.GetPrivateDataByRange(collection, "", "")
		},
		func() (shim.StateQueryIteratorInterface, error) {
			return stub.GetPrivateDataByPartialCompositeKey(collection, "asset", []string{})
		},
		func() (shim.StateQueryIteratorInterface, error) {
			return stub.GetPrivateDataQueryResult(collection, `{"selector":{}}`)
		},
	} {
		iter, err := open()
		if err != nil {
			return shim.Error(err.Error())
		}
		if _, err := drain(iter); err != nil {
			return shim.Error(err.Error())
		}
	}
	ep, err := stub.GetPrivateDataValidationParameter(collection, key)
	if err != nil {
		return shim.Error(err.Error())
	}
	if err := stub.SetPrivateDataValidationParameter(collection, key, ep); err != nil {
		return shim.Error(err.Error())
	}
	if err := stub.DelPrivateData(collection, key); err != nil {
		return shim.Error(err.Error())
	}
	if err := stub.PurgePrivateData(collection, key); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success([]byte(fmt.Sprintf("%s;%d;%x", v, len(values), hash)))
}

// call invokes another chaincode: call <chaincode> <channel> <args...>.
func call(stub shim.ChaincodeStubInterface, params []string) *peer.Response {
	var args [][]byte
	for _, p := range params[2:] {
		args = append(args, []byte(p))
	}
	resp := stub.InvokeChaincode(params[0], args, params[1])
	if resp.GetStatus() >= shim.ERRORTHRESHOLD {
		return shim.Error(resp.GetMessage())
	}
	if resp.GetStatus() != shim.OK && resp.GetStatus() != shim.ERROR {
		return resp
	}
	return shim.Success(resp.GetPayload())
}

// batch writes many keys in one message to the peer.
func batch(stub shim.ChaincodeStubInterface, params []string) *peer.Response {
	stub.StartWriteBatch()
	for i, p := range params {
		if err := stub.PutState(fmt.Sprintf("batch%03d", i), []byte(p)); err != nil {
			return shim.Error(err.Error())
		}
	}
	if err := stub.FinishWriteBatch(); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(nil)
}
