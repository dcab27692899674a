package peersim

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"

	"github.com/chaincodekit/chaincodekit/peersim/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// TestProductionModeRunsAndGuardsItsChaincode follows one sample through
// production mode with the real launcher and chaincode TLS: install,
// instantiate (launch from the build cache, REGISTER over mutual TLS,
// Init), invoke and query; a second channel served by the same process;
// the registry as `peersim chaincode list --running` shows it; rogue
// processes refused; a killed process relaunched by the next invoke; and
// no process or goroutine left once the peer stops.
func TestProductionModeRunsAndGuardsItsChaincode(t *testing.T) {
	fx := saccFixture(t)
	goroutines := peerGoroutines(leakcheck.Take())
	var pids []int
	var shutdownLog string // what the peer logged while it stopped
	func() {
		dir := t.TempDir()
		fx.seedBuild(t, dir)
		n := startProd(t, dir, true)
		_, ccAddr, _ := n.p.Addrs()
		n.installOK(t, "sacc", "1.0", fx.pkg)

		t.Run("install, instantiate, invoke and query work", func(t *testing.T) {
			n.instantiate(t, DefaultChannel, "sacc", "1.0", "a", "10")
			if r := n.query(t, DefaultChannel, "sacc", "get", "a"); string(r.GetPayload()) != "10" {
				t.Errorf("get a after Init: %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
			}
			if resp, code := n.invoke(t, n.user, DefaultChannel, "sacc", "set", "a", "20"); code != peer.TxValidationCode_VALID {
				t.Fatalf("set: %s %v", resp.GetResponse().GetMessage(), code)
			}
			if r := n.query(t, DefaultChannel, "sacc", "get", "a"); string(r.GetPayload()) != "20" {
				t.Errorf("get a: %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
			}
			n.log.wait(t, "reusing chaincode build")
		})
		first := n.running(t, "sacc:1.0")
		pids = append(pids, first.PID)

		t.Run("a second channel reuses the running process", func(t *testing.T) {
			if err := n.p.CreateChannel("other"); err != nil {
				t.Fatal(err)
			}
			n.instantiate(t, "other", "sacc", "1.0", "b", "5")
			if r := n.query(t, "other", "sacc", "get", "b"); string(r.GetPayload()) != "5" {
				t.Errorf("get b on other: %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
			}
			if got := n.running(t, "sacc:1.0").PID; got != first.PID {
				t.Errorf("pid %d on the second channel, want the first process %d", got, first.PID)
			}
		})

		t.Run("list --running shows id, pid, channels and start time", func(t *testing.T) {
			c, err := client.New(n.client, n.admin)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			got, err := c.RunningChaincodes(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("running %+v, want sacc:1.0 only", got)
			}
			r := got[0]
			if r.CCID != "sacc:1.0" || r.PID != first.PID || !slices.Equal(r.Channels, []string{DefaultChannel, "other"}) ||
				!r.Started.Equal(first.Started) || time.Since(r.Started) > time.Hour || r.Started.After(time.Now()) {
				t.Errorf("running %+v, want ccid sacc:1.0, pid %d, channels [%s other], started %v", r, first.PID, DefaultChannel, first.Started)
			}
		})

		t.Run("a rogue process with the right name:version is refused", func(t *testing.T) {
			ca := filepath.Join(t.TempDir(), "peer.crt")
			if err := os.WriteFile(ca, n.p.ccCA.CertPEM(), 0o600); err != nil {
				t.Fatal(err)
			}
			kp, err := n.p.ccCA.IssueClient("sacc:1.0")
			if err != nil {
				t.Fatal(err)
			}
			ownCert := writeKeyPair(t, kp.CertPEM, kp.KeyPEM)
			launches, _ := filepath.Glob(filepath.Join(dir, "launches", "*", "client_pem.crt"))
			if len(launches) != 1 {
				t.Fatalf("launch certificates %v, want the running process's one", launches)
			}
			stolen := [2]string{launches[0], filepath.Join(filepath.Dir(launches[0]), "client_pem.key")}
			tests := []struct {
				name      string
				cert, key string
				want      string
			}{
				{name: "a certificate from the peer's CA not issued for a launch", cert: ownCert[0], key: ownCert[1], want: "not found in registry"},
				{name: "the certificate of the process already registered", cert: stolen[0], key: stolen[1], want: "has already registered"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					out, err := runRogue(t, fx, ccAddr, "CORE_CHAINCODE_ID_NAME=sacc:1.0", "CORE_PEER_TLS_ENABLED=true",
						"CORE_PEER_TLS_ROOTCERT_FILE="+ca, "CORE_TLS_CLIENT_CERT_FILE="+tt.cert, "CORE_TLS_CLIENT_KEY_FILE="+tt.key)
					if err == nil || !strings.Contains(out, tt.want) {
						t.Errorf("rogue exited with %v:\n%s\nwant a refusal saying %q", err, out, tt.want)
					}
				})
			}
			if got := n.running(t, "sacc:1.0").PID; got != first.PID {
				t.Errorf("pid %d after the rogues, want %d", got, first.PID)
			}
			if r := n.query(t, DefaultChannel, "sacc", "get", "a"); string(r.GetPayload()) != "20" {
				t.Errorf("the launched process stopped serving: %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
			}
		})

		t.Run("after kill -9 the next invoke relaunches the chaincode", func(t *testing.T) {
			if err := syscall.Kill(first.PID, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			n.waitDisconnected(t, "sacc:1.0")
			n.log.wait(t, "chaincode process exited")
			if resp, code := n.invoke(t, n.user, DefaultChannel, "sacc", "set", "a", "30"); code != peer.TxValidationCode_VALID {
				t.Fatalf("set after kill: %s %v", resp.GetResponse().GetMessage(), code)
			}
			if r := n.query(t, DefaultChannel, "sacc", "get", "a"); string(r.GetPayload()) != "30" {
				t.Errorf("get a: %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
			}
			again := n.running(t, "sacc:1.0")
			if again.PID == first.PID || !processGone(first.PID) {
				t.Errorf("pid %d after relaunch, killed pid %d gone: %v", again.PID, first.PID, processGone(first.PID))
			}
			pids = append(pids, again.PID)
		})
		beforeStop := n.log.mark()
		n.stop()
		shutdownLog = n.log.since(beforeStop)
	}()

	t.Run("peer shutdown leaves no chaincode process", func(t *testing.T) {
		for _, pid := range pids {
			if !processGone(pid) {
				t.Errorf("chaincode process %d survived the peer", pid)
			}
		}
	})
	t.Run("a clean shutdown logs the chaincode as stopped, not as a crash", func(t *testing.T) {
		stoppedLine := regexp.MustCompile(`level=INFO msg="chaincode process stopped" .*ccid=sacc:1.0`)
		if strings.Contains(shutdownLog, "level=WARN") || !stoppedLine.MatchString(shutdownLog) {
			t.Errorf("the peer's log while stopping:\n%s", shutdownLog)
		}
	})
	goroutines.Verify(t)
}

// TestProductionModeWithoutChaincodeTLS checks Fabric's weaker rule: with
// --chaincode-tls=false the peer accepts only an id it is launching and
// that has not registered yet, and says at start that this is weaker.
func TestProductionModeWithoutChaincodeTLS(t *testing.T) {
	fx := saccFixture(t)
	dir := t.TempDir()
	fx.seedBuild(t, dir)
	n := startProd(t, dir, false)
	_, ccAddr, _ := n.p.Addrs()
	n.installOK(t, "sacc", "1.0", fx.pkg)
	if !n.log.contains("level=WARN") || !n.log.contains("chaincode TLS is off") {
		t.Errorf("no warning that chaincode TLS is off was logged")
	}
	rogue := func(t *testing.T, want string) {
		t.Helper()
		out, err := runRogue(t, fx, ccAddr, "CORE_CHAINCODE_ID_NAME=sacc:1.0", "CORE_PEER_TLS_ENABLED=false")
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("rogue exited with %v:\n%s\nwant a refusal saying %q", err, out, want)
		}
	}
	t.Run("a rogue process is refused while nothing is launched", func(t *testing.T) {
		rogue(t, "peer will not accept external chaincode connection sacc:1.0 (except in dev mode): this peer is not launching it")
	})
	n.instantiate(t, DefaultChannel, "sacc", "1.0", "a", "1")
	pid := n.running(t, "sacc:1.0").PID
	t.Run("a rogue process is refused once the launched one registered", func(t *testing.T) {
		rogue(t, "has already registered")
		if r := n.query(t, DefaultChannel, "sacc", "get", "a"); string(r.GetPayload()) != "1" {
			t.Errorf("get a: %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
		}
		if got := n.running(t, "sacc:1.0").PID; got != pid {
			t.Errorf("pid %d, want %d", got, pid)
		}
	})
	n.stop()
	if !processGone(pid) {
		t.Errorf("chaincode process %d survived the peer", pid)
	}
}

// writeKeyPair writes a PEM certificate and key to files and returns their
// paths.
func writeKeyPair(t *testing.T, cert, key []byte) [2]string {
	t.Helper()
	dir := t.TempDir()
	out := [2]string{filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key")}
	for i, b := range [][]byte{cert, key} {
		if err := os.WriteFile(out[i], b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
