package cid

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// The error texts below are the ones Fabric's cid package returns, word for
// word: chaincodes written against Fabric may show or compare them.

// GetID returns the ID of the identity that submitted the transaction; see
// ClientID.GetID.
func GetID(stub ChaincodeStubInterface) (string, error) {
	c, err := New(stub)
	if err != nil {
		return "", err
	}
	return c.GetID()
}

// GetMSPID returns the MSP ID of the identity that submitted the transaction.
func GetMSPID(stub ChaincodeStubInterface) (string, error) {
	c, err := New(stub)
	if err != nil {
		return "", err
	}
	return c.GetMSPID()
}

// GetAttributeValue returns the value of the submitter's attribute attrName
// and whether the submitter has it; see ClientID.GetAttributeValue.
func GetAttributeValue(stub ChaincodeStubInterface, attrName string) (value string, found bool, err error) {
	c, err := New(stub)
	if err != nil {
		return "", false, err
	}
	return c.GetAttributeValue(attrName)
}

// AssertAttributeValue returns nil if the submitter has the attribute attrName
// with the value attrValue; see ClientID.AssertAttributeValue.
func AssertAttributeValue(stub ChaincodeStubInterface, attrName, attrValue string) error {
	c, err := New(stub)
	if err != nil {
		return err
	}
	return c.AssertAttributeValue(attrName, attrValue)
}

// HasOUValue reports whether the submitter's certificate subject has the
// organisational unit OUValue; see ClientID.HasOUValue.
func HasOUValue(stub ChaincodeStubInterface, OUValue string) (bool, error) {
	c, err := New(stub)
	if err != nil {
		return false, err
	}
	return c.HasOUValue(OUValue)
}

// GetX509Certificate returns the submitter's X.509 certificate, or nil when
// the submitter did not use one (an idemix identity).
func GetX509Certificate(stub ChaincodeStubInterface) (*x509.Certificate, error) {
	c, err := New(stub)
	if err != nil {
		return nil, err
	}
	return c.GetX509Certificate()
}

// ClientID is the identity that submitted a transaction, read once by New.
// It implements ClientIdentity.
type ClientID struct {
	mspID string
	// cert is nil for an idemix identity.
	cert *x509.Certificate
	// attrs is nil when there are no attributes to look up.
	attrs map[string]string
}

// New reads the submitter's identity from stub.GetCreator. It fails when the
// creator is missing or is not a serialized msp.SerializedIdentity, when its
// id_bytes hold a PEM block that is not an X.509 certificate, when the
// certificate's attribute extension is not valid JSON, and when id_bytes are
// neither PEM nor an idemix identity.
func New(stub ChaincodeStubInterface) (*ClientID, error) {
	creator, err := stub.GetCreator()
	if err != nil {
		return nil, fmt.Errorf("failed to get transaction invoker's identity from the chaincode stub: %w", err)
	}
	if creator == nil {
		// Fabric's text here ends in a formatting artefact ("%!w(<nil>)");
		// saying what is missing is more useful and nobody matches on it.
		return nil, errors.New("failed to get transaction invoker's identity from the chaincode stub: the stub has no creator (the proposal's signature header carries none)")
	}
	sid := &msp.SerializedIdentity{}
	if err := proto.Unmarshal(creator, sid); err != nil {
		return nil, fmt.Errorf("failed to unmarshal transaction invoker's identity: %w", err)
	}
	c := &ClientID{mspID: sid.GetMspid()}

	block, _ := pem.Decode(sid.GetIdBytes())
	if block == nil {
		attrs, err := idemixAttributes(sid.GetIdBytes())
		if err != nil {
			return nil, fmt.Errorf("identity bytes are neither X509 PEM format nor an idemix credential: failed to get attributes from the transaction invoker's idemix credential: %w", err)
		}
		c.attrs = attrs
		return c, nil
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("failed to parse certificate: %w", err)
	}
	c.cert = cert
	attrs, err := certificateAttributes(cert)
	if err != nil {
		return nil, fmt.Errorf("failed to get attributes from the transaction invoker's certificate: %w", err)
	}
	c.attrs = attrs
	return c, nil
}

// GetID returns base64("x509::" + subject DN + "::" + issuer DN) of the
// submitter's certificate, with the DNs written as RFC 2253 strings (most
// specific attribute first). Subject and issuer together identify the
// certificate holder within the MSP, and do not change when the certificate
// is renewed. An idemix identity has no certificate and no ID.
func (c *ClientID) GetID() (string, error) {
	if c.cert == nil {
		return "", errors.New("cannot determine identity")
	}
	id := "x509::" + distinguishedName(c.cert.Subject) + "::" + distinguishedName(c.cert.Issuer)
	return base64.StdEncoding.EncodeToString([]byte(id)), nil
}

// GetMSPID returns the ID of the MSP the submitter belongs to. It never fails.
func (c *ClientID) GetMSPID() (string, error) {
	return c.mspID, nil
}

// GetAttributeValue returns the value of the submitter's attribute attrName.
// found is false, and value empty, when the submitter does not have it. It
// never fails.
func (c *ClientID) GetAttributeValue(attrName string) (value string, found bool, err error) {
	value, found = c.attrs[attrName]
	return value, found, nil
}

// AssertAttributeValue returns nil if the submitter has the attribute
// attrName with the value attrValue, and otherwise an error naming the
// attribute, and the value it has if it has one.
func (c *ClientID) AssertAttributeValue(attrName, attrValue string) error {
	value, found, err := c.GetAttributeValue(attrName)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("attribute '%s' was not found", attrName)
	}
	if value != attrValue {
		return fmt.Errorf("attribute '%s' equals '%s', not '%s'", attrName, value, attrValue)
	}
	return nil
}

// HasOUValue reports whether one of the organisational units (OU) of the
// submitter's certificate subject is exactly OUValue. It fails for an
// identity without an X.509 certificate.
func (c *ClientID) HasOUValue(OUValue string) (bool, error) {
	if c.cert == nil {
		return false, errors.New("cannot obtain an X509 certificate for the identity")
	}
	for _, ou := range c.cert.Subject.OrganizationalUnit {
		if ou == OUValue {
			return true, nil
		}
	}
	return false, nil
}

// GetX509Certificate returns the submitter's X.509 certificate, or nil when
// the submitter did not use one. It never fails.
func (c *ClientID) GetX509Certificate() (*x509.Certificate, error) {
	return c.cert, nil
}
