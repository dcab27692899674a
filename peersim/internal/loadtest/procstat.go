package loadtest

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat: the kernel
// reports them in USER_HZ ticks, 100 a second on every architecture Go
// supports on Linux.
const userHZ = 100

// CPUTime returns the CPU time the process pid has used so far, user plus
// system, over all its threads (fields utime and stime of
// /proc/<pid>/stat), with a resolution of 10ms. It works on Linux only.
func CPUTime(pid int) (time.Duration, error) {
	path := fmt.Sprintf("/proc/%d/stat", pid)
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read the CPU time of process %d: %w", pid, err)
	}
	ticks, err := parseStat(b)
	if err != nil {
		return 0, fmt.Errorf("read the CPU time of process %d from %s: %w", pid, path, err)
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// parseStat returns utime+stime, in ticks, from the content of a
// /proc/<pid>/stat file. The second field, the command name in parentheses,
// may itself hold spaces and parentheses, so the fields are counted from
// the last ')'.
func parseStat(b []byte) (uint64, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0, fmt.Errorf("no ')' closes the command name in %q", truncate(b))
	}
	// After the name come state (field 3), ppid (4), ..., utime (14) and
	// stime (15): indexes 11 and 12 here.
	fields := bytes.Fields(b[end+1:])
	const utime, stime = 11, 12
	if len(fields) <= stime {
		return 0, fmt.Errorf("%d fields after the command name, want at least %d: %q", len(fields), stime+1, truncate(b))
	}
	var total uint64
	for _, i := range []int{utime, stime} {
		v, err := strconv.ParseUint(string(fields[i]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("field %d is not a tick count: %w", i+3, err)
		}
		total += v
	}
	return total, nil
}

// Syscalls returns how many read and write system calls the process pid
// has made so far, over all its threads (syscr plus syscw of
// /proc/<pid>/io). It works on Linux only.
func Syscalls(pid int) (int64, error) {
	path := fmt.Sprintf("/proc/%d/io", pid)
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read the system calls of process %d: %w", pid, err)
	}
	n, err := parseIO(b)
	if err != nil {
		return 0, fmt.Errorf("read the system calls of process %d from %s: %w", pid, path, err)
	}
	return n, nil
}

// parseIO returns syscr+syscw from the content of a /proc/<pid>/io file.
func parseIO(b []byte) (int64, error) {
	var total int64
	found := 0
	for _, line := range bytes.Split(b, []byte("\n")) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || (string(name) != "syscr" && string(name) != "syscw") {
			continue
		}
		v, err := strconv.ParseInt(string(bytes.TrimSpace(value)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s is not a count: %w", name, err)
		}
		total += v
		found++
	}
	if found != 2 {
		return 0, fmt.Errorf("want syscr and syscw, found %d of them in %q", found, truncate(b))
	}
	return total, nil
}

func truncate(b []byte) []byte {
	if len(b) > 80 {
		return append(b[:80:80], "..."...)
	}
	return b
}
