package formats_test

import (
	"testing"

	"github.com/hyperbuild/hyper/formats"
)

// TestReproducible builds each format twice with the same epoch
// (SOURCE_DATE_EPOCH) and compares the bytes.
func TestReproducible(t *testing.T) {
	need(t, "qemu-img")
	needSyslinux(t)
	for _, f := range formats.All() {
		if f == formats.Dir {
			continue // the disk package's own test covers it
		}
		t.Run(string(f), func(t *testing.T) {
			a, b := build(t, f), build(t, f)
			if sa, sb := sha(t, a), sha(t, b); sa != sb {
				t.Errorf("two builds differ: %s, %s", sa, sb)
			}
		})
	}
}
