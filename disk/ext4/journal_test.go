package ext4

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestJournal builds images of exact sizes with a journal and checks them
// with e2fsck -fn and dumpe2fs: a clean internal journal in inode 8 that
// e2fsck accepts (it checks the superblock's backup of its blocks), of
// the size asked for, and an image exactly as long as WithSize says.
func TestJournal(t *testing.T) {
	needTools(t)
	dumpe2fs, err := lookTool("dumpe2fs")
	if err != nil {
		t.Skipf("dumpe2fs not installed (e2fsprogs): %v", err)
	}
	tests := []struct {
		size    int64
		journal int
	}{
		{16 << 20, 1024},
		{129 << 20, DefaultJournalBlocks(129 << 20)},
		{1 << 30, DefaultJournalBlocks(1 << 30)},
		{3 << 30, 40000}, // more than one extent: an extent leaf block
	}
	for _, tt := range tests {
		data := makeTar(t, entry{hdr: tar.Header{Name: "seed/", Typeflag: tar.TypeDir, Mode: 0o755}}, entry{hdr: tar.Header{Name: "seed/hello.txt", Mode: 0o644}, data: []byte("hello\n")})
		img, st := buildImage(t, func(w *Writer) error { return w.AddTar("", bytes.NewReader(data)) }, WithSize(tt.size), WithJournal(tt.journal))
		if st.Size != tt.size {
			t.Errorf("size %d: Stats.Size = %d", tt.size, st.Size)
		}
		if fi, err := os.Stat(img); err != nil || fi.Size() != tt.size {
			t.Errorf("size %d: file is %v, %v", tt.size, fi.Size(), err)
		}
		fsck(t, img)
		out, err := exec.Command(dumpe2fs, "-h", img).CombinedOutput()
		if err != nil {
			t.Fatalf("dumpe2fs: %v\n%s", err, out)
		}
		s := string(out)
		for _, want := range []string{"has_journal", "Journal inode:            8", "Journal start:            0"} {
			if !strings.Contains(s, want) {
				t.Errorf("size %d: dumpe2fs -h lacks %q:\n%s", tt.size, want, s)
			}
		}
		if got := field(s, "Total journal size:"); got == "" {
			t.Errorf("size %d: no journal size:\n%s", tt.size, s)
		}
		if got, want := field(s, "Total journal blocks:"), strconv.Itoa(tt.journal); got != want {
			t.Errorf("size %d: journal length %q, want %s", tt.size, got, want)
		}
		if got := debugfs(t, img, "cat /seed/hello.txt"); got != "hello\n" {
			t.Errorf("size %d: /seed/hello.txt = %q", tt.size, got)
		}
	}
}

func TestJournalOptions(t *testing.T) {
	for _, opt := range []Option{WithJournal(0), WithJournal(1023), WithJournal(maxJournalBlocks + 1), WithSize(1 << 20), WithSize(16<<20 + 1)} {
		if _, err := NewWriter(nil, opt); !errors.Is(err, ErrBadOption) {
			t.Errorf("NewWriter = %v, want ErrBadOption", err)
		}
	}
	// Content larger than the size asked for.
	f, err := os.Create(t.TempDir() + "/small.ext4")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewWriter(f, WithSize(16<<20), WithJournal(1024))
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 15<<20)
	big[0] = 1
	for i := 4096; i < len(big); i += 4096 {
		big[i] = 1 // not all zeros: stored, not a hole
	}
	if err := w.AddTar("", bytes.NewReader(makeTar(t, entry{hdr: tar.Header{Name: "big", Mode: 0o644}, data: big}))); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Close with too much content = %v, want ErrTooLarge", err)
	}
}
