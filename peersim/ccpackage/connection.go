package ccpackage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// DefaultDialTimeout is the dial timeout Fabric uses when connection.json
// gives none.
const DefaultDialTimeout = 3 * time.Second

// Connection is connection.json of a chaincode-as-a-service package: where
// the peer dials the chaincode server and with which TLS material. String
// fields may hold Go templates that Fabric's ccaas builder expands at build
// time; they are kept verbatim.
type Connection struct {
	Address            string   `json:"address"`
	Domain             string   `json:"domain,omitempty"`
	DialTimeout        Duration `json:"dial_timeout,omitempty"`
	TLSRequired        bool     `json:"tls_required"`
	ClientAuthRequired bool     `json:"client_auth_required"`
	ClientKey          string   `json:"client_key,omitempty"`
	ClientCert         string   `json:"client_cert,omitempty"`
	RootCert           string   `json:"root_cert,omitempty"`
}

// Timeout returns the dial timeout, DefaultDialTimeout when none is set.
func (c Connection) Timeout() time.Duration {
	if c.DialTimeout <= 0 {
		return DefaultDialTimeout
	}
	return time.Duration(c.DialTimeout)
}

// Validate applies the checks Fabric makes before dialling a chaincode
// server, with Fabric's messages.
func (c Connection) Validate() error {
	switch {
	case c.Address == "":
		return fmt.Errorf("%w: chaincode address not provided", ErrInvalidConnection)
	case !c.TLSRequired:
		return nil
	case c.ClientAuthRequired && c.ClientKey == "":
		return fmt.Errorf("%w: chaincode tls key not provided (client_auth_required is true)", ErrInvalidConnection)
	case c.ClientAuthRequired && c.ClientCert == "":
		return fmt.Errorf("%w: chaincode tls cert not provided (client_auth_required is true)", ErrInvalidConnection)
	case c.RootCert == "":
		return fmt.Errorf("%w: chaincode tls root cert not provided (tls_required is true)", ErrInvalidConnection)
	}
	return nil
}

// ParseConnection decodes and validates connection.json.
func ParseConnection(data []byte) (*Connection, error) {
	var c Connection
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConnection, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrInvalidConnection)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Duration is a time.Duration that decodes, as Fabric does, from either a
// duration string ("10s") or a number of nanoseconds.
type Duration time.Duration

// UnmarshalJSON accepts a duration string or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case float64:
		*d = Duration(time.Duration(v))
	case string:
		p, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("dial_timeout %q: %w", v, err)
		}
		*d = Duration(p)
	default:
		return fmt.Errorf("dial_timeout %s is neither a duration string nor a number of nanoseconds", b)
	}
	return nil
}

// MarshalJSON writes the duration as a string such as "10s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}
