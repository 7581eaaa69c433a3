package hyperstart

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindInRoot(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"bin", "usr/bin", "etc"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "bin/busybox"), []byte("x"), 0o755)
	os.Symlink("/bin/busybox", filepath.Join(root, "bin/sh"))      // absolute: inside root
	os.Symlink("../../bin/sh", filepath.Join(root, "usr/bin/env")) // relative, two hops
	os.Symlink("/etc", filepath.Join(root, "bin/dir"))
	os.Symlink("loop", filepath.Join(root, "bin/loop"))
	tests := []struct {
		arg0, path, want string
	}{
		{"sh", "/usr/bin:/bin", "/bin/busybox"},
		{"env", "/usr/bin:/bin", "/bin/busybox"},
		{"/bin/sh", "", "/bin/busybox"},
		{"busybox", "/sbin:/bin", "/bin/busybox"},
		{"missing", "/usr/bin:/bin", ""},
		{"dir", "/bin", ""},  // a directory is no program
		{"loop", "/bin", ""}, // a symlink loop ends
		{"sh", "", ""},       // empty PATH: the current directory, root's /
	}
	for _, tt := range tests {
		got := findInRoot(root, tt.arg0, tt.path)
		if tt.want != "" {
			tt.want = root + tt.want
		}
		if got != tt.want {
			t.Errorf("findInRoot(%q, PATH=%q) = %q, want %q", tt.arg0, tt.path, got, tt.want)
		}
	}
}
