package main

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/chaincodekit/chaincodekit/peersim/client"
)

func TestLaunchingCommandsDefaultToATimeoutThatCoversABuild(t *testing.T) {
	if got := launchTimeout(); got != 7*time.Minute {
		t.Errorf("launchTimeout() = %s, want 7m: the peer's 5m build + 1m startup + 30s execute timeouts and 30s for the commit", got)
	}
	tests := []struct {
		name     string
		args     []string
		launches bool
		want     time.Duration
	}{
		{"a command that launches nothing waits 30s", nil, false, defaultTimeout},
		{"instantiate, upgrade and invoke wait for a build", nil, true, launchTimeout()},
		{"--timeout wins for them", []string{"--timeout", "45s"}, true, 45 * time.Second},
		{"--timeout wins for the others", []string{"--timeout", "5s"}, false, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f clientFlags
			cmd := &cobra.Command{Use: "test"}
			addClientFlags(cmd, &f, true)
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			if got := commandTimeout(cmd, &f, tt.launches); got != tt.want {
				t.Errorf("commandTimeout = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBuildWatchPrintsTheProgressOfTheChaincodesBuild(t *testing.T) {
	mine := func(done bool, secs float64, errText string) client.ChaincodeBuild {
		return client.ChaincodeBuild{PackageID: "mycc_1.0:abc", Label: "mycc_1.0", Builder: "golang", Chaincodes: []string{"mycc:1.0"}, Done: done, Seconds: secs, Error: errText}
	}
	other := client.ChaincodeBuild{PackageID: "other_1:def", Label: "other_1", Builder: "golang", Chaincodes: []string{"other:1"}}
	goNote := " (go build; with cold Go caches the first build downloads modules and compiles the dependencies, which can take minutes)"
	tests := []struct {
		name   string
		polls  [][]client.ChaincodeBuild // one answer per poll
		finish []client.ChaincodeBuild   // answer to the poll of finish, if it asks
		want   string
	}{
		{
			name:  "a build seen running and then done prints both lines",
			polls: [][]client.ChaincodeBuild{{mine(false, 0, "")}, {mine(false, 0, "")}, {mine(true, 41.93, "")}},
			want:  "building mycc_1.0" + goNote + "...\nbuilt mycc_1.0 in 41.9s\n",
		},
		{
			name:   "a build that ends after the last poll is reported when the call returns",
			polls:  [][]client.ChaincodeBuild{{mine(false, 0, "")}},
			finish: []client.ChaincodeBuild{mine(true, 12.3, "")},
			want:   "building mycc_1.0" + goNote + "...\nbuilt mycc_1.0 in 12.3s\n",
		},
		{
			name:  "a failed build says so; the command prints the error",
			polls: [][]client.ChaincodeBuild{{mine(false, 0, "")}, {mine(true, 3, "exit status 1")}},
			want:  "building mycc_1.0" + goNote + "...\nbuild of mycc_1.0 failed after 3.0s\n",
		},
		{
			name:  "a build finished before the first poll (a warm deploy) prints nothing",
			polls: [][]client.ChaincodeBuild{{mine(true, 1, "")}},
		},
		{
			name:  "another chaincode's build prints nothing",
			polls: [][]client.ChaincodeBuild{{other}, {other}},
		},
		{
			name:  "an external builder is named",
			polls: [][]client.ChaincodeBuild{{{PackageID: "x", Label: "mycc_1.0", Builder: "ext", Chaincodes: []string{"mycc:1.0"}}}},
			want:  "building mycc_1.0 (builder ext)...\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			answers := append(tt.polls, tt.finish)
			w := &buildWatch{out: &out, match: matchCCID("mycc", "1.0"), list: func(context.Context) ([]client.ChaincodeBuild, error) {
				if len(answers) == 0 {
					t.Fatal("polled more often than answers were given")
				}
				a := answers[0]
				answers = answers[1:]
				return a, nil
			}}
			ticks := make(chan time.Time)
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			go func() {
				defer close(stopped)
				w.run(ctx, ticks)
			}()
			for range tt.polls {
				ticks <- time.Time{}
			}
			cancel()
			<-stopped
			w.finish(context.Background())
			if got := out.String(); got != tt.want {
				t.Errorf("printed %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBuildWatchStopsAskingAPeerThatDoesNotAnswer(t *testing.T) {
	calls := 0
	w := &buildWatch{out: &bytes.Buffer{}, match: matchName("mycc"), list: func(context.Context) ([]client.ChaincodeBuild, error) {
		calls++
		return nil, errors.New("Requested function ListBuilds not found")
	}}
	ticks := make(chan time.Time, 3)
	for range 3 {
		ticks <- time.Time{}
	}
	w.run(context.Background(), ticks) // returns after the first refusal
	w.finish(context.Background())
	if calls != 1 {
		t.Errorf("asked %d times, want 1", calls)
	}
}

func TestMatchName(t *testing.T) {
	tests := []struct {
		ccids []string
		want  bool
	}{
		{[]string{"mycc:1.0"}, true},
		{[]string{"other:1", "mycc:2.0"}, true},
		{[]string{"mycc2:1.0"}, false},
		{[]string{}, false},
	}
	for _, tt := range tests {
		if got := matchName("mycc")(tt.ccids); got != tt.want {
			t.Errorf("matchName(mycc)(%q) = %v, want %v", tt.ccids, got, tt.want)
		}
	}
}
