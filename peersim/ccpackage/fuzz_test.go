package ccpackage

import (
	"errors"
	"regexp"
	"testing"
)

var idRE = regexp.MustCompile(`^[[:alnum:]][[:alnum:]_.+-]*:[0-9a-f]{64}$`)

// FuzzParse checks that no input makes Parse panic or hang, that every
// refusal is an error with a message, and that a package Parse accepts can
// be extracted.
func FuzzParse(f *testing.F) {
	f.Add(goPackage(f, file("src/main.go", goMain), file("META-INF/statedb/couchdb/indexes/i.json", indexOwner)))
	f.Add(goPackage(f, dir("src/"), file("src/main.go", goMain)))
	f.Add(outer(f, `{"path":"","type":"ccaas","label":"cc"}`, tarGz(f, file("connection.json", `{"address":"a:1"}`))))
	f.Add(goPackage(f, file("src/../x", "")))
	f.Add(goPackage(f, tarEntry{hdr: symlinkHeader("src/l", "/")}))
	f.Add(outer(f, `{"label":""}`, nil))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00})
	f.Add([]byte{})
	limits := Limits{MaxTotalSize: 1 << 20, MaxEntries: 200}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, WithLimits(limits))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			var ae *ArchiveError
			if !errors.As(err, &ae) {
				t.Fatalf("refusal %v is not an *ArchiveError", err)
			}
			return
		}
		if !idRE.MatchString(p.ID()) {
			t.Fatalf("ID %q is malformed", p.ID())
		}
		if err := Extract(p, t.TempDir()); err != nil {
			t.Fatalf("Extract of an accepted package: %v", err)
		}
	})
}
