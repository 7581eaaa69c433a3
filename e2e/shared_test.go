package e2e

import (
	"context"
	"path/filepath"
	"testing"
)

// Containers of one image share its root on the pod partition, yet each
// writes to its own overlay: b never sees what a wrote, and only c (which
// has a file, so a root of its own) sees c's file.
func TestSharedRoot(t *testing.T) {
	requireVM(t)
	img := build(t, filepath.Join("..", "testdata", "pods", "shared-root.hcl"), map[string]string{"image": busyboxLayout(t)})
	status, out := boot(t, context.Background(), img)
	if status != 0 {
		t.Errorf("status = %d, want 0", status)
	}
	contains(t, out, "a | a: from-a, no file")
	contains(t, out, "b | b: nothing of a, no file")
	contains(t, out, "c | c: c's own file")
}
