package devrun

import (
	"errors"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestScanModuleWatchesWhatABuildReads(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	file := func(data string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(data), ModTime: t0} }
	fsys := fstest.MapFS{
		"go.mod":          file("module m\n"),
		"go.sum":          file("x"),
		"README.md":       file("docs"),
		"lib/lib.go":      file("package lib"),
		"lib/lib_test.go": file("package lib"),
		"cc/main.go":      file("package main"),
		"cc/META-INF/statedb/couchdb/indexes/i.json": file("{}"),
		"cc/META-INF/.hidden":                        file("h"),
		".git/x.go":                                  file("package x"),
		"_scratch/y.go":                              file("package y"),
		"lib/testdata/z.go":                          file("package z"),
		"vendor/modules.txt":                         file("# m"),
		"vendor/example.com/v.go":                    file("package v"),
		"nested/go.mod":                              file("module n\n"),
	}
	got, err := ScanModule(fsys, "cc/META-INF")
	if err != nil {
		t.Fatal(err)
	}
	want := Snapshot{}
	for _, p := range []string{"go.mod", "go.sum", "lib/lib.go", "cc/main.go", "cc/META-INF/statedb/couchdb/indexes/i.json", "cc/META-INF/.hidden", "vendor/example.com/v.go", "nested/go.mod"} {
		want[p] = FileState{Size: int64(len(fsys[p].Data)), ModTime: t0}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ScanModule (-want +got):\n%s", diff)
	}
}

func TestWatcherReportsAChangeOnceItHasSettled(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	v1 := Snapshot{"a.go": {Size: 1, ModTime: t0}, "go.mod": {Size: 9, ModTime: t0}}
	v2 := Snapshot{"a.go": {Size: 2, ModTime: at(1)}, "go.mod": {Size: 9, ModTime: t0}}
	v3 := Snapshot{"a.go": {Size: 2, ModTime: at(1)}, "go.mod": {Size: 10, ModTime: at(2)}}
	added := Snapshot{"a.go": {Size: 1, ModTime: t0}, "go.mod": {Size: 9, ModTime: t0}, "b.go": {Size: 3, ModTime: at(1)}}
	removed := Snapshot{"go.mod": {Size: 9, ModTime: t0}}
	touched := Snapshot{"a.go": {Size: 1, ModTime: at(5)}, "go.mod": {Size: 9, ModTime: t0}}
	scanErr := errors.New("a file vanished during the scan")

	type poll struct {
		at   time.Time
		snap Snapshot
		err  error
		want []string
	}
	tests := []struct {
		name     string
		debounce time.Duration
		polls    []poll
	}{
		{"nothing changes, nothing is reported", 100 * time.Millisecond, []poll{
			{at(0), v1, nil, nil}, {at(500), v1, nil, nil},
		}},
		{"a change is reported after the debounce period without further change", 100 * time.Millisecond, []poll{
			{at(10), v2, nil, nil},
			{at(60), v2, nil, nil},
			{at(110), v2, nil, []string{"a.go"}},
			{at(500), v2, nil, nil},
		}},
		{"changes in a row are reported together, after the last one settled", 100 * time.Millisecond, []poll{
			{at(10), v2, nil, nil},
			{at(100), v3, nil, nil},
			{at(150), v3, nil, nil},
			{at(200), v3, nil, []string{"a.go", "go.mod"}},
		}},
		{"a change undone before it settled is not reported", 100 * time.Millisecond, []poll{
			{at(10), v2, nil, nil},
			{at(50), v1, nil, nil},
			{at(200), v1, nil, nil},
		}},
		{"a new file and a removed file are changes", 0, []poll{
			{at(10), added, nil, []string{"b.go"}},
			{at(20), removed, nil, []string{"a.go", "b.go"}},
		}},
		{"a touch (same size, new time) is a change", 0, []poll{
			{at(10), touched, nil, []string{"a.go"}},
		}},
		{"with no debounce the first poll that sees a change reports it", 0, []poll{
			{at(10), v2, nil, []string{"a.go"}},
			{at(20), v2, nil, nil},
		}},
		{"a scan error changes nothing and the next poll goes on", 100 * time.Millisecond, []poll{
			{at(10), v2, nil, nil},
			{at(60), nil, scanErr, nil},
			{at(110), v2, nil, []string{"a.go"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := Snapshot(v1)
			var nextErr error
			w, err := NewWatcher(func() (Snapshot, error) { return next, nextErr }, tt.debounce)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range tt.polls {
				next, nextErr = p.snap, p.err
				got, err := w.Poll(p.at)
				if !errors.Is(err, p.err) {
					t.Fatalf("poll %d: error %v, want %v", i, err, p.err)
				}
				if diff := cmp.Diff(p.want, got); diff != "" {
					t.Errorf("poll %d at +%s: (-want +got):\n%s", i, p.at.Sub(t0), diff)
				}
			}
		})
	}
}

func TestNewWatcherRefusesANegativeDebounce(t *testing.T) {
	if _, err := NewWatcher(func() (Snapshot, error) { return Snapshot{}, nil }, -time.Second); err == nil {
		t.Error("NewWatcher accepted a negative debounce")
	}
}
