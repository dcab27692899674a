// Package ccpackage reads, writes and stores Hyperledger Fabric 2.x chaincode
// packages for peersim.
//
// A package is a gzip-compressed tar archive holding two regular files:
//
//	metadata.json  {"path": ..., "type": ..., "label": ...}
//	code.tar.gz    the code archive a builder consumes
//
// For Go chaincode the code archive holds the whole Go module around the
// chaincode directory under src/ and the chaincode's META-INF directory
// (CouchDB index definitions) at the top level as META-INF/. For
// chaincode-as-a-service (type "ccaas", or "external" as used by the Fabric
// samples) it holds connection.json and, optionally, META-INF/.
//
// [Pack] writes a package the way Fabric's `peer lifecycle chaincode package`
// does, byte for byte when run by the same Go release: the same entries in
// the same order with the same modes, owners and zeroed times, so the same
// source always gives the same bytes and so the same package ID.
//
// [Parse] reads a package made by [Pack] or by Fabric's peer CLI and refuses
// corrupt or unsafe archives (path traversal, links, device files, duplicate
// entries, oversized or over-long archives, gzip bombs, bad labels) with an
// [*ArchiveError] naming the entry and the rule it broke. [Extract] unpacks the
// code archive of a parsed package for a builder. [FromDeploymentSpec] wraps
// the bare code archive that Fabric's legacy `peer chaincode install` sends
// in a package, with the type and path of its deployment spec.
//
// [Store] is the peer's registry of installed chaincode: package files and
// one entry per name:version, kept on disk so that it survives restarts.
package ccpackage
