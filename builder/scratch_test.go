package builder

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestScratchOwner is not a test: TestSweepScratch runs it in a child
// process that makes a scratch directory, says where, and waits to be
// killed.
func TestScratchOwner(t *testing.T) {
	parent := os.Getenv("HYPER_TEST_SCRATCH_PARENT")
	if parent == "" {
		t.Skip("helper process for TestSweepScratch")
	}
	s, err := NewScratch(parent)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(s.Path("pod.ext4"), []byte("half a filesystem"), 0o644)
	os.Stdout.WriteString(s.Dir + "\n")
	time.Sleep(time.Hour)
}

// A build killed with -9 leaves its scratch directory; the next sweep
// removes it, and keeps a live build's.
func TestSweepScratch(t *testing.T) {
	parent := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^TestScratchOwner$")
	cmd.Env = append(os.Environ(), "HYPER_TEST_SCRATCH_PARENT="+parent)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("helper said nothing: %v", err)
	}
	killed = killed[:len(killed)-1]
	cmd.Process.Kill() // SIGKILL: no cleanup runs
	cmd.Wait()
	if _, err := os.Stat(killed); err != nil {
		t.Fatalf("the killed build's scratch is already gone: %v", err)
	}

	live, err := NewScratch(parent)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	// Left by a hyperbuild from before the lock: swept once an hour old.
	oldLockless := filepath.Join(parent, ScratchPrefix+"old")
	newLockless := filepath.Join(parent, ScratchPrefix+"new")
	for _, d := range []string{oldLockless, newLockless} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * time.Hour)
	os.Chtimes(oldLockless, past, past)
	// Not ours: never touched.
	other := filepath.Join(parent, "photos")
	os.Mkdir(other, 0o755)
	os.Chtimes(other, past, past)

	got := SweepScratch(parent)
	slices.Sort(got)
	want := []string{killed, oldLockless}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("SweepScratch removed %q, want %q", got, want)
	}
	for _, d := range []string{live.Dir, newLockless, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was swept: %v", d, err)
		}
	}
	for _, d := range want {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("%s is still there", d)
		}
	}
	if err := live.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(live.Dir); err == nil {
		t.Error("Close left the directory")
	}
}
