package logging

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		spec    string
		levels  map[string]slog.Level // logger name -> level it logs at
		wantErr string
	}{
		{spec: "", levels: map[string]slog.Level{"": slog.LevelInfo, "chaincode": slog.LevelInfo}},
		{spec: "debug", levels: map[string]slog.Level{"": slog.LevelDebug, "ledger": slog.LevelDebug}},
		{spec: "WARNING", levels: map[string]slog.Level{"": slog.LevelWarn}},
		{spec: "warn", levels: map[string]slog.Level{"": slog.LevelWarn}},
		{spec: "fatal", levels: map[string]slog.Level{"": slog.LevelError}},
		{spec: "chaincode=debug:info", levels: map[string]slog.Level{
			"": slog.LevelInfo, "chaincode": slog.LevelDebug, "chaincode.server": slog.LevelDebug, "chaincodes": slog.LevelInfo, "ledger": slog.LevelInfo,
		}},
		{spec: "info:endorser,ledger=debug:launcher=error", levels: map[string]slog.Level{
			"": slog.LevelInfo, "endorser": slog.LevelDebug, "ledger": slog.LevelDebug, "launcher": slog.LevelError,
		}},
		{spec: "a=debug:a.b=error", levels: map[string]slog.Level{"a": slog.LevelDebug, "a.b": slog.LevelError, "a.b.c": slog.LevelError}},
		{spec: "verbose", wantErr: `logging spec "verbose": unknown level "verbose": want one of FATAL, PANIC, ERROR, WARNING, INFO, DEBUG`},
		{spec: "chaincode=loud", wantErr: `unknown level "loud"`},
		{spec: ",=debug", wantErr: `empty logger name in ",=debug"`},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			s, err := ParseSpec(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseSpec(%q) error = %v, want one containing %q", tc.spec, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSpec(%q): %v", tc.spec, err)
			}
			for name, want := range tc.levels {
				if got := s.Level(name); got != want {
					t.Errorf("Level(%q) = %s, want %s", name, got, want)
				}
			}
		})
	}
}

func TestHandlerFiltersByLoggerAndFollowsSet(t *testing.T) {
	var out bytes.Buffer
	levels := NewLevels(mustSpec(t, "info:chaincode=debug"))
	root := slog.New(NewHandler(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}), levels))
	cc := root.With(NameKey, "chaincode")
	ledger := root.With(NameKey, "ledger").WithGroup("g")

	cc.Debug("cc debug")
	ledger.Debug("ledger debug")
	ledger.Info("ledger info")
	root.Debug("root debug")

	levels.Set(mustSpec(t, "error"))
	cc.Warn("cc warn after set")
	cc.Error("cc error after set")

	got := out.String()
	for _, want := range []string{"cc debug", "ledger info", "cc error after set"} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"ledger debug", "root debug", "cc warn after set"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("log has %q:\n%s", unwanted, got)
		}
	}
	if s := levels.Spec().String(); s != "error" {
		t.Errorf("Spec() = %q after Set, want error", s)
	}
}

func mustSpec(t *testing.T, text string) Spec {
	t.Helper()
	s, err := ParseSpec(text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
