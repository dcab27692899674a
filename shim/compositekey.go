package shim

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

const (
	// compositeKeyPrefix starts every composite key, which keeps
	// composite keys apart from simple keys in range queries.
	compositeKeyPrefix = "\x00"
	// compositeKeySeparator ends the object type and each attribute.
	compositeKeySeparator = "\x00"
	// maxRune (U+10FFFF) ends the range of a partial composite key query.
	maxRune = string(utf8.MaxRune)
	// firstSimpleKey replaces an empty start key in simple-key range
	// queries, so that composite keys are not returned.
	firstSimpleKey = "\x01"
)

// CreateCompositeKey joins objectType and attributes into one composite key:
// U+0000, then each part followed by U+0000. Each part must be valid UTF-8
// and must not contain U+0000 or U+10FFFF.
func CreateCompositeKey(objectType string, attributes []string) (string, error) {
	if err := validateCompositeKeyPart("object type", objectType); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(compositeKeyPrefix)
	b.WriteString(objectType)
	b.WriteString(compositeKeySeparator)
	for i, attr := range attributes {
		if err := validateCompositeKeyPart(fmt.Sprintf("attribute %d", i), attr); err != nil {
			return "", err
		}
		b.WriteString(attr)
		b.WriteString(compositeKeySeparator)
	}
	return b.String(), nil
}

// parseCompositeKey returns the object type and attributes of a composite
// key made by CreateCompositeKey.
func parseCompositeKey(key string) (string, []string, error) {
	if !strings.HasPrefix(key, compositeKeyPrefix) || !strings.HasSuffix(key, compositeKeySeparator) || len(key) < 2 {
		return "", nil, fmt.Errorf("key %q is not a composite key: a composite key starts with U+0000 and ends each part with U+0000; make one with CreateCompositeKey", key)
	}
	parts := strings.Split(key[1:len(key)-1], compositeKeySeparator)
	return parts[0], parts[1:], nil
}

func validateCompositeKeyPart(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("composite key %s %q is not a valid utf8 string: [%x]", what, s, s)
	}
	for i, r := range s {
		if r == 0 || r == utf8.MaxRune {
			return fmt.Errorf("composite key %s %q contains unicode %U at position [%d]: U+0000 and U+10FFFF are not allowed in the parts of a composite key", what, s, r, i)
		}
	}
	return nil
}

// checkRangeBounds rejects range bounds that start with U+0000, the prefix
// reserved for composite keys.
func checkRangeBounds(keys ...string) error {
	for _, k := range keys {
		if strings.HasPrefix(k, compositeKeyPrefix) {
			return fmt.Errorf("range key %q starts with a null character (U+0000), which is reserved for composite keys: use GetStateByPartialCompositeKey for composite keys", k)
		}
	}
	return nil
}
