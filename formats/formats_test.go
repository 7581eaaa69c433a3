package formats_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hyperbuild/hyper/builder"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/formats"
	"github.com/hyperbuild/hyper/kernelcfg"
)

// TestQEMUImgReads checks each format that QEMU reads with qemu-img:
// check finds no error (qcow2, vmdk), info gives the raw image's size,
// and compare finds the same content as the raw image the format was
// made from.
func TestQEMUImgReads(t *testing.T) {
	need(t, "qemu-img")
	raw := build(t, formats.Raw)
	fi, err := os.Stat(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []formats.Format{formats.QCOW2, formats.VMDK, formats.VHD} {
		t.Run(string(f), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "pod."+string(f))
			if err := formats.Convert(context.Background(), f, raw, out, formats.WithEpoch(epoch)); err != nil {
				t.Fatal(err)
			}
			q := f.QEMUFormat()
			if f != formats.VHD {
				run(t, "qemu-img", "check", "-q", "-f", q, out)
			}
			var info struct {
				Format      string `json:"format"`
				VirtualSize int64  `json:"virtual-size"`
				Compressed  bool   `json:"compressed"`
				Specific    struct {
					Data struct {
						CreateType string `json:"create-type"`
					} `json:"data"`
				} `json:"format-specific"`
			}
			if err := json.Unmarshal([]byte(run(t, "qemu-img", "info", "--output=json", "-f", q, out)), &info); err != nil {
				t.Fatal(err)
			}
			if info.Format != q || info.VirtualSize != fi.Size() {
				t.Errorf("qemu-img info: format %s, %d bytes; want %s, %d", info.Format, info.VirtualSize, q, fi.Size())
			}
			if f == formats.VMDK && info.Specific.Data.CreateType != "streamOptimized" {
				t.Errorf("vmdk create-type %q, want streamOptimized", info.Specific.Data.CreateType)
			}
			if f == formats.VHD && fi.Size()%(1<<20) != 0 {
				t.Errorf("vhd virtual size %d is not MiB-aligned", fi.Size())
			}
			run(t, "qemu-img", "compare", "-q", "-f", "raw", "-F", q, raw, out)
			if got, ok := formats.Detect(out); !ok || got != f {
				t.Errorf("Detect = %q, %v; want %q", got, ok, f)
			}
		})
	}
}

// TestGCE reads the gce tarball back: one entry, disk.raw, an oldgnu
// sparse file of whole GiB holding the raw image with its backup GPT moved
// to the end, far smaller than the raw image; GNU tar (when installed)
// lists and extracts it the same, and sgdisk finds the GPT sound.
func TestGCE(t *testing.T) {
	raw := build(t, formats.Raw)
	out := filepath.Join(t.TempDir(), "pod.tar.gz")
	if err := formats.Convert(context.Background(), formats.GCE, raw, out, formats.WithEpoch(epoch)); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	h, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	const gib = 1 << 30
	size := (int64(len(want)) + gib - 1) / gib * gib
	if h.Name != "disk.raw" || h.Typeflag != tar.TypeGNUSparse || h.Size != size || !h.ModTime.Equal(epoch) || h.Mode != 0o644 {
		t.Errorf("entry %q type %q, %d bytes, %v, mode %o; want disk.raw, GNU sparse, %d, %v, 644", h.Name, h.Typeflag, h.Size, h.ModTime, h.Mode, size, epoch)
	}
	// Written sparse, as GNU tar -S would; compared piecewise: all but the
	// GPT headers (LBA 1), the MBR's partition size and the last MiB (the
	// old backup GPT) are the raw image's.
	disk := filepath.Join(t.TempDir(), "disk.raw")
	if n := writeSparse(t, disk, tr); n != size {
		t.Fatalf("disk.raw: %d bytes, want %d", n, size)
	}
	got, err := os.Open(disk)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	keep := int64(len(want)) - 1<<20
	head := make([]byte, keep)
	got.ReadAt(head, 0)
	if !bytes.Equal(head[1024:], want[1024:keep]) || !bytes.Equal(head[:446], want[:446]) {
		t.Error("disk.raw differs from the raw image")
	}
	tail := make([]byte, 8)
	if got.ReadAt(tail, size-512); string(tail) != "EFI PART" {
		t.Error("disk.raw has no backup GPT header at its end")
	}
	if _, err := exec.LookPath("sgdisk"); err == nil {
		if v := run(t, "sgdisk", "-v", disk); !strings.Contains(v, "No problems found") {
			t.Errorf("sgdisk -v disk.raw:\n%s", v)
		}
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Errorf("after disk.raw: %v, want the end", err)
	}
	if st, _ := f.Stat(); st.Size()*2 > int64(len(want)) {
		t.Errorf("the tarball has %d bytes for a %d-byte disk: not sparse?", st.Size(), len(want))
	}
	if got, ok := formats.Detect(out); !ok || got != formats.GCE {
		t.Errorf("Detect = %q, %v; want gce", got, ok)
	}

	t.Run("gnu-tar", func(t *testing.T) {
		need(t, "tar")
		if l := run(t, "tar", "-tvzf", out); !strings.Contains(l, " disk.raw") || !strings.Contains(l, "root/root") {
			t.Errorf("tar -tv: %s", l)
		}
		dir := t.TempDir()
		run(t, "tar", "-xSzf", out, "-C", dir)
		sameSparse(t, filepath.Join(dir, "disk.raw"), disk)
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join(dir, "disk.raw"), &st); err == nil && st.Blocks*512 >= 2*int64(len(want)) {
			t.Errorf("GNU tar extracts disk.raw with no holes (%d blocks)", st.Blocks)
		}
	})
}

// TestMissingTool: a format whose tool is missing says which Debian
// package has it, before the build does any work, and writes nothing;
// raw and containerdisk need no tool at all.
func TestMissingTool(t *testing.T) {
	raw := build(t, formats.Raw)
	for _, f := range []formats.Format{formats.QCOW2, formats.VMDK} {
		out := filepath.Join(t.TempDir(), "x")
		err := formats.Convert(context.Background(), f, raw, out, formats.WithQEMUImg("/nonexistent/qemu-img"))
		if !errors.Is(err, formats.ErrMissingTool) || !strings.Contains(err.Error(), "qemu-utils") {
			t.Errorf("%s without qemu-img: %v; want ErrMissingTool naming qemu-utils", f, err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s without qemu-img left %s", f, out)
		}
	}
	if err := formats.NeedsTool(formats.RawBIOS, formats.WithSyslinux("/nonexistent/syslinux")); !errors.Is(err, formats.ErrMissingTool) || !strings.Contains(err.Error(), "syslinux") {
		t.Errorf("raw-bios without syslinux: %v", err)
	}

	hs := hyperstart(t)
	k, err := kernelcfg.Cached() // before PATH goes: its cache key asks gcc
	if err != nil {
		t.Skip(err)
	}
	pods := []*contract.Pod{helloPod(t), helloPod(t), helloPod(t)}
	t.Setenv("PATH", t.TempDir()) // no qemu-img, no syslinux
	dir := t.TempDir()
	build := func(pod *contract.Pod, f formats.Format, out string) error {
		_, err := builder.Build(context.Background(), pod, t.TempDir(), out, builder.WithFormat(f),
			builder.WithEpoch(epoch), builder.WithHyperstart(hs), builder.WithKernel(k.Path),
			builder.WithWarnings(func(w string) { t.Log("warning:", w) }))
		return err
	}
	err = build(pods[0], formats.QCOW2, filepath.Join(dir, "pod.qcow2"))
	if !errors.Is(err, formats.ErrMissingTool) || !strings.Contains(err.Error(), "qemu-utils") {
		t.Errorf("build --format qcow2 with no qemu-img: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a refused build left %v", ents)
	}
	for i, f := range []formats.Format{formats.Raw, formats.ContainerDiskFormat} {
		if err := build(pods[i+1], f, filepath.Join(dir, "pod."+string(f))); err != nil {
			t.Errorf("--format %s with an empty PATH: %v", f, err)
		}
	}
}

func TestParse(t *testing.T) {
	for _, f := range formats.All() {
		if got, err := formats.Parse(string(f)); err != nil || got != f || f.About() == "" {
			t.Errorf("Parse(%q) = %q, %v; About %q", f, got, err, f.About())
		}
	}
	_, err := formats.Parse("iso")
	if !errors.Is(err, formats.ErrUnknownFormat) || !strings.Contains(err.Error(), "qcow2") || !strings.Contains(err.Error(), "containerdisk") {
		t.Errorf("Parse(iso) = %v", err)
	}
}

func TestDetectOthers(t *testing.T) {
	d := t.TempDir()
	for name, b := range map[string][]byte{
		"empty":  nil,
		"text":   []byte("hello\n"),
		"zeros":  make([]byte, 4096),
		"gzip":   gzipped(t, []byte("not a tar")),
		"footer": append(make([]byte, 512), []byte("conectix")...),
	} {
		p := filepath.Join(d, name)
		os.WriteFile(p, b, 0o644)
		if f, ok := formats.Detect(p); ok {
			t.Errorf("Detect(%s) = %q", name, f)
		}
	}
	if f, ok := formats.Detect(d); ok {
		t.Errorf("Detect(a directory) = %q", f)
	}
	// A fifo is not opened (that would block until a writer came).
	fifo := filepath.Join(d, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	go func() { _, ok := formats.Detect(fifo); done <- ok }()
	select {
	case ok := <-done:
		if ok {
			t.Error("Detect(a fifo) = true")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Detect(a fifo) blocks")
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// writeSparse copies r to a new file at p, leaving holes for blocks of
// zeros, and returns its size.
func writeSparse(t *testing.T, p string, r io.Reader) int64 {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var off int64
	for {
		n, err := io.ReadFull(r, buf)
		for i := 0; i < n; i += 4096 {
			b := buf[i:min(i+4096, n)]
			if !bytes.Equal(b, make([]byte, len(b))) {
				f.WriteAt(b, off+int64(i))
			}
		}
		off += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(off); err != nil {
		t.Fatal(err)
	}
	return off
}

// sameSparse fails unless the files at a and b have the same size and
// bytes, reading only what either has allocated (holes read as zeros).
func sameSparse(t *testing.T, a, b string) {
	t.Helper()
	fa, err := os.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	sa, _ := fa.Stat()
	sb, _ := fb.Stat()
	if sa.Size() != sb.Size() {
		t.Fatalf("%s has %d bytes, %s %d", a, sa.Size(), b, sb.Size())
	}
	x, y := make([]byte, 1<<20), make([]byte, 1<<20)
	for _, f := range []*os.File{fa, fb} {
		for off := int64(0); off < sa.Size(); {
			d, err := unix.Seek(int(f.Fd()), off, unix.SEEK_DATA)
			if err != nil {
				break
			}
			h, err := unix.Seek(int(f.Fd()), d, unix.SEEK_HOLE)
			if err != nil {
				h = sa.Size()
			}
			for at := d; at < h; at += int64(len(x)) {
				n := min(int64(len(x)), h-at)
				fa.ReadAt(x[:n], at)
				fb.ReadAt(y[:n], at)
				if !bytes.Equal(x[:n], y[:n]) {
					t.Fatalf("%s and %s differ in [%d, %d)", a, b, at, at+n)
				}
			}
			off = h
		}
	}
}

// TestConvertLeavesNothing: a conversion that fails (here: cancelled)
// leaves neither the output nor its temporary directory; WithTempDir
// puts the temporary directory where it is told.
func TestConvertLeavesNothing(t *testing.T) {
	raw := build(t, formats.Raw)
	for _, f := range []formats.Format{formats.GCE, formats.VHD, formats.ContainerDiskFormat, formats.QCOW2} {
		if f == formats.QCOW2 {
			if _, err := exec.LookPath("qemu-img"); err != nil {
				continue
			}
		}
		dir, work := t.TempDir(), t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := formats.Convert(ctx, f, raw, filepath.Join(dir, "pod."+string(f)), formats.WithTempDir(work))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s, cancelled: %v, want context.Canceled", f, err)
		}
		for _, d := range []string{dir, work} {
			if ents, _ := os.ReadDir(d); len(ents) != 0 {
				t.Errorf("%s, cancelled, left %v in %s", f, ents, d)
			}
		}
	}
}
