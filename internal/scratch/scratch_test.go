package scratch

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const prefix = ".hyper-test-"

// TestOwner is not a test: TestSweep runs it in a child process that
// makes a work directory, says where, and waits to be killed.
func TestOwner(t *testing.T) {
	parent := os.Getenv("HYPER_TEST_SCRATCH_PARENT")
	if parent == "" {
		t.Skip("helper process for TestSweep")
	}
	d, err := New(parent, prefix)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(d.Join("pod.ext4"), []byte("half a filesystem"), 0o644)
	os.Stdout.WriteString(d.Path + "\n")
	time.Sleep(time.Hour)
}

// owner starts a child that owns a work directory in parent.
func owner(t *testing.T, parent string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestOwner$")
	cmd.Env = append(os.Environ(), "HYPER_TEST_SCRATCH_PARENT="+parent)
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
		t.Fatalf("helper said nothing: %v", err)
	}
	return cmd, strings.TrimSpace(dir)
}

// An owner killed with -9 leaves its directory; the next sweep removes
// it, and keeps a live owner's (in this process and in another).
func TestSweep(t *testing.T) {
	parent := t.TempDir()
	_, liveChild := owner(t, parent)
	cmd, killed := owner(t, parent)
	cmd.Process.Kill() // SIGKILL: no cleanup runs
	cmd.Wait()
	if _, err := os.Stat(killed); err != nil {
		t.Fatalf("the killed owner's directory is already gone: %v", err)
	}
	live, err := New(parent, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	// Left by a tool from before the lock: swept once an hour old.
	oldLockless := filepath.Join(parent, prefix+"old")
	newLockless := filepath.Join(parent, prefix+"new")
	for _, d := range []string{oldLockless, newLockless} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * LocklessAge)
	os.Chtimes(oldLockless, past, past)
	// Not ours: never touched.
	other := filepath.Join(parent, "photos")
	os.Mkdir(other, 0o755)
	os.Chtimes(other, past, past)

	got, errs := Sweep(parent, prefix)
	if len(errs) > 0 {
		t.Errorf("Sweep errors: %v", errs)
	}
	slices.Sort(got)
	want := []string{killed, oldLockless}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Sweep removed %q, want %q", got, want)
	}
	for _, d := range []string{live.Path, liveChild, newLockless, other} {
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
	if _, err := os.Stat(live.Path); err == nil {
		t.Error("Close left the directory")
	}
}

// An owner file that is a symlink is never followed or locked through.
func TestSweepSymlinkOwner(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, prefix+"link")
	os.Mkdir(dir, 0o700)
	target := filepath.Join(t.TempDir(), "elsewhere")
	os.WriteFile(target, nil, 0o600)
	if err := os.Symlink(target, filepath.Join(dir, ownerFile)); err != nil {
		t.Fatal(err)
	}
	if got, _ := Sweep(parent, prefix); len(got) != 0 {
		t.Errorf("Sweep removed %q through a symlinked owner file", got)
	}
}
