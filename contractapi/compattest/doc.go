// Package compattest proves contractapi is a drop-in for
// fabric-contract-api-go/v2: one contract source, compiled once against
// Fabric's library and once (import paths rewritten) against ours, must give
// the same metadata document, in process and through a peersim peer; a main
// package written against Fabric's library is also built both ways with the
// go command and both binaries run against a real peersim peer and as a
// chaincode server. All of it lives in _test.go files so Fabric's library
// stays a test-only dependency.
package compattest
