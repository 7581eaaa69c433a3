package ext4

import (
	"archive/tar"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestDirHash compares dirHash with debugfs's dx_hash (e2fsprogs' own
// implementation of the signed half-MD4 hash).
func TestDirHash(t *testing.T) {
	needTools(t)
	img, _ := buildImage(t, func(w *Writer) error { return nil })
	seedBytes := [16]byte{0xa0, 0x26, 0x85, 0x89, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0xf0}
	var seed [4]uint32
	for i := range seed {
		seed[i] = binary.LittleEndian.Uint32(seedBytes[4*i:])
	}
	uuid := fmt.Sprintf("%x-%x-%x-%x-%x", seedBytes[0:4], seedBytes[4:6], seedBytes[6:8], seedBytes[8:10], seedBytes[10:])
	for _, name := range []string{
		"a", "lost+found", "file-with-a-longish-name-00042",
		"\xe9t\xe9-\xff\x80", strings.Repeat("x", 32), strings.Repeat("y", 33), strings.Repeat("z\xc3", 70),
	} {
		major, minor := dirHash(name, &seed)
		out := debugfs(t, img, fmt.Sprintf("dx_hash -h half_md4 -s %s %s", uuid, name))
		want := fmt.Sprintf("is %#x (minor %#x)", major, minor)
		if !strings.Contains(out, want) {
			t.Errorf("dirHash(%q) %s; debugfs says %s", name, want, strings.TrimSpace(out))
		}
	}
}

// TestIndexedDirectoryTwoLevels makes a directory with more leaf blocks than
// the dx root can point at, so it needs interior index blocks.
func TestIndexedDirectoryTwoLevels(t *testing.T) {
	needTools(t)
	const n = 11000 // 200-byte names: about 19 per leaf, > 507 leaves
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		var err error
		for i := 0; i < n && err == nil; i++ {
			err = tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("d/%s%06d", strings.Repeat("n", 194), i), Typeflag: tar.TypeFifo, Mode: 0o600})
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	img, _ := buildImage(t, func(w *Writer) error { return w.AddTar("", pr) })
	fsck(t, img)
	out := debugfs(t, img, "htree /d")
	if !strings.Contains(out, "Indirect levels: 1") {
		t.Errorf("htree /d is not two-level:\n%.600s", out)
	}
	if got := strings.Count(debugfs(t, img, "ls /d"), strings.Repeat("n", 194)); got != n {
		t.Errorf("ls /d lists %d entries, want %d", got, n)
	}
}
