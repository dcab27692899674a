package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCtor(t *testing.T) {
	tests := []struct {
		name    string
		ctor    string
		want    []string
		wantErr string
	}{
		{"Args alone are the arguments", `{"Args":["init","a","100"]}`, []string{"init", "a", "100"}, ""},
		{"Function becomes the first argument", `{"function":"init","Args":["a","100"]}`, []string{"init", "a", "100"}, ""},
		{"keys are case-insensitive as in Fabric", `{"FUNCTION":"f","args":["x"]}`, []string{"f", "x"}, ""},
		{"an empty Args list is no arguments", `{"Args":[]}`, []string{}, ""},
		{"an empty function adds nothing", `{"Function":"","Args":["x"]}`, []string{"x"}, ""},
		{"empty strings are kept", `{"Args":["put","k",""]}`, []string{"put", "k", ""}, ""},
		{"an empty -c is refused", ``, nil, "-c is empty"},
		{"invalid JSON is refused", `{"Args":["a"]`, nil, "not a JSON object"},
		{"a JSON list is refused", `["a"]`, nil, "not a JSON object"},
		{"a missing Args key is refused", `{"Function":"f"}`, nil, `no "Args" key`},
		{"an unknown key is refused", `{"Args":["a"],"IsInit":true}`, nil, `the key "IsInit"`},
		{"numbers in Args are refused", `{"Args":["a",1]}`, nil, "list of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCtor(tt.ctor)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseCtor(%q) error = %v, want one containing %q", tt.ctor, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseCtor(%q): %v", tt.ctor, err)
			}
			gotStrings := make([]string, len(got))
			for i, a := range got {
				gotStrings[i] = string(a)
			}
			if diff := cmp.Diff(tt.want, gotStrings); diff != "" {
				t.Errorf("parseCtor(%q) (-want +got):\n%s", tt.ctor, diff)
			}
		})
	}
}

func TestParseTransient(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string][]byte
		wantErr string
	}{
		{"empty means no transient data", "", nil, ""},
		{"values are base64 as in Fabric's CLI", `{"price":"MTAw","blob":"AP8="}`, map[string][]byte{"price": []byte("100"), "blob": {0x00, 0xff}}, ""},
		{"an empty object is an empty map", `{}`, map[string][]byte{}, ""},
		{"a value that is not base64 is refused", `{"price":"100!"}`, nil, "base64"},
		{"a value that is not a string is refused", `{"price":100}`, nil, "base64"},
		{"invalid JSON is refused", `{"price":`, nil, "--transient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTransient(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseTransient(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseTransient(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseTransient(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseAttrs(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    map[string]string
		wantErr string
	}{
		{"no attributes", nil, nil, ""},
		{"key=value pairs", []string{"role=auditor", "dept=a=b"}, map[string]string{"role": "auditor", "dept": "a=b"}, ""},
		{"an empty value is allowed", []string{"flag="}, map[string]string{"flag": ""}, ""},
		{"a missing = is refused", []string{"role"}, nil, "want key=value"},
		{"an empty key is refused", []string{"=x"}, nil, "want key=value"},
		{"a repeated key is refused", []string{"a=1", "a=2"}, nil, "given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAttrs(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseAttrs(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseAttrs(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseAttrs(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
