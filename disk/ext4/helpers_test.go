package ext4

import (
	"archive/tar"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needTools skips the test when e2fsprogs is not installed.
func needTools(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"e2fsck", "debugfs"} {
		if _, err := lookTool(tool); err != nil {
			t.Skipf("%s not installed (e2fsprogs): %v", tool, err)
		}
	}
}

func lookTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return exec.LookPath(name)
}

// fsck runs e2fsck -fn and fails the test unless the image is clean: a
// zero exit status and no output besides the pass headers and summary
// (e2fsck -n exits 0 on some problems it reports as IGNORED).
func fsck(t testing.TB, img string) {
	t.Helper()
	p, _ := lookTool("e2fsck")
	out, err := exec.Command(p, "-fn", img).CombinedOutput()
	if err != nil {
		t.Fatalf("e2fsck -fn %s: %v\n%s", img, err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		switch {
		case strings.HasPrefix(line, "e2fsck "), strings.HasPrefix(line, "Pass "),
			strings.Contains(line, " files (") && strings.HasSuffix(line, " blocks"):
		default:
			t.Fatalf("e2fsck -fn %s reported:\n%s", img, out)
		}
	}
}

// debugfs runs one debugfs request against img and returns its output.
func debugfs(t testing.TB, img, req string) string {
	t.Helper()
	p, _ := lookTool("debugfs")
	out, err := exec.Command(p, "-R", req, img).Output()
	if err != nil {
		t.Fatalf("debugfs -R %q: %v", req, err)
	}
	return string(out)
}

// entry is one tar entry for test fixtures.
type entry struct {
	hdr  tar.Header
	data []byte
}

func makeTar(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.data))
		}
		if h.Format == tar.FormatUnknown {
			h.Format = tar.FormatPAX
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("writing tar header %q: %v", h.Name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatalf("writing tar data %q: %v", h.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// buildImage builds an image file from tars added under prefixes
// ("prefix=" then tar bytes, in pairs) and returns its path.
func buildImage(t testing.TB, add func(w *Writer) error, opts ...Option) (string, Stats) {
	t.Helper()
	img := filepath.Join(t.TempDir(), "fs.ext4")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewWriter(f, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := add(w); err != nil {
		t.Fatalf("AddTar: %v", err)
	}
	st, err := w.Close()
	if err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := f.Truncate(st.Size); err != nil {
		t.Fatal(err)
	}
	return img, st
}

func field(out, key string) string {
	for _, line := range strings.Split(out, "\n") {
		if i := strings.Index(line, key); i >= 0 {
			return strings.TrimSpace(line[i+len(key):])
		}
	}
	return ""
}
