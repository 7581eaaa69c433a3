package ext4

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func addOne(tb []byte) func(w *Writer) error {
	return func(w *Writer) error { return w.AddTar("", bytes.NewReader(tb)) }
}

func TestLargeDirectory(t *testing.T) {
	needTools(t)
	const n = 5000
	es := []entry{{hdr: tar.Header{Name: "big/", Typeflag: tar.TypeDir, Mode: 0o755}}}
	for i := 0; i < n; i++ {
		es = append(es, entry{hdr: tar.Header{Name: fmt.Sprintf("big/file-with-a-longish-name-%05d", i), Mode: 0o644}, data: []byte(fmt.Sprint(i))})
	}
	img, st := buildImage(t, addOne(makeTar(t, es...)))
	fsck(t, img)
	ls := debugfs(t, img, "ls -l /big")
	if got := strings.Count(ls, "file-with-a-longish-name-"); got != n {
		t.Errorf("ls /big lists %d files, want %d", got, n)
	}
	if out := debugfs(t, img, "htree /big"); !strings.Contains(out, "Indirect levels: 0") {
		t.Errorf("/big has no hashed index:\n%.300s", out)
	}
	if got := string(catFile(t, img, "/big/file-with-a-longish-name-04999")); got != "4999" {
		t.Errorf("last file = %q, want 4999", got)
	}
	if st.UsedInodes != firstIno+1+n {
		t.Errorf("used inodes = %d, want %d", st.UsedInodes, firstIno+1+n)
	}
}

// zeroReader yields n bytes of zeros except for marks at given offsets.
type markedZeros struct {
	off, size int64
	marks     map[int64]byte
}

func (z *markedZeros) Read(p []byte) (int, error) {
	if z.off >= z.size {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > z.size-z.off {
		n = z.size - z.off
	}
	clear(p[:n])
	for at, b := range z.marks {
		if at >= z.off && at < z.off+n {
			p[at-z.off] = b
		}
	}
	z.off += n
	return int(n), nil
}

func TestHugeSparseFile(t *testing.T) {
	needTools(t)
	const size = 2 << 30
	marks := map[int64]byte{0: 'a', 1 << 30: 'b', size - 1: 'z'}
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := tw.WriteHeader(&tar.Header{Name: "sparse", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
		if err == nil {
			_, err = io.Copy(tw, &markedZeros{size: size, marks: marks})
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	img, st := buildImage(t, func(w *Writer) error { return w.AddTar("", pr) })
	fsck(t, img)
	if st.Size > 8<<20 {
		t.Errorf("image of a 2 GiB sparse file is %d bytes, want a few MiB", st.Size)
	}
	out := debugfs(t, img, "stat /sparse")
	if got := strings.Fields(field(out, "Size:")); len(got) == 0 || got[0] != fmt.Sprint(size) {
		t.Errorf("size = %v, want %d", got, size)
	}
	if got := strings.Fields(field(out, "Blockcount:")); len(got) == 0 || got[0] != "24" {
		t.Errorf("blockcount = %v, want 24 (three 4 KiB blocks)", got)
	}
	// Read the marked bytes through the extent map debugfs reports, e.g.
	// "(0):33, (262144):34, (524287):35".
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	phys := map[int64]int64{}
	_, extentList, _ := strings.Cut(out, "EXTENTS:")
	for _, ex := range strings.Split(extentList, ",") {
		var l, p int64
		if _, err := fmt.Sscanf(strings.TrimSpace(ex), "(%d):%d", &l, &p); err == nil {
			phys[l] = p
		}
	}
	for at, want := range marks {
		p, ok := phys[at/blockSize]
		if !ok {
			t.Errorf("no block mapped at offset %d:\n%s", at, out)
			continue
		}
		b := make([]byte, 1)
		if _, err := f.ReadAt(b, p*blockSize+at%blockSize); err != nil || b[0] != want {
			t.Errorf("byte at %d = %q (%v), want %q", at, b, err, want)
		}
	}
}

// TestGNUSparseTar feeds a tar made by GNU tar --sparse: archive/tar expands
// its holes and the writer keeps them holes.
func TestGNUSparseTar(t *testing.T) {
	needTools(t)
	gtar, err := exec.LookPath("tar")
	if err != nil {
		t.Skipf("GNU tar not installed: %v", err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.Mkdir(src, 0o755)
	f, err := os.Create(filepath.Join(src, "holey"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("start"), 0)
	f.WriteAt([]byte("end"), 100<<20)
	f.Close()
	tarPath := filepath.Join(dir, "s.tar")
	if out, err := exec.Command(gtar, "--sparse", "--format=pax", "-C", src, "-cf", tarPath, "holey").CombinedOutput(); err != nil {
		t.Skipf("tar --sparse: %v\n%s", err, out)
	}
	tf, err := os.Open(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	img, _ := buildImage(t, func(w *Writer) error { return w.AddTar("", tf) })
	fsck(t, img)
	out := debugfs(t, img, "stat /holey")
	if got := strings.Fields(field(out, "Blockcount:")); len(got) == 0 || got[0] != "16" {
		t.Errorf("blockcount = %v, want 16:\n%s", got, out)
	}
}

func TestPrefixes(t *testing.T) {
	needTools(t)
	web := makeTar(t,
		entry{hdr: tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o711}},
		entry{hdr: tar.Header{Name: "./bin/sh", Mode: 0o755}, data: []byte("web sh")},
		entry{hdr: tar.Header{Name: "./bin/ash", Typeflag: tar.TypeLink, Linkname: "bin/sh"}},
	)
	db := makeTar(t,
		entry{hdr: tar.Header{Name: "bin/sh", Mode: 0o755}, data: []byte("db sh")},
	)
	img, _ := buildImage(t, func(w *Writer) error {
		if err := w.AddTar("containers/web/rootfs", bytes.NewReader(web)); err != nil {
			return err
		}
		if err := w.AddTar("/containers/db/rootfs/", bytes.NewReader(db)); err != nil {
			return err
		}
		return w.AddTar("", bytes.NewReader(makeTar(t, entry{hdr: tar.Header{Name: "manifest", Mode: 0o644}, data: []byte("m")})))
	})
	fsck(t, img)
	for p, w := range map[string]want{
		"/containers":                    {typ: "directory", mode: "0755", links: 4},
		"/containers/web/rootfs":         {typ: "directory", mode: "0711", links: 3},
		"/containers/web/rootfs/bin/sh":  {typ: "regular", mode: "0755", links: 2, data: []byte("web sh")},
		"/containers/web/rootfs/bin/ash": {typ: "regular", mode: "0755", links: 2, data: []byte("web sh")},
		"/containers/db/rootfs/bin/sh":   {typ: "regular", mode: "0755", links: 1, data: []byte("db sh")},
		"/manifest":                      {typ: "regular", mode: "0644", links: 1, data: []byte("m")},
	} {
		checkEntry(t, img, p, w)
	}
}

func imageBytes(t *testing.T, tb []byte, opts ...Option) ([]byte, Stats) {
	t.Helper()
	img, st := buildImage(t, addOne(tb), opts...)
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	return b, st
}

func TestDeterministic(t *testing.T) {
	es, _ := fixture()
	tb := makeTar(t, es...)
	a, sa := imageBytes(t, tb)
	b, sb := imageBytes(t, tb)
	if sha256.Sum256(a) != sha256.Sum256(b) {
		t.Fatalf("two builds of the same tar differ")
	}
	if sa.UUID == ([16]byte{}) || sa.UUID != sb.UUID {
		t.Errorf("UUIDs %x, %x: want equal and non-zero", sa.UUID, sb.UUID)
	}
	es[1].data = []byte("#!/bin/sU\n")
	_, sc := imageBytes(t, makeTar(t, es...))
	if sc.UUID == sa.UUID {
		t.Errorf("different content, same UUID %x", sc.UUID)
	}
	u := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	_, sd := imageBytes(t, tb, WithUUID(u))
	if sd.UUID != u {
		t.Errorf("WithUUID: UUID %x, want %x", sd.UUID, u)
	}
}

func TestOptions(t *testing.T) {
	needTools(t)
	tb := makeTar(t,
		entry{hdr: tar.Header{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755, PAXRecords: map[string]string{"SCHILY.xattr.user.a": strings.Repeat("a", 200)}}},
		entry{hdr: tar.Header{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o700, PAXRecords: map[string]string{"SCHILY.xattr.user.b": strings.Repeat("b", 300)}}},
	)
	const free = 600 << 20 // several block groups
	u := [16]byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	img, st := buildImage(t, addOne(tb), WithFreeSpace(free), WithReadOnlyFlag(true), WithUUID(u), WithLabel("sixteen-byte-lab"))
	fsck(t, img)
	if st.FreeBlocks*blockSize < free || st.Size < free {
		t.Errorf("stats %+v: want at least %d free bytes", st, free)
	}
	stats := debugfs(t, img, "stats")
	for key, want := range map[string]string{
		"Filesystem volume name:": "sixteen-byte-lab",
		"Filesystem UUID:":        "deadbeef-0102-0304-0506-0708090a0b0c",
		"Block count:":            fmt.Sprint(st.Blocks),
		"Free blocks:":            fmt.Sprint(st.FreeBlocks),
	} {
		if got := field(stats, key); got != want {
			t.Errorf("%s %q, want %q", key, got, want)
		}
	}
	if got := field(stats, "Filesystem features:"); !strings.Contains(got, "read-only") || !strings.Contains(got, "metadata_csum") {
		t.Errorf("features %q lack read-only or metadata_csum", got)
	}
	if got := strings.Count(stats, " Group "); got < 5 {
		t.Errorf("%d block groups, want at least 5", got)
	}
	checkEntry(t, img, "/d", want{typ: "directory", mode: "0700", links: 2, xattrs: []string{"user.b (300)"}})
	if ea := debugfs(t, img, "ea_list /d"); strings.Contains(ea, "user.a") {
		t.Errorf("replaced directory keeps old xattr:\n%s", ea)
	}
}

// failAfter fails every write past n bytes, like a full disk.
type failAfter struct {
	n   int64
	err error
}

func (f *failAfter) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.n {
		return 0, f.err
	}
	return len(p), nil
}

func TestBadInput(t *testing.T) {
	long := strings.Repeat("n", 256)
	for _, tc := range []struct {
		name    string
		entries []entry
		want    error
		entry   string
	}{
		{"long name", []entry{{hdr: tar.Header{Name: "dir/" + long, Mode: 0o644}}}, ErrNameTooLong, "dir/" + long},
		{"long dir name", []entry{{hdr: tar.Header{Name: long + "/", Typeflag: tar.TypeDir}}}, ErrNameTooLong, long + "/"},
		{"unsupported type", []entry{{hdr: tar.Header{Name: "vol", Typeflag: 'V'}}}, ErrUnsupported, "vol"},
		{"link to missing", []entry{{hdr: tar.Header{Name: "l", Typeflag: tar.TypeLink, Linkname: "nope"}}}, ErrLinkTarget, "l"},
		{"link to dir", []entry{
			{hdr: tar.Header{Name: "d/", Typeflag: tar.TypeDir}},
			{hdr: tar.Header{Name: "l", Typeflag: tar.TypeLink, Linkname: "d"}}}, ErrLinkTarget, "l"},
		{"duplicate file", []entry{
			{hdr: tar.Header{Name: "f"}, data: []byte("1")},
			{hdr: tar.Header{Name: "./f"}, data: []byte("2")}}, ErrDuplicate, "./f"},
		{"file then dir", []entry{
			{hdr: tar.Header{Name: "f"}},
			{hdr: tar.Header{Name: "f/", Typeflag: tar.TypeDir}}}, ErrDuplicate, "f/"},
		{"file as parent", []entry{
			{hdr: tar.Header{Name: "f"}},
			{hdr: tar.Header{Name: "f/g"}}}, ErrNotDir, "f/g"},
		{"dotdot", []entry{{hdr: tar.Header{Name: "a/../../etc/passwd"}}}, ErrBadPath, "a/../../etc/passwd"},
		{"root as file", []entry{{hdr: tar.Header{Name: "."}}}, ErrBadPath, "."},
		{"symlink too long", []entry{{hdr: tar.Header{Name: "s", Typeflag: tar.TypeSymlink, Linkname: strings.Repeat("x", 4096)}}}, ErrSymlinkTooLong, "s"},
		{"xattrs too large", []entry{{hdr: tar.Header{Name: "x", PAXRecords: map[string]string{
			"SCHILY.xattr.user.a": strings.Repeat("a", 3000), "SCHILY.xattr.user.b": strings.Repeat("b", 3000)}}}}, ErrXattrTooLarge, "x"},
		{"xattr namespace", []entry{{hdr: tar.Header{Name: "x", PAXRecords: map[string]string{"SCHILY.xattr.com.apple.x": "1"}}}}, ErrUnsupported, "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewWriter(&failAfter{n: 1 << 40})
			if err != nil {
				t.Fatal(err)
			}
			err = w.AddTar("", bytes.NewReader(makeTar(t, tc.entries...)))
			if !errors.Is(err, tc.want) {
				t.Fatalf("AddTar error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.entry)) {
				t.Errorf("error %q does not name entry %q", err, tc.entry)
			}
			if _, err2 := w.Close(); !errors.Is(err2, tc.want) {
				t.Errorf("Close after failure: %v, want %v", err2, tc.want)
			}
		})
	}
}

func TestTruncatedTar(t *testing.T) {
	tb := makeTar(t, entry{hdr: tar.Header{Name: "f"}, data: bytes.Repeat([]byte("x"), 10000)})
	w, _ := NewWriter(&failAfter{n: 1 << 40})
	err := w.AddTar("", bytes.NewReader(tb[:3000]))
	if err == nil || !strings.Contains(err.Error(), `"f"`) {
		t.Errorf("truncated tar: error %v, want one naming \"f\"", err)
	}
}

func TestWriteError(t *testing.T) {
	full := errors.New("no space left on device")
	tb := makeTar(t, entry{hdr: tar.Header{Name: "f"}, data: randBytes(9, 4<<20)})
	_, err := Build(&failAfter{n: 1 << 20, err: full}, bytes.NewReader(tb))
	if !errors.Is(err, full) || !strings.Contains(err.Error(), "writing image") {
		t.Errorf("Build on a full disk: %v, want a wrapped %v", err, full)
	}
	if _, err := NewWriter(&failAfter{}, WithLabel(strings.Repeat("l", 17))); !errors.Is(err, ErrLabelTooLong) {
		t.Errorf("17-byte label: %v, want ErrLabelTooLong", err)
	}
	if _, err := Build(&failAfter{n: 1 << 40}, bytes.NewReader(tb), WithMaxSize(16<<20), WithFreeSpace(20<<20)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("past WithMaxSize: %v, want ErrTooLarge", err)
	}
}

// TestManyInodes needs more inodes than one group holds, so the inode
// tables and bitmaps of several groups are in use although the data is tiny.
func TestManyInodes(t *testing.T) {
	needTools(t)
	img, st := manyInodesImage(t)
	fsck(t, img)
	if st.Inodes <= 8*blockSize || st.UsedInodes < st.Inodes/2 {
		t.Errorf("stats %+v: want used inodes in at least two groups", st)
	}
	if st.Size > 16<<20 {
		t.Errorf("image of 40,000 empty files is %d bytes, want groups shrunk to the content", st.Size)
	}
	if got := field(debugfs(t, img, "stats"), "Blocks per group:"); got == fmt.Sprint(blocksPerGroup) {
		t.Errorf("blocks per group %s, want fewer", got)
	}
	if got := debugfs(t, img, "ls /d39"); !strings.Contains(got, "f0999") {
		t.Errorf("ls /d39 lacks f0999:\n%.300s", got)
	}
}

// manyInodesImage holds 40,000 empty files in 40 directories and needs two
// block groups for its inodes; the last group is a single block.
func manyInodesImage(t *testing.T) (string, Stats) {
	const dirs, files = 40, 1000
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		var err error
		for d := 0; d < dirs && err == nil; d++ {
			for f := 0; f < files && err == nil; f++ {
				err = tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("d%02d/f%04d", d, f), Typeflag: tar.TypeReg, Mode: 0o644})
			}
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return buildImage(t, func(w *Writer) error { return w.AddTar("", pr) }, WithFreeSpace(0))
}
