package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// unsupportedKeywords are validation keywords a metadata file might use that
// this package does not check. Compile refuses them rather than letting a
// schema look enforced when it is not.
var unsupportedKeywords = []string{"allOf", "anyOf", "oneOf", "not", "if", "then", "else", "const",
	"contains", "additionalItems", "uniqueItems", "patternProperties", "propertyNames", "dependencies",
	"dependentRequired", "dependentSchemas", "minProperties", "maxProperties", "definitions", "$defs"}

var knownTypes = []string{"array", "boolean", "integer", "null", "number", "object", "string"}

// maxRefHops bounds a chain of references that never reaches a real schema.
const maxRefHops = 64

// CompiledSchema is a parameter or return schema ready to check values, with
// its references resolved against the chaincode's components.
type CompiledSchema struct {
	name       string
	root       *Schema
	components *ComponentMetadata
	patterns   map[string]*regexp.Regexp
}

// Compile checks schema (the schema of the property name) and prepares it
// for Validate. References may point at "#/components/schemas/<Name>" or, as
// Fabric writes them inside components, at a component's bare $id.
func Compile(name string, schema *Schema, components *ComponentMetadata) (*CompiledSchema, error) {
	if schema == nil {
		return nil, fmt.Errorf("schema of %s is missing", name)
	}
	if components == nil {
		components = &ComponentMetadata{}
	}
	c := &CompiledSchema{name: name, root: schema, components: components, patterns: map[string]*regexp.Regexp{}}
	if err := c.check(schema, name, map[string]bool{}); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *CompiledSchema) check(s *Schema, path string, seen map[string]bool) error {
	for _, k := range unsupportedKeywords {
		if _, ok := s.Extra[k]; ok {
			return fmt.Errorf("%s: keyword %q is not supported by the contract API's schema validator; remove it or express the rule with type, properties, required, items, enum, minimum/maximum, multipleOf, minLength/maxLength, pattern or minItems/maxItems", path, k)
		}
	}
	for _, t := range s.Type {
		if !slices.Contains(knownTypes, t) {
			return fmt.Errorf("%s: type %q is not a JSON schema type (want one of %s)", path, t, strings.Join(knownTypes, ", "))
		}
	}
	if s.MultipleOf != nil && *s.MultipleOf <= 0 {
		return fmt.Errorf("%s: multipleOf %v must be greater than 0", path, *s.MultipleOf)
	}
	if s.Pattern != "" {
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			return fmt.Errorf("%s: pattern %q is not a valid regular expression: %w", path, s.Pattern, err)
		}
		c.patterns[s.Pattern] = re
	}
	if s.Ref != "" {
		if seen[s.Ref] {
			return nil
		}
		seen[s.Ref] = true
		target, err := c.resolve(s.Ref)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return c.check(target, path, seen)
	}
	if s.Items != nil {
		if s.Items.Schema != nil {
			if err := c.check(s.Items.Schema, path+".items", seen); err != nil {
				return err
			}
		}
		for i := range s.Items.Schemas {
			if err := c.check(&s.Items.Schemas[i], fmt.Sprintf("%s.items.%d", path, i), seen); err != nil {
				return err
			}
		}
	}
	for _, k := range sortedKeys(s.Properties) {
		p := s.Properties[k]
		if err := c.check(&p, path+"."+k, seen); err != nil {
			return err
		}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		return c.check(s.AdditionalProperties.Schema, path+".additionalProperties", seen)
	}
	return nil
}

// resolve finds the schema a $ref names.
func (c *CompiledSchema) resolve(ref string) (*Schema, error) {
	if name, ok := strings.CutPrefix(ref, "#/components/schemas/"); ok {
		if obj, ok := c.components.Schemas[name]; ok {
			return obj.objectSchema(), nil
		}
		return nil, fmt.Errorf("$ref %q names no schema in components.schemas", ref)
	}
	if strings.HasPrefix(ref, "#") || ref == "" {
		return nil, fmt.Errorf("$ref %q is not supported: use #/components/schemas/<Name>", ref)
	}
	for _, k := range sortedKeys(c.components.Schemas) {
		if obj := c.components.Schemas[k]; obj.ID == ref {
			return obj.objectSchema(), nil
		}
	}
	if obj, ok := c.components.Schemas[ref]; ok {
		return obj.objectSchema(), nil
	}
	return nil, fmt.Errorf("$ref %q names no schema in components.schemas (by $id or name)", ref)
}

// Validate checks a value, given as decoded JSON (nil, bool, json.Number or
// float64, string, []any, map[string]any). The error lists every mismatch,
// numbered and sorted, each prefixed with the path of the offending value.
func (c *CompiledSchema) Validate(value any) error {
	var problems []string
	c.validate(c.root, value, c.name, &problems)
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	var b strings.Builder
	b.WriteString("value did not match schema:")
	for i, p := range problems {
		fmt.Fprintf(&b, "\n%d. %s", i+1, p)
	}
	return fmt.Errorf("%s", b.String())
}

// ValidateJSON decodes data and validates it.
func (c *CompiledSchema) ValidateJSON(data []byte) error {
	v, err := DecodeJSON(data)
	if err != nil {
		return fmt.Errorf("value of %s is not JSON: %w", c.name, err)
	}
	return c.Validate(v)
}

// DecodeJSON decodes data keeping numbers exact, as Validate expects.
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

func (c *CompiledSchema) validate(s *Schema, v any, path string, problems *[]string) {
	add := func(format string, args ...any) {
		*problems = append(*problems, path+": "+fmt.Sprintf(format, args...))
	}
	for hops := 0; s.Ref != ""; hops++ {
		target, err := c.resolve(s.Ref)
		if err != nil || hops > maxRefHops {
			add("cannot resolve $ref %q", s.Ref)
			return
		}
		s = target
	}
	if f, ok := v.(float64); ok {
		v = json.Number(strconv.FormatFloat(f, 'g', -1, 64))
	}
	if len(s.Type) > 0 {
		given := jsonType(v)
		match := slices.Contains(s.Type, given) || (given == "integer" && slices.Contains(s.Type, "number"))
		if !match {
			add("Invalid type. Expected: %s, given: %s", strings.Join(s.Type, "/"), given)
			return
		}
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(e any) bool { return jsonEqual(e, v) }) {
		allowed := make([]string, len(s.Enum))
		for i, e := range s.Enum {
			b, _ := json.Marshal(e)
			allowed[i] = string(b)
		}
		add("must be one of the following: %s", strings.Join(allowed, ", "))
	}
	switch x := v.(type) {
	case json.Number:
		c.validateNumber(s, x, add)
	case string:
		c.validateString(s, x, add)
	case []any:
		if s.MinItems != nil && int64(len(x)) < *s.MinItems {
			add("Array must have at least %d items", *s.MinItems)
		}
		if s.MaxItems != nil && int64(len(x)) > *s.MaxItems {
			add("Array must have at most %d items", *s.MaxItems)
		}
		if s.Items != nil {
			for i, e := range x {
				ipath := path + "." + strconv.Itoa(i)
				switch {
				case s.Items.Schema != nil:
					c.validate(s.Items.Schema, e, ipath, problems)
				case i < len(s.Items.Schemas):
					c.validate(&s.Items.Schemas[i], e, ipath, problems)
				}
			}
		}
	case map[string]any:
		for _, r := range s.Required {
			if _, ok := x[r]; !ok {
				add("%s is required", r)
			}
		}
		for _, k := range sortedKeys(x) {
			kpath := path + "." + k
			if ps, ok := s.Properties[k]; ok {
				c.validate(&ps, x[k], kpath, problems)
				continue
			}
			if s.AdditionalProperties == nil {
				continue
			}
			if s.AdditionalProperties.Schema != nil {
				c.validate(s.AdditionalProperties.Schema, x[k], kpath, problems)
			} else if !s.AdditionalProperties.Allows {
				add("Additional property %s is not allowed", k)
			}
		}
	}
}

func (c *CompiledSchema) validateNumber(s *Schema, n json.Number, add func(string, ...any)) {
	r, ok := new(big.Rat).SetString(n.String())
	if !ok {
		add("%s is not a number", n)
		return
	}
	bound := func(f float64) *big.Rat { return new(big.Rat).SetFloat64(f) }
	if s.Minimum != nil && r.Cmp(bound(*s.Minimum)) < 0 {
		add("Must be greater than or equal to %s", fmtFloat(*s.Minimum))
	}
	if s.Maximum != nil && r.Cmp(bound(*s.Maximum)) > 0 {
		add("Must be less than or equal to %s", fmtFloat(*s.Maximum))
	}
	if s.ExclusiveMinimum != nil && r.Cmp(bound(*s.ExclusiveMinimum)) <= 0 {
		add("Must be greater than %s", fmtFloat(*s.ExclusiveMinimum))
	}
	if s.ExclusiveMaximum != nil && r.Cmp(bound(*s.ExclusiveMaximum)) >= 0 {
		add("Must be less than %s", fmtFloat(*s.ExclusiveMaximum))
	}
	if s.MultipleOf != nil && *s.MultipleOf > 0 {
		if q := new(big.Rat).Quo(r, bound(*s.MultipleOf)); !q.IsInt() {
			add("Must be a multiple of %s", fmtFloat(*s.MultipleOf))
		}
	}
}

func (c *CompiledSchema) validateString(s *Schema, str string, add func(string, ...any)) {
	n := int64(len([]rune(str)))
	if s.MinLength != nil && n < *s.MinLength {
		add("String length must be greater than or equal to %d", *s.MinLength)
	}
	if s.MaxLength != nil && n > *s.MaxLength {
		add("String length must be less than or equal to %d", *s.MaxLength)
	}
	if s.Pattern != "" {
		re := c.patterns[s.Pattern]
		if re == nil {
			re = regexp.MustCompile(s.Pattern)
		}
		if !re.MatchString(str) {
			add("Does not match pattern '%s'", s.Pattern)
		}
	}
	switch s.Format {
	case "date-time":
		if _, err := time.Parse(time.RFC3339, str); err != nil {
			add("Does not match format 'date-time'")
		}
	case "date":
		if _, err := time.Parse(time.DateOnly, str); err != nil {
			add("Does not match format 'date'")
		}
	}
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// jsonType names the JSON type of a decoded value; whole numbers are "integer".
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		if r, ok := new(big.Rat).SetString(x.String()); ok && r.IsInt() {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// jsonEqual compares two JSON values, numbers by value.
func jsonEqual(a, b any) bool {
	na, aNum := toRat(a)
	nb, bNum := toRat(b)
	if aNum || bNum {
		return aNum && bNum && na.Cmp(nb) == 0
	}
	ab, errA := json.Marshal(a)
	bb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return false
	}
	va, errA := DecodeJSON(ab)
	vb, errB := DecodeJSON(bb)
	if errA != nil || errB != nil {
		return false
	}
	switch x := va.(type) {
	case []any:
		y, ok := vb.([]any)
		return ok && slices.EqualFunc(x, y, jsonEqual)
	case map[string]any:
		y, ok := vb.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !jsonEqual(xv, yv) {
				return false
			}
		}
		return true
	}
	return bytes.Equal(ab, bb)
}

func toRat(v any) (*big.Rat, bool) {
	switch x := v.(type) {
	case json.Number:
		return new(big.Rat).SetString(x.String())
	case float64:
		return new(big.Rat).SetFloat64(x), true
	case int:
		return new(big.Rat).SetInt64(int64(x)), true
	}
	return nil, false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
