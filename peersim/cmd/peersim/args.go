package main

import (
	"encoding/json"
	"fmt"
	"strings"
)

// parseCtor reads the -c argument as Fabric's peer CLI does: a JSON object
// with "Args" (a list of strings) and optionally "Function" (a string that
// becomes the first argument). Key names are case-insensitive, as in
// Fabric; no other keys are allowed.
func parseCtor(ctor string) ([][]byte, error) {
	const example = `e.g. -c '{"Args":["init","a","100"]}' or -c '{"function":"init","Args":["a","100"]}'`
	if strings.TrimSpace(ctor) == "" {
		return nil, fmt.Errorf("-c is empty: give the function and its arguments as JSON, %s", example)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(ctor), &raw); err != nil {
		return nil, fmt.Errorf("-c %s is not a JSON object: %w; %s", ctor, err, example)
	}
	var hasArgs bool
	for k := range raw {
		switch strings.ToLower(k) {
		case "args":
			hasArgs = true
		case "function":
		default:
			return nil, fmt.Errorf("-c has the key %q: only \"Args\" and \"Function\" are allowed, %s", k, example)
		}
	}
	if !hasArgs {
		return nil, fmt.Errorf("-c has no \"Args\" key: %s", example)
	}
	var in struct {
		Function string
		Args     []string
	}
	if err := json.Unmarshal([]byte(ctor), &in); err != nil {
		return nil, fmt.Errorf("-c %s: %w; Args must be a list of strings and Function a string, %s", ctor, err, example)
	}
	args := in.Args
	if in.Function != "" {
		args = append([]string{in.Function}, args...)
	}
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out, nil
}

// parseTransient reads --transient as Fabric's peer CLI does: a JSON object
// whose values are base64 (standard encoding), decoded into bytes. An empty
// string means no transient data.
func parseTransient(s string) (map[string][]byte, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var m map[string][]byte
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("--transient %s: %w; give a JSON object whose values are base64, e.g. --transient '{\"price\":\"MTAw\"}' (MTAw is base64 of 100: echo -n 100 | base64)", s, err)
	}
	return m, nil
}

// parseAttrs reads repeated --attr key=value flags.
func parseAttrs(attrs []string) (map[string]string, error) {
	if len(attrs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--attr %q: want key=value, e.g. --attr role=auditor", a)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("--attr %q: the attribute %q is given twice", a, k)
		}
		m[k] = v
	}
	return m, nil
}
