package loadtest

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	fgid "github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/chaincodekit/chaincodekit/peersim"
)

// gateways are n fabric-gateway clients of one user, each on its own
// connection to address, calling chaincode on channel: what an
// application built on Fabric's Gateway SDK sends.
type gateways struct {
	conns     []*grpc.ClientConn
	gws       []*client.Gateway
	contracts []*client.Contract
}

// dialGateways connects n Gateway clients as user of Org1MSP (its
// certificate and key read from the peer's data directory).
func dialGateways(address, dataDir, user, channel, chaincode string, n int) (_ *gateways, err error) {
	mspDir := filepath.Join(peersim.OrgDirOf(dataDir, peersim.MSPID()), "users", user+"@"+peersim.OrgDomain(peersim.MSPID()), "msp")
	certPEM, err := onlyFile(filepath.Join(mspDir, "signcerts"))
	if err != nil {
		return nil, err
	}
	keyPEM, err := onlyFile(filepath.Join(mspDir, "keystore"))
	if err != nil {
		return nil, err
	}
	cert, err := fgid.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("certificate of %s: %w", user, err)
	}
	id, err := fgid.NewX509Identity(peersim.MSPID(), cert)
	if err != nil {
		return nil, fmt.Errorf("identity of %s: %w", user, err)
	}
	key, err := fgid.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("key of %s: %w", user, err)
	}
	sign, err := fgid.NewPrivateKeySign(key)
	if err != nil {
		return nil, fmt.Errorf("signer of %s: %w", user, err)
	}
	g := &gateways{}
	defer func() {
		if err != nil {
			g.Close()
		}
	}()
	for range n {
		conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, fmt.Errorf("dial the gateway at %s: %w", address, err)
		}
		g.conns = append(g.conns, conn)
		gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn))
		if err != nil {
			return nil, fmt.Errorf("connect the gateway at %s: %w", address, err)
		}
		g.gws = append(g.gws, gw)
		g.contracts = append(g.contracts, gw.GetNetwork(channel).GetContract(chaincode))
	}
	return g, nil
}

// Close closes the gateways and their connections.
func (g *gateways) Close() {
	for _, gw := range g.gws {
		_ = gw.Close()
	}
	for _, c := range g.conns {
		_ = c.Close()
	}
}

// onlyFile reads the one file in dir.
func onlyFile(dir string) ([]byte, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) != 1 {
		return nil, fmt.Errorf("want one file in %s, found %v (%v)", dir, files, err)
	}
	return os.ReadFile(files[0])
}
