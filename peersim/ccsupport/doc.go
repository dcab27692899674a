// Package ccsupport makes user chaincode ready and runs it, as Fabric's
// ChaincodeSupport does for a peer: [Support.EnsureConnected] returns once
// a chaincode id is registered on the chaincode server, launching its
// package first in production mode (or dialling it, for chaincode as a
// server) and, in development mode, waiting for the developer to start it
// with the command it prints; [Support.Connect] does so for a chaincode
// definition, choosing its id: name:version for lscc, the package ID the
// peer's organisation approved for _lifecycle; [Support.Execute] runs one
// INIT or TRANSACTION on it with a ledger simulator. The Support of an
// organisation other than a peer's first runs its own process of each
// chaincode in production mode ([Config].OrgInstance).
//
// It is the [syscc.Runner] of the endorser and of lscc, and the chaincode
// server's Resolver (which chaincode a chaincode-to-chaincode call reaches)
// and SimulatorFactory (a simulator for a call on another channel).
//
// The chaincode server, the package store, the launcher, the channels and
// the metrics come in through [Config] as small interfaces and funcs.
package ccsupport
