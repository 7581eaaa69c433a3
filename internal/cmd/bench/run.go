package main

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

// measured is one command's wall time and peak RSS.
type measured struct {
	wall   time.Duration
	rssMiB float64
}

// timed runs a command and returns its wall time and peak RSS (from the
// kernel's rusage of the child, so no external time(1) is needed).
func timed(env []string, name string, args ...string) (measured, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	m := measured{wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.rssMiB = float64(ru.Maxrss) / 1024
	}
	if err != nil {
		return m, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, lastLine(stderr.String()))
	}
	return m, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// median runs f n times and returns the run with the median wall time.
func median(n int, f func() (measured, error)) (measured, error) {
	var ms []measured
	for i := 0; i < n; i++ {
		m, err := f()
		if err != nil {
			return m, err
		}
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].wall < ms[j].wall })
	return ms[len(ms)/2], nil
}

func gitDescribe(dir string) string {
	out, err := exec.Command("git", "-C", dir, "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func fileSize(path string) (apparent, allocated int64, err error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, 0, err
	}
	return st.Size, st.Blocks * 512, nil
}
