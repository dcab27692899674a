package peersimtest_test

import (
	"errors"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	fgid "github.com/hyperledger/fabric-gateway/pkg/identity"
)

// TestApplicationCodeRunsOnTheKit is what the kit's ClientConnection is
// for: an application written with fabric-gateway, tested in process.
func TestApplicationCodeRunsOnTheKit(t *testing.T) {
	p := peersimtest.New(t)
	p.Deploy(t, "probe", probe{})
	id := p.User(t, "User1")
	gid, err := fgid.NewX509Identity(id.MSPID(), id.Certificate())
	if err != nil {
		t.Fatal(err)
	}
	sign, err := fgid.NewPrivateKeySign(id.PrivateKey())
	if err != nil {
		t.Fatal(err)
	}
	gw, err := client.Connect(gid, client.WithSign(sign), client.WithClientConnection(p.ClientConnection()))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	contract := gw.GetNetwork("mychannel").GetContract("probe")
	if _, err := contract.SubmitTransaction("put", "colour", "blue"); err != nil {
		t.Fatalf("SubmitTransaction: %v", err)
	}
	got, err := contract.EvaluateTransaction("get", "colour")
	if err != nil || string(got) != "blue" {
		t.Fatalf("EvaluateTransaction get = %q, %v; want blue", got, err)
	}
	_, err = contract.SubmitTransaction("nosuchfunction")
	var endorseErr *client.EndorseError
	if !errors.As(err, &endorseErr) {
		t.Fatalf("unknown function: error %v (%T), want a *client.EndorseError", err, err)
	}
}
