package snapshot

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/google/go-cmp/cmp"
)

func sampleFile(t *testing.T) *File {
	t.Helper()
	fx, err := ParseFixture([]byte(`{"mycc": {"a": "1", "doc": {"x": [1, 2]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := fx.Export()
	if err != nil {
		t.Fatal(err)
	}
	return New("Org1MSP", map[string]*ledger.Export{"mychannel": e, "other": {State: []ledger.StateEntry{}}})
}

func encode(t *testing.T, f *File) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, f); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWriteRead(t *testing.T) {
	t.Run("a written snapshot reads back equal, and writes the same bytes again", func(t *testing.T) {
		f := sampleFile(t)
		raw := encode(t, f)
		got, err := Read(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if d := cmp.Diff(f, got); d != "" {
			t.Fatalf("read back (-want +got):\n%s", d)
		}
		if !bytes.Equal(raw, encode(t, got)) {
			t.Fatal("writing the same document twice gave different bytes")
		}
	})
	t.Run("channels are sorted by name", func(t *testing.T) {
		f := sampleFile(t)
		if f.Channels[0].Name != "mychannel" || f.Channels[1].Name != "other" {
			t.Fatalf("channels %s, %s", f.Channels[0].Name, f.Channels[1].Name)
		}
	})
	t.Run("WriteFile replaces the file whole and ReadFile reads it", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s.snap")
		if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(path, sampleFile(t)); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadFile(path); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(filepath.Dir(path))
		if len(entries) != 1 {
			t.Fatalf("left %d files, want only the snapshot", len(entries))
		}
	})
}

func TestReadRefuses(t *testing.T) {
	good := encode(t, sampleFile(t))
	doc := func(edit func(f *File)) []byte {
		f := sampleFile(t)
		edit(f)
		return encode(t, f)
	}
	for _, tc := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"an empty file", nil, "not gzip"},
		{"plain JSON", []byte(`{"format":"peersim-snapshot"}`), "not gzip"},
		{"a truncated file", good[:len(good)/2], "invalid snapshot"},
		{"a corrupted byte", func() []byte {
			b := bytes.Clone(good)
			b[len(b)-6] ^= 0xff // inside the CRC-32 trailer
			return b
		}(), "invalid snapshot"},
		{"gzip'd garbage", gz(t, "not json"), "decode"},
		{"an unknown field", gz(t, `{"format":"peersim-snapshot","version":1,"mspid":"Org1MSP","channels":[],"extra":1}`), "unknown field"},
		{"data after the document", gz(t, `{"format":"peersim-snapshot","version":1,"mspid":"Org1MSP","channels":[]} {}`), "after the document"},
		{"another format", doc(func(f *File) { f.Format = "fabric" }), `format "fabric"`},
		{"an older format version", doc(func(f *File) { f.Version = 0 }), "format version 0"},
		{"a newer format version", doc(func(f *File) { f.Version = 2 }), "format version 2"},
		{"no MSP ID", doc(func(f *File) { f.MSPID = "" }), "mspid"},
		{"a bad channel name", doc(func(f *File) { f.Channels[0].Name = "My Channel" }), "bad channel name"},
		{"a channel twice", doc(func(f *File) { f.Channels[1].Name = f.Channels[0].Name }), "appears twice"},
		{"an inconsistent channel", doc(func(f *File) { f.Channels[0].State[0].Block = 5 }), "not below the height"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.raw))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("read: %v; want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
}

func TestFixtures(t *testing.T) {
	t.Run("strings are stored as text, other values as compact JSON", func(t *testing.T) {
		f, err := ParseFixture([]byte(`{"mycc": {"a": "100", "n": 5, "doc": { "color" : "blue" }, "nul": null}}`))
		if err != nil {
			t.Fatal(err)
		}
		want := Fixture{"mycc": {"a": []byte("100"), "n": []byte("5"), "doc": []byte(`{"color":"blue"}`), "nul": []byte("null")}}
		if d := cmp.Diff(want, f); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
	})
	t.Run("the same fixture gives the same chain", func(t *testing.T) {
		a, _ := ParseFixture([]byte(`{"mycc": {"a": "1", "b": "2"}}`))
		b, _ := ParseFixture([]byte(`{"mycc": {"b": "2", "a": "1"}}`))
		ea, err := a.Export()
		if err != nil {
			t.Fatal(err)
		}
		eb, _ := b.Export()
		if d := cmp.Diff(ea, eb); d != "" {
			t.Fatalf("(-a +b):\n%s", d)
		}
		if ea.Height != 1 || len(ea.CurrentBlockHash) != 32 {
			t.Fatalf("height %d, hash %x", ea.Height, ea.CurrentBlockHash)
		}
	})
	for _, tc := range []struct{ name, doc, want string }{
		{"a list", `["a"]`, "want {"},
		{"keys not in an object", `{"mycc": "a"}`, "want {"},
		{"an empty chaincode name", `{"": {"a": "1"}}`, "empty chaincode name"},
		{"two documents", `{} {}`, "after the document"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			_, err := ParseFixture([]byte(tc.doc))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parse: %v; want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
	for _, tc := range []struct{ spec, channel, path string }{
		{"state.json", "mychannel", "state.json"},
		{"other=state.json", "other", "state.json"},
		{"./a=b.json", "mychannel", "./a=b.json"},
	} {
		t.Run("reads the fixture flag "+tc.spec, func(t *testing.T) {
			ch, path, err := ParseFixtureSpec(tc.spec, "mychannel")
			if err != nil || ch != tc.channel || path != tc.path {
				t.Fatalf("got %q %q %v; want %q %q", ch, path, err, tc.channel, tc.path)
			}
		})
	}
}
