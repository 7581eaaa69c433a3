package testimage

import (
	"os"
	"path/filepath"
	"testing"
)

// DebianLayout returns the oci: reference of a real Debian bookworm image
// (debian:bookworm with nginx-light and redis installed, 113 packages), an
// OCI layout at $HYPER_TEST_DEBIAN_OCI (default /work/deb/oci) tagged
// bookworm. Tests that need a real distribution's files use it; it skips
// t where the layout is absent, and under -short (the image is 230 MB
// uncompressed).
func DebianLayout(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("HYPER_TEST_DEBIAN_OCI")
	if dir == "" {
		dir = "/work/deb/oci"
	}
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		t.Skipf("no Debian test image (an OCI layout tagged bookworm; set HYPER_TEST_DEBIAN_OCI): %v", err)
	}
	if testing.Short() {
		t.Skip("reads a 230 MB image; -short")
	}
	return "oci:" + dir + ":bookworm"
}
