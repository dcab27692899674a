package identity

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestIdentityCacheHonoursValidityAndItsBound(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	user, err := org.Identity("User1")
	if err != nil {
		t.Fatal(err)
	}
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	m := mustMSP(t, []MSPConfig{org.MSPConfig()}, WithClock(clock), WithIdentityCache(2))

	first, err := m.DeserializeIdentity(user.Serialize())
	if err != nil {
		t.Fatal(err)
	}
	if again, err := m.DeserializeIdentity(user.Serialize()); err != nil || again != first {
		t.Fatalf("second look-up = %p, %v; want the cached identity %p", again, err, first)
	}
	// Past the certificate's NotAfter the cached entry does not count: the
	// identity is validated again and refused.
	now.Store(user.Certificate().NotAfter.Add(time.Hour).UnixNano())
	if _, err := m.DeserializeIdentity(user.Serialize()); !errors.Is(err, ErrInvalidIdentity) {
		t.Fatalf("look-up after expiry = %v, want ErrInvalidIdentity", err)
	}
	now.Store(time.Now().UnixNano())

	// Bounded: a third identity pushes the oldest out.
	for _, name := range []string{"Admin", "User1"} {
		id, err := org.Identity(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.DeserializeIdentity(id.Serialize()); err != nil {
			t.Fatal(err)
		}
	}
	peer := org.Peer()
	if _, err := m.DeserializeIdentity(peer.Serialize()); err != nil {
		t.Fatal(err)
	}
	if n := m.cache.Len(); n != 2 {
		t.Errorf("cache holds %d identities, want its bound 2", n)
	}
	// Garbage is never cached and still refused.
	if _, err := m.DeserializeIdentity([]byte("not an identity")); err == nil {
		t.Error("garbage deserialized")
	}
	// Off: nothing is kept.
	off := mustMSP(t, []MSPConfig{org.MSPConfig()}, WithIdentityCache(0))
	a, _ := off.DeserializeIdentity(user.Serialize())
	b, _ := off.DeserializeIdentity(user.Serialize())
	if a == nil || a == b || off.cache.Len() != 0 {
		t.Errorf("with the cache off, look-ups returned %p and %p (cache %d); want two validations", a, b, off.cache.Len())
	}
}

// BenchmarkDeserializeIdentity compares a look-up of an identity seen
// before with the cache (the default) and without it (every look-up
// parses the PEM and verifies the chain), in one run.
func BenchmarkDeserializeIdentity(b *testing.B) {
	org := newTestOrg(b, "Org1MSP", "org1.example.com")
	user, err := org.Identity("User1")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		size int
	}{{"cache=off", 0}, {"cache=on", DefaultIdentityCacheSize}} {
		b.Run(tc.name, func(b *testing.B) {
			m, err := NewMSP([]MSPConfig{org.MSPConfig()}, WithIdentityCache(tc.size))
			if err != nil {
				b.Fatal(err)
			}
			serialized := user.Serialize()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.DeserializeIdentity(serialized); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
