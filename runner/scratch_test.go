package runner

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// helperEnv makes the test binary a process that makes a scratch
// directory, prints its path and waits to be killed.
const helperEnv = "RUNNER_SCRATCH_HELPER"

func TestScratchHelper(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for TestSweepScratch")
	}
	s, err := NewScratch(ScratchPrefix)
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString(s.Dir + "\n")
	select {}
}

// owner starts a helper process that owns a scratch directory.
func owner(t *testing.T) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestScratchHelper$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	dir, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("helper: %v", err)
	}
	return cmd, strings.TrimSpace(dir)
}

// killed starts an owner and kills it with SIGKILL: it cannot clean up,
// and the kernel drops its lock.
func killed(t *testing.T) string {
	t.Helper()
	cmd, dir := owner(t)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the killed owner's directory: %v", err)
	}
	return dir
}

func TestSweepScratch(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	_, live := owner(t)
	stale := killed(t)
	mine, err := NewScratch(ScratchPrefix + "mine-")
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	// Not hyperboot's, or without an owner file: left alone.
	other := filepath.Join(tmp, "other-dir")
	noOwner := filepath.Join(tmp, ScratchPrefix+"old")
	for _, d := range []string{other, noOwner} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}

	var v bytes.Buffer
	removed := SweepScratch(&v)
	if !slices.Equal(removed, []string{stale}) {
		t.Errorf("SweepScratch removed %q, want only %s", removed, stale)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale %s still there (%v)", stale, err)
	}
	for _, d := range []string{live, mine.Dir, other, noOwner} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed: %v", d, err)
		}
	}
	if !strings.Contains(v.String(), "removed stale scratch "+stale) {
		t.Errorf("verbose %q does not say what was removed", v.String())
	}
	if err := mine.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := os.Stat(mine.Dir); !os.IsNotExist(err) {
		t.Errorf("Close left %s (%v)", mine.Dir, err)
	}
}

// TestRunSweeps: Run removes what a killed run left, even when it fails.
func TestRunSweeps(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	stale := killed(t)
	withBackends(t, &fake{name: "fake"})
	Run(t.Context(), "missing.img", Options{Backend: "fake"})
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("Run left the stale %s (%v)", stale, err)
	}
}
