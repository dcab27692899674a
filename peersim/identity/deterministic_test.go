package identity

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
)

// orgFiles reads every file of the organisation in dir, by relative path.
func orgFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestDeterministicOrganisations(t *testing.T) {
	det := func(seed string) Config {
		cfg := DefaultConfig()
		cfg.Deterministic = &Deterministic{Seed: []byte(seed), Time: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
		return cfg
	}
	create := func(cfg Config) (*Org, string) {
		dir := filepath.Join(t.TempDir(), "org")
		o, err := EnsureOrg(dir, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return o, dir
	}
	a, dirA := create(det("seed"))
	b, dirB := create(det("seed"))
	_, dirC := create(det("other"))
	t.Run("the same seed gives the same keys and certificates", func(t *testing.T) {
		if d := cmp.Diff(orgFiles(t, dirA), orgFiles(t, dirB)); d != "" {
			t.Fatalf("(-a +b):\n%s", d)
		}
	})
	t.Run("another seed gives other keys", func(t *testing.T) {
		if orgFiles(t, dirA)["ca/priv_sk"] == orgFiles(t, dirC)["ca/priv_sk"] {
			t.Fatal("two seeds gave the same CA key")
		}
	})
	t.Run("the same calls give the same signed proposals, and they verify", func(t *testing.T) {
		var got [2][][]byte
		for i, o := range []*Org{a, b} {
			u, err := o.Identity("User1")
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				sp, _, err := u.NewSignedProposal(Invocation{ChannelID: "mychannel", Chaincode: "cc", Args: [][]byte{[]byte("f")}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := o.MSP().ValidateProposal(sp); err != nil {
					t.Fatalf("validate: %v", err)
				}
				raw, _ := proto.Marshal(sp)
				got[i] = append(got[i], raw)
			}
		}
		for i := range got[0] {
			if !bytes.Equal(got[0][i], got[1][i]) {
				t.Fatalf("proposal %d differs between the two organisations", i)
			}
		}
		if bytes.Equal(got[0][0], got[0][1]) {
			t.Fatal("two proposals of one organisation are the same: the nonce did not advance")
		}
	})
	t.Run("signatures are deterministic without a seed too", func(t *testing.T) {
		o, _ := create(DefaultConfig())
		u, err := o.Identity("User1")
		if err != nil {
			t.Fatal(err)
		}
		s1, err1 := u.Sign([]byte("msg"))
		s2, err2 := u.Sign([]byte("msg"))
		if err1 != nil || err2 != nil || !bytes.Equal(s1, s2) {
			t.Fatalf("two signatures of one message differ (%v, %v)", err1, err2)
		}
	})
}
