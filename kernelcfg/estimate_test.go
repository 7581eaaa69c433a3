package kernelcfg

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestEstimateObjects follows obj-y, enabled obj-$(CONFIG_X), directories
// and composite objects, and leaves out what the config turns off.
func TestEstimateObjects(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{
		"kernel/Makefile":       "obj-y = fork.o exit.o \\\n\tsched/\nobj-$(CONFIG_ON) += on.o # a comment\nobj-$(CONFIG_OFF) += off.o\n",
		"kernel/sched/Makefile": "obj-y += core.o\nobj-$(CONFIG_ON) += fair.o\n",
		"fs/Makefile":           "obj-$(CONFIG_EXT4) += ext4/\nobj-$(CONFIG_OFF) += btrfs/\n",
		"fs/ext4/Makefile":      "obj-$(CONFIG_EXT4) += ext4.o\next4-y := a.o b.o c.o\next4-$(CONFIG_OFF) += d.o\n",
		"fs/btrfs/Makefile":     "obj-y += x.o y.o\n",
		"lib/Makefile":          "lib-y += sort.o $(obj)/gen.o\n",
	}
	for name, text := range files {
		p := filepath.Join(src, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := map[string]string{"ON": "y", "OFF": "n", "EXT4": "y"}
	// kernel: fork exit on + sched: core fair; fs/ext4: a b c; lib: sort.
	if got, want := estimateObjects(src, cfg), 9; got != want {
		t.Errorf("estimate = %d, want %d", got, want)
	}
}

// TestProgressTotal shows the total: exact when a build recorded it, ~N
// when estimated, and no total once an estimate is passed.
func TestProgressTotal(t *testing.T) {
	for _, tc := range []struct {
		total     int
		estimated bool
		objects   int
		want      string
	}{
		{1190, false, 812, "kernel: 812/1190 objects compiled (0s)\n"},
		{1190, true, 812, "kernel: 812/~1190 objects compiled (0s)\n"},
		{1190, true, 1200, "kernel: 1200 objects compiled (0s)\n"},
		{0, false, 3, "kernel: 3 objects compiled (0s)\n"},
	} {
		var out bytes.Buffer
		clock := time.Unix(0, 0)
		p := &progress{w: &out, now: func() time.Time { return clock }, start: clock, last: clock, total: tc.total, estimated: tc.estimated, objects: tc.objects}
		p.Close()
		if got := out.String(); got != tc.want {
			t.Errorf("total %d (estimated %v), %d objects: %q, want %q", tc.total, tc.estimated, tc.objects, got, tc.want)
		}
	}
}

// TestRecordedObjects: a later build of the same fragment shows the count
// an earlier one recorded.
func TestRecordedObjects(t *testing.T) {
	cache := t.TempDir()
	o, err := makeOptions([]Option{WithCacheDir(cache)})
	if err != nil {
		t.Fatal(err)
	}
	if n := o.recordedObjects(); n != 0 {
		t.Errorf("empty cache: %d", n)
	}
	entry := o.entryDir("old")
	os.MkdirAll(entry, 0o755)
	os.WriteFile(filepath.Join(entry, fileFragment), []byte(Fragment()), 0o644)
	os.WriteFile(filepath.Join(entry, fileObjects), []byte("1190\n"), 0o644)
	if n := o.recordedObjects(); n != 1190 {
		t.Errorf("recorded = %d, want 1190", n)
	}
}
