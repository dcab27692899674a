package loadtest

import (
	"os"
	"strings"
	"testing"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    uint64
		wantErr string
	}{
		{
			name: "a plain command name gives utime plus stime",
			stat: "4242 (peersim) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 37 0 0 20 0 12 0 100 0 0\n",
			want: 187,
		},
		{
			name: "a command name with spaces and parentheses is skipped whole",
			stat: "7 (a b) (c)) R 1 7 7 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 1 0 0",
			want: 11,
		},
		{
			name:    "a line without the closing parenthesis is refused",
			stat:    "7 (peersim S 1",
			wantErr: "no ')'",
		},
		{
			name:    "a line cut before stime is refused",
			stat:    "7 (peersim) S 1 7 7 0 -1 0 0 0 0 0 5",
			wantErr: "fields after the command name",
		},
		{
			name:    "a tick count that is not a number is refused",
			stat:    "7 (peersim) S 1 7 7 0 -1 0 0 0 0 0 5 x 0 0 20 0 1 0 1 0 0",
			wantErr: "field 15 is not a tick count",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.stat))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseStat(%q) = %d, %v; want an error containing %q", tt.stat, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseStat(%q) = %d, %v; want %d", tt.stat, got, err, tt.want)
			}
		})
	}
}

func TestCPUTimeOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("skipped: no /proc on this system, and CPUTime reads it")
	}
	if _, err := CPUTime(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if _, err := CPUTime(-1); err == nil {
		t.Fatal("CPUTime(-1) succeeded; want an error naming the process")
	}
}

func TestParseIO(t *testing.T) {
	tests := []struct {
		name    string
		io      string
		want    int64
		wantErr string
	}{
		{
			name: "syscr plus syscw",
			io:   "rchar: 6976\nwchar: 10\nsyscr: 12\nsyscw: 30\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n",
			want: 42,
		},
		{name: "a count missing is refused", io: "rchar: 1\nsyscr: 12\n", wantErr: "found 1"},
		{name: "a count that is not a number is refused", io: "syscr: x\nsyscw: 1\n", wantErr: "syscr is not a count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseIO([]byte(tt.io))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseIO = %d, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseIO = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func TestSyscallsOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/io"); err != nil {
		t.Skip("skipped: no /proc/self/io on this system, and Syscalls reads it")
	}
	n, err := Syscalls(os.Getpid())
	if err != nil || n <= 0 {
		t.Fatalf("Syscalls(this process) = %d, %v; want a positive count: reading its test binary took system calls", n, err)
	}
}
