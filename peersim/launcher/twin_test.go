//go:build unix

package launcher

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestPrimaryOfTellsTwinIDs(t *testing.T) {
	tests := []struct {
		name, id, primary string
		twin              bool
	}{
		{"a twin id names its primary", "mycc:1.0#twin", "mycc:1.0", true},
		{"a package ID's twin names the package ID", TwinOf("lc_1:0a1b"), "lc_1:0a1b", true},
		{"an ordinary id is no twin", "mycc:1.0", "mycc:1.0", false},
		{"the bare suffix names nothing", TwinSuffix, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			primary, twin := PrimaryOf(tt.id)
			if twin != tt.twin || (twin && primary != tt.primary) {
				t.Errorf("PrimaryOf(%q) = %q, %v; want %q, %v", tt.id, primary, twin, tt.primary, tt.twin)
			}
		})
	}
}

func TestTwinEnvPicksAnotherTimeZone(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"no TZ: Pacific/Chatham", []string{"PATH=/bin"}, "TZ=Pacific/Chatham"},
		{"another TZ: Pacific/Chatham", []string{"TZ=UTC"}, "TZ=Pacific/Chatham"},
		{"the primary in Chatham: Kathmandu", []string{"TZ=UTC", "TZ=Pacific/Chatham"}, "TZ=Asia/Kathmandu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := twinEnv(tt.env); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("twinEnv(%q) = %q, want [%s]", tt.env, got, tt.want)
			}
		})
	}
}

// TestTwinRunsPerturbedAndStopsWithItsPrimary launches a chaincode and
// its twin: the twin registers as the twin id, with its own certificate,
// another TZ and its own working directory, and exits when its primary
// is stopped.
func TestTwinRunsPerturbedAndStopsWithItsPrimary(t *testing.T) {
	sink := newLogSink()
	ca := newRecordingCA(t)
	r := newRunner(t, sink, func(c *Config) {
		helperMode("env")(c)
		c.TLS, c.CA = true, ca
	})
	pkg := helperPackage(t, r, "mycc_1")
	primary := launch(t, r, "mycc:1", pkg)
	twinID := TwinOf("mycc:1")
	twin := launch(t, r, twinID, pkg)
	sink.wait(t, "[mycc:1] ready")
	sink.wait(t, "["+twinID+"] ready")
	sink.wait(t, "["+twinID+"] env CORE_CHAINCODE_ID_NAME="+twinID)
	sink.wait(t, "["+twinID+"] env TZ=Pacific/Chatham")
	if twin.PID == primary.PID {
		t.Fatalf("the twin runs as the primary's process %d", primary.PID)
	}
	cwd := map[string]string{}
	for _, l := range sink.all() {
		for _, id := range []string{"mycc:1", twinID} {
			if rest, ok := strings.CutPrefix(l, "["+id+"] "); ok {
				if dir, ok := strings.CutPrefix(rest, "cwd "); ok {
					cwd[id] = dir
				}
				if id == "mycc:1" && strings.HasPrefix(rest, "env TZ=") {
					t.Errorf("the primary got the twin's perturbation: %s", l)
				}
			}
		}
	}
	if cwd["mycc:1"] == "" || cwd["mycc:1"] == cwd[twinID] {
		t.Errorf("working directories %q, want two different ones", cwd)
	}
	if primary.certHash == "" || primary.certHash == twin.certHash {
		t.Errorf("client certificates %q and %q, want one each", primary.certHash, twin.certHash)
	}
	if err := r.Authorize(twinID, ca.last("mycc:1").Hash()); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("the twin registering with the primary's certificate: %v, want ErrUnauthorized", err)
	}

	if err := r.Stop(context.Background(), "mycc:1"); err != nil {
		t.Fatal(err)
	}
	waitDone(t, twin)
	if got := r.List(); len(got) != 0 {
		t.Errorf("running after the primary stopped: %+v, want nothing", got)
	}
}

func TestTwinOfAChaincodeServerIsRefused(t *testing.T) {
	r := newRunner(t, nil, nil)
	pkg := pack(t, writeModule(t, map[string]string{"connection.json": `{"address":"127.0.0.1:9999"}`}), "svc_1", "ccaas")
	if _, err := r.Launch(context.Background(), "svc:1", pkg); err != nil {
		t.Fatalf("Launch(svc:1): %v", err)
	}
	_, err := r.Launch(context.Background(), TwinOf("svc:1"), pkg)
	if !errors.Is(err, ErrServiceTwin) {
		t.Fatalf("Launch of the twin of a chaincode server: %v, want ErrServiceTwin", err)
	}
	if got := r.List(); len(got) != 1 || got[0].CCID != "svc:1" {
		t.Errorf("running %+v, want the server svc:1 only", got)
	}
}
