package peersim

import "testing"

// BenchmarkInstantiate measures an instantiate in production mode with
// the real launcher and chaincode TLS, from the deploy proposal to the
// endorsed answer (Init done), side by side: cold with an empty peer build
// cache (extract the package, `go build` the sacc sample, launch, register,
// Init) and warm with the build cached (launch, register, Init). Go's own
// GOCACHE is warm in both, as on a developer's machine, so cold is mostly
// the link. Each iteration starts a fresh peer outside the timer.
func BenchmarkInstantiate(b *testing.B) {
	fx := saccFixture(b)
	for _, bc := range []struct {
		name string
		warm bool
	}{{"cold", false}, {"warm", true}} {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				dir := b.TempDir()
				if bc.warm {
					fx.seedBuild(b, dir)
				}
				n := startProd(b, dir, true)
				n.installOK(b, "sacc", "1.0", fx.pkg)
				b.StartTimer()
				resp := n.endorseDeploy(b, DefaultChannel, "sacc", "1.0", "a", "1")
				b.StopTimer()
				if resp.GetResponse().GetStatus() != 200 {
					b.Fatalf("instantiate: %d %s", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
				}
				if bc.warm != n.log.contains("reusing chaincode build") {
					b.Fatalf("build cache reused: %v, want %v", !bc.warm, bc.warm)
				}
				n.stop()
			}
		})
	}
}
