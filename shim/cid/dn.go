package cid

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
)

// distinguishedName writes name as an RFC 2253 string, most specific RDN
// first, the way Fabric's cid does for its IDs. It works from
// name.ToRDNSequence, so of a parsed certificate's attributes it keeps the
// ones pkix.Name has fields for (C, ST, L, STREET, POSTALCODE, O, OU, CN,
// SERIALNUMBER) and leaves out the others (emailAddress, UID, ...): that is
// what makes Fabric's IDs what they are, and it differs from
// pkix.Name.String. Value bytes are kept as they are, valid UTF-8 or not.
func distinguishedName(name pkix.Name) string {
	rdns := name.ToRDNSequence()
	var b strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		if i != len(rdns)-1 {
			b.WriteByte(',')
		}
		for j, atv := range rdns[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			oid := atv.Type.String()
			short, known := dnAttributeShortName(oid)
			if !known {
				if der, err := asn1.Marshal(atv.Value); err == nil {
					b.WriteString(oid + "=#" + hex.EncodeToString(der))
					continue
				}
				short = oid
			}
			b.WriteString(short)
			b.WriteByte('=')
			writeDNValue(&b, fmt.Sprint(atv.Value))
		}
	}
	return b.String()
}

// writeDNValue writes v with a backslash before the characters RFC 2253
// requires escaping: any of ,+"\<>; anywhere, a space at either end and a #
// at the start.
func writeDNValue(b *strings.Builder, v string) {
	for i := 0; i < len(v); i++ {
		c := v[i]
		escape := false
		switch c {
		case ',', '+', '"', '\\', '<', '>', ';':
			escape = true
		case ' ':
			escape = i == 0 || i == len(v)-1
		case '#':
			escape = i == 0
		}
		if escape {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
}

// dnAttributeShortName returns the RFC 2253 short name of the attribute type
// with the dotted OID, for the types that have one.
func dnAttributeShortName(oid string) (string, bool) {
	switch oid {
	case "2.5.4.6":
		return "C", true
	case "2.5.4.10":
		return "O", true
	case "2.5.4.11":
		return "OU", true
	case "2.5.4.3":
		return "CN", true
	case "2.5.4.5":
		return "SERIALNUMBER", true
	case "2.5.4.7":
		return "L", true
	case "2.5.4.8":
		return "ST", true
	case "2.5.4.9":
		return "STREET", true
	case "2.5.4.17":
		return "POSTALCODE", true
	default:
		return "", false
	}
}
