package disk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
	"github.com/diskfs/go-diskfs/partition/gpt"
)

func TestWriteImageBadInput(t *testing.T) {
	a, loader := inputs(t)
	notDir := writeFile(t, filepath.Join(t.TempDir(), "file"), []byte("x"))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	empty := writeFile(t, filepath.Join(t.TempDir(), "empty"), nil)
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link.img")
	if err := os.Symlink(empty, link); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		ctx     context.Context
		out     string // "" means a fresh temp dir's web.img
		edit    func(*Artifact)
		want    error
		mention string
	}{
		{name: "missing kernel", edit: func(a *Artifact) { a.Kernel = "/nonexistent/bzImage" }, want: os.ErrNotExist, mention: "/nonexistent/bzImage"},
		{name: "missing initrd", edit: func(a *Artifact) { a.Initrd = "/nonexistent/initrd.img" }, want: os.ErrNotExist, mention: "initrd"},
		{name: "missing pod fs", edit: func(a *Artifact) { a.PodFS = "" }, want: ErrBadInput, mention: "pod filesystem"},
		{name: "empty kernel", edit: func(a *Artifact) { a.Kernel = empty }, want: ErrBadInput, mention: empty},
		{name: "kernel is a dir", edit: func(a *Artifact) { a.Kernel = t.TempDir() }, want: ErrBadInput, mention: "not a regular file"},
		{name: "pod fs too short", edit: func(a *Artifact) { a.PodFSSize = 1 << 40 }, want: ErrBadInput, mention: "asked to use"},
		{name: "pod fs not ext4", edit: func(a *Artifact) { a.PodFS = a.Kernel }, want: ErrBadInput, mention: "holds no ext4"},
		{name: "cmdline newline", edit: func(a *Artifact) { a.Cmdline = "a\nb" }, want: ErrBadInput, mention: "command line"},
		{name: "cmdline too long", edit: func(a *Artifact) { a.Cmdline = strings.Repeat("x", 2048) }, want: ErrBadInput, mention: "command line"},
		{name: "no such dir", out: "/nonexistent/dir/web.img", want: os.ErrNotExist, mention: "/nonexistent/dir/web.img"},
		{name: "parent is a file", out: filepath.Join(notDir, "web.img"), mention: notDir},
		{name: "out is a dir", out: t.TempDir(), want: ErrBadInput, mention: "is a directory"}, // checked before any temp file
		{name: "out is a fifo", out: fifo, want: ErrBadInput, mention: "is a named pipe"},
		{name: "out is a symlink", out: link, want: ErrBadInput, mention: "is a symlink"}, // a rename would replace the link
		{name: "cancelled", ctx: cancelled, want: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := a
			if tt.edit != nil {
				tt.edit(&in)
			}
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			dir := t.TempDir()
			out := tt.out
			if out == "" {
				out = filepath.Join(dir, "web.img")
			}
			_, err := WriteImage(ctx, out, in, loader)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.mention) || !strings.Contains(err.Error(), out) {
				t.Errorf("err = %q, should name %q and %q", err, out, tt.mention)
			}
			if left := leftovers(t, dir); len(left) != 0 {
				t.Errorf("left behind: %q", left)
			}
		})
	}
}

// TestWriteImageKeepsOld checks that a failed build leaves a previous
// artifact at the output path untouched.
func TestWriteImageKeepsOld(t *testing.T) {
	a, loader := inputs(t)
	out := buildImage(t, a, loader)
	before := sha(t, out)
	bad := a
	bad.Initrd = "/nonexistent"
	if _, err := WriteImage(context.Background(), out, bad, loader); err == nil {
		t.Fatal("no error")
	}
	if sha(t, out) != before {
		t.Error("the old artifact changed")
	}
	if left := leftovers(t, filepath.Dir(out), "web.img"); len(left) != 0 {
		t.Errorf("left behind: %q", left)
	}
}

func TestOpenBadInput(t *testing.T) {
	a, loader := inputs(t)
	good := buildImage(t, a, loader)
	img, err := Open(good)
	if err != nil {
		t.Fatal(err)
	}
	parts := img.Partitions()
	img.Close()

	// corrupt returns a copy of the good image changed by fn.
	corrupt := func(fn func(f *os.File)) string {
		p := writeFile(t, filepath.Join(t.TempDir(), "bad.img"), mustRead(t, good))
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fn(f)
		return p
	}
	zero := func(off, n int64) func(*os.File) {
		return func(f *os.File) { f.WriteAt(make([]byte, n), off) }
	}
	noManifest := corrupt(func(f *os.File) {
		fs, err := fat32.Read(file.New(f, false), parts[0].Size, parts[0].Start, sectorSize)
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.Remove(ESPManifest); err != nil {
			t.Fatal(err)
		}
	})
	noESP := corrupt(func(f *os.File) {
		tab := &gpt.Table{LogicalSectorSize: 512, PhysicalSectorSize: 512, ProtectiveMBR: true,
			GUID: "11111111-2222-4333-8444-555555555555",
			Partitions: []*gpt.Partition{{Index: 2, Type: gpt.LinuxFilesystem, Name: podName,
				GUID:  "11111111-2222-4333-8444-555555555556",
				Start: uint64(parts[1].Start / 512), End: uint64((parts[1].Start+parts[1].Size)/512 - 1), Size: uint64(parts[1].Size)}}}
		st, _ := f.Stat()
		if err := tab.Write(f, st.Size()); err != nil {
			t.Fatal(err)
		}
	})
	tests := []struct {
		name, path string
		want       error
		mention    string
	}{
		{"absent", "/nonexistent/web.img", os.ErrNotExist, "/nonexistent/web.img"},
		{"random bytes", writeFile(t, filepath.Join(t.TempDir(), "r.img"), pseudoRandom(3<<20, 9)), ErrNotArtifact, "GPT"},
		{"empty dir", t.TempDir(), ErrNotArtifact, "manifest.json"},
		{"no GPT at all", corrupt(func(f *os.File) { zero(0, 34*512)(f); st, _ := f.Stat(); zero(st.Size()-mib, mib)(f) }), ErrNotArtifact, "GPT"},
		{"no ESP", noESP, ErrMissing, "EFI System Partition"},
		{"ESP not FAT", corrupt(zero(parts[0].Start, 4096)), ErrNotArtifact, "ESP"},
		{"no manifest", noManifest, ErrMissing, ESPManifest},
		{"pod not ext4", corrupt(zero(parts[1].Start, 4096)), ErrNotArtifact, "ext4"},
		// A copy cut short: the pod partition ends past the end of the file.
		{"pod partition cut short", corrupt(func(f *os.File) { f.Truncate(parts[1].Start + parts[1].Size/2) }), ErrTruncated, "partition 2 (hyper-pod)"},
		{"cut inside the ESP", corrupt(func(f *os.File) { f.Truncate(parts[0].Start + parts[0].Size - 4096) }), ErrTruncated, "partition 1 (hyper-efi)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Open(tt.path)
			if err == nil {
				img.Close()
				t.Fatal("no error")
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.path) || !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("err = %v; want %v naming %s and %q", err, tt.want, tt.path, tt.mention)
			}
		})
	}
}

// WithTempDir writes in the given directory and renames into place:
// nothing is ever written beside the output but the output itself.
func TestWithTempDir(t *testing.T) {
	a, loader := inputs(t)
	outDir, scratch := t.TempDir(), t.TempDir()
	img, dir := filepath.Join(outDir, "web.img"), filepath.Join(outDir, "web.d")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := WriteImage(cancelled, img, a, loader, WithTempDir(scratch)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled WriteImage: err = %v", err)
	}
	if err := WriteDir(cancelled, dir, a, WithTempDir(scratch)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled WriteDir: err = %v", err)
	}
	if left := append(leftovers(t, outDir), leftovers(t, scratch)...); len(left) != 0 {
		t.Errorf("cancelled writes left %q", left)
	}
	if _, err := WriteImage(context.Background(), img, a, loader, WithTempDir(scratch)); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(context.Background(), dir, a, WithTempDir(scratch)); err != nil {
		t.Fatal(err)
	}
	// Over the previous artifacts, whose old copy goes through scratch.
	if err := WriteDir(context.Background(), dir, a, WithTempDir(scratch)); err != nil {
		t.Fatal(err)
	}
	if left := leftovers(t, outDir, "web.img", "web.d"); len(left) != 0 {
		t.Errorf("left beside the output: %q", left)
	}
	if left := leftovers(t, scratch); len(left) != 0 {
		t.Errorf("left in the scratch directory: %q", left)
	}
}
