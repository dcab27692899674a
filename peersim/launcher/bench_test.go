//go:build unix

package launcher

import (
	"context"
	"testing"
)

// BenchmarkBuild compares Build of a tiny Go chaincode package with an
// empty build cache (cold: extract the code, run `go build`, publish the
// binary) and with the build already cached (warm: read build-info.json and
// check the binary), side by side. The Go toolchain's own GOCACHE is warm
// after the first cold iteration, so cold measures peersim's build path
// plus compiling and linking one small main package, about a second; with
// `make bench`'s default -benchtime the cold case runs only a few
// iterations.
func BenchmarkBuild(b *testing.B) {
	pkg := pack(b, writeModule(b, map[string]string{"go.mod": tinyGoMod, "main.go": tinyMain}), "bench_1", "")
	ctx := context.Background()
	b.Run("cold", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			r := newRunner(b, nil, nil)
			b.StartTimer()
			if _, err := r.Build(ctx, pkg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("warm", func(b *testing.B) {
		r := newRunner(b, nil, nil)
		if _, err := r.Build(ctx, pkg); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			bd, err := r.Build(ctx, pkg)
			if err != nil || !bd.Reused {
				b.Fatalf("warm build: %+v, %v", bd, err)
			}
		}
	})
}
