package ccpackage

import (
	"bytes"
	"testing"
)

func TestFromDeploymentSpec(t *testing.T) {
	const path = "example.com/cc"
	code := tarGz(t, dir("src/"), file("src/go.mod", "module example.com/cc\n"), file("src/main.go", "package main\nfunc main() {}\n"))
	pkg := tarGz(t, file(MetadataFile, `{"path":"example.com/cc","type":"golang","label":"cc_1.0"}`), tarEntry{hdr: file(CodeFile, "").hdr})
	tests := []struct {
		name string
		code []byte
		// wrapped: the result is a package around code; else it is code.
		wrapped bool
		label   string
		wantErr bool
	}{
		{name: "the bare code archive Fabric's peer chaincode install sends is wrapped", code: code, wrapped: true, label: "cc_1.0"},
		{name: "a 2.x package passes as it is", code: pkg, label: "cc_1.0"},
		{name: "what is not a gzipped tar passes as it is, for Parse to refuse", code: []byte("not a package"), label: "cc_1.0"},
		{name: "a label Fabric refuses is an error", code: code, label: "bad label", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromDeploymentSpec("GOLANG", path, tt.label, tt.code)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.wrapped {
				if !bytes.Equal(got, tt.code) {
					t.Error("the code package was changed")
				}
				return
			}
			p, err := Parse(got)
			if err != nil {
				t.Fatalf("the package made does not parse: %v", err)
			}
			if want := (Metadata{Path: path, Type: TypeGolang, Label: tt.label}); p.Metadata != want {
				t.Errorf("metadata %+v, want %+v", p.Metadata, want)
			}
			if !bytes.Equal(p.Code, tt.code) {
				t.Error("code.tar.gz is not the code package sent")
			}
		})
	}
}
