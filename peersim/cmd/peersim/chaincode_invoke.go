package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/spf13/cobra"

	"github.com/chaincodekit/chaincodekit/peersim/client"
)

func newChaincodeInvokeCommand(a *app, f *chaincodeFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   `invoke -C CHANNEL -n NAME -c '{"Args":["fn","a"]}' [--transient JSON] [--isInit] [--check-determinism] [--endorsing-orgs MSPID,...]`,
		Short: "Invoke chaincode and wait for the commit; the response payload goes to stdout",
		Long: `Endorses the call, orders the transaction and waits until the peer committed it.
The chaincode's response payload is printed on stdout, the txid and validation code on stderr.
Exits 1 if endorsement fails or the transaction is committed invalid (e.g. MVCC_READ_CONFLICT).
--transient is a JSON object whose values are base64, as in Fabric's peer CLI.
--isInit (-I) calls the chaincode's Init, as the first invoke of a 2.x definition
committed with --init-required must (Fabric's flag).
--check-determinism makes the peer simulate the call twice (on a second chaincode process in
production mode) and refuse it, printing a field-by-field diff, if the two results differ:
what a Fabric network reports only as "ProposalResponsePayloads do not match".
--endorsing-orgs Org1MSP,Org2MSP has the call endorsed by those organisations' virtual peers,
as Fabric's repeated --peerAddresses, and submits one transaction carrying every endorsement:
what a policy such as AND('Org1MSP.peer','Org2MSP.peer') needs.
If the invoke makes a production-mode peer build the chaincode, the build's progress is printed
on stderr as for instantiate, and --timeout defaults to ` + launchTimeout().String() + ` to cover it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			inv, err := f.invocation()
			if err != nil {
				return err
			}
			return a.withPeerLaunching(cmd, &f.client, matchName(f.name), func(ctx context.Context, s *session, settled func()) error {
				res, err := s.Submit(f.checked(ctx), inv)
				settled()
				if err != nil {
					return commitFailure(a, err)
				}
				if len(res.Payload) > 0 {
					fmt.Fprintf(a.stdout, "%s\n", res.Payload)
				}
				reportCommit(a, res)
				f.reportChecked(a)
				return nil
			})
		},
	}
	f.callFlags(cmd)
	cmd.Flags().BoolVarP(&f.isInit, "isInit", "I", false, "call Init: the first invoke of a chaincode defined with --init-required")
	endorsingOrgsFlag(cmd, &f.client)
	return cmd
}

// callFlags registers the flags of invoke and query, which invocation reads.
func (f *chaincodeFlags) callFlags(cmd *cobra.Command) {
	channelFlag(cmd, &f.channel)
	nameFlag(cmd, &f.name)
	ctorFlag(cmd, &f.ctor)
	transientFlag(cmd, &f.transient)
	cmd.Flags().BoolVar(&f.checkDeterminism, "check-determinism", false,
		"simulate the call twice and fail with a diff if the results differ (a peersim extension)")
}

// checked returns ctx asking the peer for the determinism check when
// --check-determinism is given, and recording its verdict for
// reportChecked.
func (f *chaincodeFlags) checked(ctx context.Context) context.Context {
	if f.checkDeterminism {
		return client.WithDeterminismVerdict(client.CheckDeterminism(ctx), &f.verdict)
	}
	return ctx
}

// reportChecked says on stderr how the determinism check of a call made
// with --check-determinism ended, once the peer endorsed it (it refuses a
// call whose results differ).
func (f *chaincodeFlags) reportChecked(a *app) {
	if !f.checkDeterminism {
		return
	}
	switch f.verdict {
	case client.VerdictInconclusive:
		fmt.Fprintln(a.stderr, "determinism: inconclusive: a block committed between the peer's two simulations and changed what they read, so their comparison proves nothing; the peer endorsed the first (try again)")
	case client.VerdictAgree:
		fmt.Fprintln(a.stderr, "determinism: the peer simulated the call twice and the results agree")
	default:
		fmt.Fprintln(a.stderr, "determinism: the peer did not say whether it checked the call (a Fabric peer ignores --check-determinism)")
	}
}

// invocation checks the flags of invoke and query and builds the call.
func (f *chaincodeFlags) invocation() (client.Invocation, error) {
	if err := require([2]string{"-C (channel)", f.channel}, [2]string{"-n (chaincode name)", f.name},
		[2]string{"-c (function and arguments)", f.ctor}); err != nil {
		return client.Invocation{}, err
	}
	args, err := parseCtor(f.ctor)
	if err != nil {
		return client.Invocation{}, err
	}
	transient, err := parseTransient(f.transient)
	if err != nil {
		return client.Invocation{}, err
	}
	return client.Invocation{
		ChannelID: f.channel,
		Chaincode: f.name,
		Type:      peer.ChaincodeSpec_GOLANG, // what Fabric's peer CLI sends by default
		Args:      args,
		Transient: transient,
		IsInit:    f.isInit,
	}, nil
}

func asCommitError(err error) (*client.CommitError, bool) {
	var ce *client.CommitError
	ok := errors.As(err, &ce)
	return ce, ok
}
