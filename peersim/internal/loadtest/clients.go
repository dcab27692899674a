package loadtest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/chaincodekit/chaincodekit/peersim/client"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
)

// ClientsConfig says what Clients connect to and call.
type ClientsConfig struct {
	// Address is the server's client port (a peer's, or a Floor's).
	Address string
	// Signer signs proposals and transactions.
	Signer *identity.SigningIdentity
	// Channel and Chaincode are what the proposals invoke.
	Channel, Chaincode string
	// Clients is how many clients there are: each has its own connection
	// and its own Broadcast stream.
	Clients int
	// WaitForCommit makes Invoke wait until the transaction is committed,
	// read from one DeliverFiltered stream that all clients share, opened
	// at the channel's height (qscc GetChainInfo) before any invoke. A
	// Floor has no Deliver: leave it false.
	WaitForCommit bool
}

// Clients are concurrent clients speaking Fabric's protocols: Endorser's
// ProcessProposal, AtomicBroadcast's Broadcast and DeliverFiltered. Client
// w of Clients may be used by one goroutine at a time.
type Clients struct {
	cfg     ClientsConfig
	conns   []*grpc.ClientConn
	workers []worker
	commits *commits
	cancel  context.CancelFunc
}

type worker struct {
	endorser  peer.EndorserClient
	broadcast orderer.AtomicBroadcast_BroadcastClient
}

// DialClients connects cfg.Clients clients to cfg.Address. Close ends
// their streams and connections.
func DialClients(cfg ClientsConfig) (_ *Clients, err error) {
	if cfg.Clients < 1 {
		return nil, fmt.Errorf("dial clients: Clients is %d: give at least 1", cfg.Clients)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Clients{cfg: cfg, cancel: cancel}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	for range cfg.Clients {
		conn, err := grpc.NewClient(cfg.Address, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, fmt.Errorf("dial clients: %s: %w", cfg.Address, err)
		}
		c.conns = append(c.conns, conn)
		stream, err := orderer.NewAtomicBroadcastClient(conn).Broadcast(ctx)
		if err != nil {
			return nil, fmt.Errorf("dial clients: open Broadcast on %s: %w", cfg.Address, err)
		}
		c.workers = append(c.workers, worker{endorser: peer.NewEndorserClient(conn), broadcast: stream})
	}
	if cfg.WaitForCommit {
		if c.commits, err = watchCommits(ctx, c.conns[0], cfg.Signer, cfg.Channel); err != nil {
			return nil, fmt.Errorf("dial clients: %w", err)
		}
	}
	return c, nil
}

// Close ends the clients' streams and closes their connections.
func (c *Clients) Close() {
	c.cancel()
	for _, conn := range c.conns {
		_ = conn.Close()
	}
	if c.commits != nil {
		<-c.commits.done
	}
}

func (c *Clients) invocation(args []string) identity.Invocation {
	inv := identity.Invocation{ChannelID: c.cfg.Channel, Chaincode: c.cfg.Chaincode, Type: peer.ChaincodeSpec_GOLANG}
	for _, a := range args {
		inv.Args = append(inv.Args, []byte(a))
	}
	return inv
}

// Query sends one proposal from client w (ProcessProposal) and returns the
// endorsed response; nothing is ordered.
func (c *Clients) Query(ctx context.Context, w int, args ...string) (*peer.ProposalResponse, error) {
	sp, txID, err := c.cfg.Signer.NewSignedProposal(c.invocation(args))
	if err != nil {
		return nil, fmt.Errorf("query %v: %w", args, err)
	}
	return c.endorse(ctx, w, sp, txID)
}

func (c *Clients) endorse(ctx context.Context, w int, sp *peer.SignedProposal, txID string) (*peer.ProposalResponse, error) {
	resp, err := c.workers[w].endorser.ProcessProposal(ctx, sp)
	if err != nil {
		return nil, fmt.Errorf("endorse %s at %s: %w", txID, c.cfg.Address, err)
	}
	if st := resp.GetResponse().GetStatus(); st < 200 || st >= 400 {
		return nil, fmt.Errorf("endorse %s at %s: status %d: %s", txID, c.cfg.Address, st, resp.GetResponse().GetMessage())
	}
	return resp, nil
}

// Invoke endorses a proposal from client w, signs the transaction,
// broadcasts it on client w's Broadcast stream and, with WaitForCommit,
// waits until it is committed VALID. It returns the endorsed response.
func (c *Clients) Invoke(ctx context.Context, w int, args ...string) (*peer.ProposalResponse, error) {
	s := c.cfg.Signer
	prop, txID, err := s.NewProposal(c.invocation(args))
	if err != nil {
		return nil, fmt.Errorf("invoke %v: %w", args, err)
	}
	sp, err := s.SignProposal(prop)
	if err != nil {
		return nil, fmt.Errorf("invoke %v: %w", args, err)
	}
	resp, err := c.endorse(ctx, w, sp, txID)
	if err != nil {
		return nil, err
	}
	env, err := client.NewSignedTx(prop, s, resp)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", txID, err)
	}
	var committed <-chan peer.TxValidationCode
	if c.commits != nil {
		committed = c.commits.expect(txID)
	}
	stream := c.workers[w].broadcast
	if err := stream.Send(env); err != nil {
		return nil, fmt.Errorf("broadcast %s to %s: %w", txID, c.cfg.Address, err)
	}
	br, err := stream.Recv()
	if err != nil {
		return nil, fmt.Errorf("broadcast %s to %s: %w", txID, c.cfg.Address, err)
	}
	if br.GetStatus() != common.Status_SUCCESS {
		return nil, fmt.Errorf("broadcast %s to %s: status %s: %s", txID, c.cfg.Address, br.GetStatus(), br.GetInfo())
	}
	if committed == nil {
		return resp, nil
	}
	code, err := c.commits.wait(ctx, txID, committed)
	if err != nil {
		return nil, err
	}
	if code != peer.TxValidationCode_VALID {
		return nil, fmt.Errorf("transaction %s committed as %s", txID, code)
	}
	return resp, nil
}

// commits reads one DeliverFiltered stream and hands each awaited
// transaction's validation code to its waiter.
type commits struct {
	mu      sync.Mutex
	waiting map[string]chan peer.TxValidationCode
	done    chan struct{} // closed when the stream ended; err says why
	err     error
}

// watchCommits opens DeliverFiltered on channel at its current height.
func watchCommits(ctx context.Context, conn *grpc.ClientConn, signer *identity.SigningIdentity, channel string) (*commits, error) {
	cl, err := client.New(conn, signer)
	if err != nil {
		return nil, err
	}
	info, err := cl.Evaluate(ctx, identity.Invocation{Chaincode: client.QSCC, Args: [][]byte{[]byte("GetChainInfo"), []byte(channel)}})
	if err != nil {
		return nil, fmt.Errorf("read the height of channel %s: %w", channel, err)
	}
	var bi common.BlockchainInfo
	if err := proto.Unmarshal(info, &bi); err != nil {
		return nil, fmt.Errorf("read the height of channel %s: %w", channel, err)
	}
	c := &commits{waiting: map[string]chan peer.TxValidationCode{}, done: make(chan struct{})}
	blocks := cl.FilteredBlocks(ctx, channel, client.WithStartBlock(bi.GetHeight()))
	go func() {
		defer close(c.done)
		for fb, err := range blocks {
			if err != nil {
				c.err = fmt.Errorf("DeliverFiltered on channel %s: %w", channel, err)
				return
			}
			for _, tx := range fb.GetFilteredTransactions() {
				c.mu.Lock()
				ch := c.waiting[tx.GetTxid()]
				delete(c.waiting, tx.GetTxid())
				c.mu.Unlock()
				if ch != nil {
					ch <- tx.GetTxValidationCode()
				}
			}
		}
		c.err = errors.New("DeliverFiltered ended")
	}()
	return c, nil
}

// expect registers a waiter for txID; call it before broadcasting.
func (c *commits) expect(txID string) <-chan peer.TxValidationCode {
	ch := make(chan peer.TxValidationCode, 1)
	c.mu.Lock()
	c.waiting[txID] = ch
	c.mu.Unlock()
	return ch
}

func (c *commits) wait(ctx context.Context, txID string, ch <-chan peer.TxValidationCode) (peer.TxValidationCode, error) {
	select {
	case code := <-ch:
		return code, nil
	case <-c.done:
		return 0, fmt.Errorf("wait for the commit of %s: %w", txID, c.err)
	case <-ctx.Done():
		return 0, fmt.Errorf("wait for the commit of %s: %w", txID, context.Cause(ctx))
	}
}
