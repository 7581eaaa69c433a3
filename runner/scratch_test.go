package runner

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/internal/scratch"
)

// TestRunSweeps: Run removes what an earlier hyperboot left in $TMPDIR,
// even when it then fails (internal/scratch tests the locks themselves).
func TestRunSweeps(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	stale := filepath.Join(tmp, ScratchPrefix+"qemu-old")
	if err := os.Mkdir(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-2 * scratch.LocklessAge)
	os.Chtimes(stale, past, past)
	live, err := scratch.New("", ScratchPrefix)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	withBackends(t, &fake{name: "fake"})
	Run(t.Context(), "missing.img", Config{Backend: "fake"})
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("Run left the stale %s (%v)", stale, err)
	}
	if _, err := os.Stat(live.Path); err != nil {
		t.Errorf("Run swept a live run's %s: %v", live.Path, err)
	}
}
