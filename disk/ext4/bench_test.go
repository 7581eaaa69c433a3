package ext4

import (
	"archive/tar"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchTree describes the generated tree: about 20k files and 200 MB, with
// hard links, symlinks, devices, xattrs, setuid files and a 5,000-entry
// directory, like the tree the ext4 writers were compared on.
type benchTree struct {
	Files     int   // regular files
	DataBytes int64 // sum of regular file sizes
	BlockData int64 // the same, each rounded up to whole 4 KiB blocks
}

// writeBenchTree streams the tree as a tar to w without holding it in memory.
func writeBenchTree(w io.Writer) (benchTree, error) {
	var st benchTree
	rng := rand.New(rand.NewPCG(42, 42))
	pool := make([]byte, 4<<20)
	for i := range pool {
		pool[i] = byte(rng.Uint32()) | 1
	}
	tw := tar.NewWriter(w)
	mtime := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	put := func(h *tar.Header, size int) error {
		h.ModTime, h.Format = mtime, tar.FormatPAX
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(size)
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			return nil
		}
		st.Files++
		st.DataBytes += int64(size)
		st.BlockData += int64((size + blockSize - 1) / blockSize * blockSize)
		for size > 0 {
			off := rng.IntN(len(pool) - 1)
			n := min(size, len(pool)-off)
			if _, err := tw.Write(pool[off : off+n]); err != nil {
				return err
			}
			size -= n
		}
		return nil
	}
	dir := func(name string) error {
		return put(&tar.Header{Name: name + "/", Typeflag: tar.TypeDir, Mode: 0o755}, 0)
	}
	for _, d := range []string{"usr", "usr/lib", "usr/bin", "dev", "big"} {
		if err := dir(d); err != nil {
			return st, err
		}
	}
	for i := 0; i < 5000; i++ { // one large directory of small files
		if err := put(&tar.Header{Name: fmt.Sprintf("big/entry-%05d.txt", i), Typeflag: tar.TypeReg, Mode: 0o644}, 1024+rng.IntN(3072)); err != nil {
			return st, err
		}
	}
	for d := 0; d < 150; d++ {
		dn := fmt.Sprintf("usr/lib/pkg%03d", d)
		if err := dir(dn); err != nil {
			return st, err
		}
		for f := 0; f < 100; f++ {
			h := &tar.Header{Name: fmt.Sprintf("%s/file%03d.so", dn, f), Typeflag: tar.TypeReg, Mode: 0o644, Uid: 1000 + d, Gid: 1000}
			size := 1024 + rng.IntN(15*1024)
			switch {
			case f == 0:
				size = 512 << 10
			case f == 1:
				h.Mode = 0o4755
			case f == 2:
				h.PAXRecords = map[string]string{
					"SCHILY.xattr.security.capability": capability,
					"SCHILY.xattr.user.origin":         dn,
				}
			}
			if err := put(h, size); err != nil {
				return st, err
			}
		}
		for l := 0; l < 7; l++ {
			if err := put(&tar.Header{Name: fmt.Sprintf("usr/bin/link%03d-%d", d, l), Typeflag: tar.TypeLink, Linkname: fmt.Sprintf("%s/file%03d.so", dn, 10+l)}, 0); err != nil {
				return st, err
			}
		}
		target := fmt.Sprintf("../lib/pkg%03d/file003.so", d)
		if d%2 == 0 {
			target = "/" + strings.Repeat("long/", 20) + target
		}
		if err := put(&tar.Header{Name: fmt.Sprintf("usr/bin/sym%03d", d), Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}, 0); err != nil {
			return st, err
		}
	}
	for i := 0; i < 50; i++ {
		if err := put(&tar.Header{Name: fmt.Sprintf("dev/tty%d", i), Typeflag: tar.TypeChar, Mode: 0o620, Devmajor: 4, Devminor: int64(i)}, 0); err != nil {
			return st, err
		}
	}
	return st, tw.Close()
}

// benchTar writes the generated tree to a tar file in dir.
func benchTar(b *testing.B, dir string) (*os.File, benchTree) {
	b.Helper()
	tf, err := os.Create(filepath.Join(dir, "tree.tar"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tf.Close() })
	tree, err := writeBenchTree(tf)
	if err != nil {
		b.Fatal(err)
	}
	return tf, tree
}

// BenchmarkWriter writes the generated tree once to a tar file (streaming,
// outside the timer), then times building an image file from it and reports
// throughput over the file data and the image size per data byte.
func BenchmarkWriter(b *testing.B) {
	dir := b.TempDir()
	tf, tree := benchTar(b, dir)
	img := filepath.Join(dir, "bench.ext4")
	var st Stats
	b.SetBytes(tree.DataBytes)
	b.ResetTimer()
	for b.Loop() {
		if _, err := tf.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		f, err := os.Create(img)
		if err != nil {
			b.Fatal(err)
		}
		st, err = Build(f, tf)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	b.ReportMetric(float64(st.Size)/float64(tree.DataBytes), "size/data")
	b.ReportMetric(float64(st.Size)/float64(tree.BlockData), "size/blockdata")
}

// BenchmarkMke2fs is the baseline for BenchmarkWriter: the same tree
// through "tar -x" and "mke2fs -d" (as root, so owners and devices survive).
func BenchmarkMke2fs(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("extracting devices and owners needs root")
	}
	mke2fs, err := lookTool("mke2fs")
	if err != nil {
		b.Skipf("mke2fs not installed: %v", err)
	}
	gtar, err := exec.LookPath("tar")
	if err != nil {
		b.Skipf("tar not installed: %v", err)
	}
	dir := b.TempDir()
	tf, tree := benchTar(b, dir)
	size := fmt.Sprintf("%dk", tree.BlockData*11/10/1024+4096)
	b.SetBytes(tree.DataBytes)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		// A fresh directory and image each time: removing the last ones
		// would be timed too.
		n++
		root, img := filepath.Join(dir, fmt.Sprint("root", n)), filepath.Join(dir, fmt.Sprint(n, ".ext4"))
		if err := os.Mkdir(root, 0o755); err != nil {
			b.Fatal(err)
		}
		if out, err := exec.Command(gtar, "-C", root, "-xpf", tf.Name(), "--xattrs", "--xattrs-include=*").CombinedOutput(); err != nil {
			b.Fatalf("tar -x: %v\n%s", err, out)
		}
		if out, err := exec.Command(mke2fs, "-q", "-F", "-t", "ext4", "-O", "^has_journal", "-d", root, img, size).CombinedOutput(); err != nil {
			b.Fatalf("mke2fs -d: %v\n%s", err, out)
		}
	}
}

// TestBenchTreeFile supports measuring outside go test's harness:
//
//	EXT4_GEN_TAR=tree.tar go test -run TestBenchTreeFile       # write the tree
//	EXT4_BUILD_TAR=tree.tar EXT4_BUILD_OUT=tree.ext4 ./ext4.test -test.run TestBenchTreeFile
func TestBenchTreeFile(t *testing.T) {
	gen, in, out := os.Getenv("EXT4_GEN_TAR"), os.Getenv("EXT4_BUILD_TAR"), os.Getenv("EXT4_BUILD_OUT")
	if gen == "" && in == "" {
		t.Skip("set EXT4_GEN_TAR or EXT4_BUILD_TAR and EXT4_BUILD_OUT")
	}
	if gen != "" {
		f, err := os.Create(gen)
		if err != nil {
			t.Fatal(err)
		}
		tree, err := writeBenchTree(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("tree: %+v", tree)
		return
	}
	r, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	st, err := Build(f, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("built in %v: %+v", time.Since(start), st)
}
