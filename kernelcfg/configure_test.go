package kernelcfg

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFragmentSurvivesOlddefconfig runs the configure step (extract,
// tinyconfig, fragment, olddefconfig, check) without compiling, so that an
// edit to Features that loses an option fails in half a minute rather than
// after a 20-minute build. A cached build of the current fragment has
// already passed the same check: then only its config is re-read.
func TestFragmentSurvivesOlddefconfig(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts and configures the kernel source (-short)")
	}
	if k, err := Cached(); err == nil {
		if err := checkConfigFile(k.Config); err != nil {
			t.Fatal(err)
		}
		return
	} else if !errors.Is(err, ErrNotBuilt) {
		t.Skipf("cannot compute the cache key: %v", err)
	}
	if _, err := os.Stat(DefaultSource); err != nil {
		t.Skipf("%s missing: apt-get install linux-source-6.1", DefaultSource)
	}
	if err := checkTools(); err != nil {
		t.Skipf("build tools missing: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r := &recipe{src: filepath.Join(t.TempDir(), "src"), log: io.Discard, progress: io.Discard, jobs: 1}
	if err := r.extract(ctx, DefaultSource); err != nil {
		t.Fatal(err)
	}
	if err := r.configure(ctx); err != nil {
		t.Fatal(err)
	}
}

// checkConfigFile checks a final .config against every wanted option.
func checkConfigFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	final, err := ParseConfig(f)
	if err != nil {
		return err
	}
	return Check(final, Settings())
}
