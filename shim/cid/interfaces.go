package cid

import "crypto/x509"

// ChaincodeStubInterface is the one stub method this package needs, so that
// any stub works with it, including shim.ChaincodeStubInterface and test fakes.
type ChaincodeStubInterface interface {
	// GetCreator returns the serialized msp.SerializedIdentity that signed the
	// transaction proposal.
	GetCreator() ([]byte, error)
}

// ClientIdentity is what a chaincode can learn about the identity that
// submitted the transaction. *ClientID implements it.
type ClientIdentity interface {
	// GetID returns an ID for the submitter that is unique within its MSP and
	// survives the renewal of its certificate. It fails for an identity that
	// has no X.509 certificate.
	GetID() (string, error)

	// GetMSPID returns the ID of the MSP the submitter belongs to.
	GetMSPID() (string, error)

	// GetAttributeValue returns the value of the submitter's attribute
	// attrName. found is false, and value empty, when the submitter does not
	// have that attribute.
	GetAttributeValue(attrName string) (value string, found bool, err error)

	// AssertAttributeValue returns nil if the submitter has the attribute
	// attrName with the value attrValue, and an error saying why not otherwise.
	AssertAttributeValue(attrName, attrValue string) error

	// GetX509Certificate returns the submitter's X.509 certificate, or nil
	// when the submitter did not use one.
	GetX509Certificate() (*x509.Certificate, error)
}
