package ccsupport

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/launcher"
)

func TestTwin(t *testing.T) {
	registered := make(chan struct{})
	close(registered)
	const twin = "mycc:1.0" + launcher.TwinSuffix
	tests := []struct {
		name      string
		dev       bool
		connected []string
		launcher  *fakeLauncher
		want      string // the ccid Twin returns
		wantErr   string // a substring of the error; empty: none
		launches  []launch
	}{
		{name: "development mode reruns on the one process", dev: true, want: "mycc:1.0"},
		{name: "a connected twin is reused", connected: []string{"mycc:1.0", twin}, launcher: &fakeLauncher{}, want: twin},
		{name: "the twin is launched on first use", connected: []string{"mycc:1.0"}, launcher: &fakeLauncher{}, want: twin,
			launches: []launch{{ccid: twin, ok: true}}},
		{name: "a chaincode server reruns on the same server",
			launcher: &fakeLauncher{launchErr: fmt.Errorf("start a twin: %w", launcher.ErrServiceTwin)}, want: "mycc:1.0",
			launches: []launch{{ccid: twin}}},
		{name: "a twin that cannot launch is an error naming it", launcher: &fakeLauncher{launchErr: errors.New("build failed")},
			wantErr: "could not launch chaincode " + twin + ": build failed", launches: []launch{{ccid: twin}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var launches []launch
			s := New(Config{
				Dev: tt.dev, StartupTimeout: time.Minute, // the outcome comes from the fake registration
				Server:   &fakeServer{connected: tt.connected, ready: registered},
				Packages: fakePackages{},
				Launcher: func() Launcher { return tt.launcher },
				Launched: func(ccid string, ok, timedOut bool, _ time.Duration) {
					launches = append(launches, launch{ccid: ccid, ok: ok, timedOut: timedOut})
				},
				Stopping: make(chan struct{}),
			})
			got, err := s.Twin(context.Background(), "mycc:1.0")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Twin: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Twin error = %v, want one containing %q", err, tt.wantErr)
			case tt.wantErr == "" && got != tt.want:
				t.Errorf("Twin = %q, want %q", got, tt.want)
			}
			if !equalLaunches(launches, tt.launches) {
				t.Errorf("launches observed = %+v, want %+v", launches, tt.launches)
			}
		})
	}
}
