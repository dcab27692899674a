// Command abstore is the classic development-mode example: two accounts
// with integer balances and transfers between them, on the raw shim.
//
//	Init    init <A> <balance> <B> <balance>   e.g. ["init","a","100","b","200"]
//	invoke  <from> <to> <amount>               move amount from one account to the other
//	query   <account>                          the account's balance
//	delete  <account>                          remove an account
package main

import (
	"fmt"
	"log"
	"strconv"

	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// ABStore is the chaincode.
type ABStore struct{}

// Init creates the two accounts. The function name (conventionally
// "init") is ignored; the four parameters are two name/balance pairs.
func (ABStore) Init(stub shim.ChaincodeStubInterface) *peer.Response {
	_, args := stub.GetFunctionAndParameters()
	if len(args) != 4 {
		return shim.Error(fmt.Sprintf("init needs 4 arguments (A, balance of A, B, balance of B); got %d", len(args)))
	}
	for i := 0; i < 4; i += 2 {
		name := args[i]
		balance, err := parseAmount(args[i+1])
		if err != nil {
			return shim.Error(fmt.Sprintf("balance of %s: %v", name, err))
		}
		if err := stub.PutState(name, []byte(strconv.Itoa(balance))); err != nil {
			return shim.Error(fmt.Sprintf("store account %s: %v", name, err))
		}
	}
	return shim.Success(nil)
}

// Invoke dispatches on the function name.
func (ABStore) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	switch fn {
	case "invoke":
		return transfer(stub, args)
	case "query":
		return query(stub, args)
	case "delete":
		return remove(stub, args)
	}
	return shim.Error(fmt.Sprintf("unknown function %q: use invoke, query or delete", fn))
}

// transfer moves an amount between two existing accounts. Both balances
// are read and written, so two concurrent transfers touching the same
// account conflict at commit (MVCC_READ_CONFLICT) instead of losing money.
func transfer(stub shim.ChaincodeStubInterface, args []string) *peer.Response {
	if len(args) != 3 {
		return shim.Error(fmt.Sprintf("invoke needs 3 arguments (from, to, amount); got %d", len(args)))
	}
	from, to := args[0], args[1]
	if from == to {
		return shim.Error(fmt.Sprintf("cannot transfer from %s to itself", from))
	}
	amount, err := parseAmount(args[2])
	if err != nil {
		return shim.Error(fmt.Sprintf("amount: %v", err))
	}
	fromBal, err := balance(stub, from)
	if err != nil {
		return shim.Error(err.Error())
	}
	toBal, err := balance(stub, to)
	if err != nil {
		return shim.Error(err.Error())
	}
	if amount > fromBal {
		return shim.Error(fmt.Sprintf("insufficient funds: %s has %d, cannot transfer %d", from, fromBal, amount))
	}
	if err := stub.PutState(from, []byte(strconv.Itoa(fromBal-amount))); err != nil {
		return shim.Error(fmt.Sprintf("store account %s: %v", from, err))
	}
	if err := stub.PutState(to, []byte(strconv.Itoa(toBal+amount))); err != nil {
		return shim.Error(fmt.Sprintf("store account %s: %v", to, err))
	}
	return shim.Success(nil)
}

// query returns an account's balance as decimal text.
func query(stub shim.ChaincodeStubInterface, args []string) *peer.Response {
	if len(args) != 1 {
		return shim.Error(fmt.Sprintf("query needs 1 argument, the account; got %d", len(args)))
	}
	b, err := balance(stub, args[0])
	if err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success([]byte(strconv.Itoa(b)))
}

// remove deletes an account.
func remove(stub shim.ChaincodeStubInterface, args []string) *peer.Response {
	if len(args) != 1 {
		return shim.Error(fmt.Sprintf("delete needs 1 argument, the account; got %d", len(args)))
	}
	if err := stub.DelState(args[0]); err != nil {
		return shim.Error(fmt.Sprintf("delete account %s: %v", args[0], err))
	}
	return shim.Success(nil)
}

func balance(stub shim.ChaincodeStubInterface, account string) (int, error) {
	raw, err := stub.GetState(account)
	if err != nil {
		return 0, fmt.Errorf("read account %s: %w", account, err)
	}
	if raw == nil {
		return 0, fmt.Errorf("account %s not found", account)
	}
	b, err := strconv.Atoi(string(raw))
	if err != nil {
		return 0, fmt.Errorf("account %s holds %q, not a balance: %w", account, raw, err)
	}
	return b, nil
}

func parseAmount(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	if n < 0 {
		return 0, fmt.Errorf("%d is negative", n)
	}
	return n, nil
}

func main() {
	if err := shim.Start(ABStore{}); err != nil {
		log.Fatalf("abstore: %v", err)
	}
}
