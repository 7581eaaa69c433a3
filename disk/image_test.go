package disk

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/diskfs/go-diskfs/partition/gpt"
)

func TestImageRoundTrip(t *testing.T) {
	a, loader := inputs(t)
	out := filepath.Join(t.TempDir(), "web.img")
	warnings, err := WriteImage(context.Background(), out, a, loader)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings = %q", warnings)
	}
	img, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()

	if got := img.Cmdline(); got != a.Cmdline {
		t.Errorf("Cmdline = %q, want %q", got, a.Cmdline)
	}
	if got, want := readAll(t, img.Kernel), mustRead(t, a.Kernel); !bytes.Equal(got, want) {
		t.Errorf("Kernel: %d bytes differ from the %d given", len(got), len(want))
	}
	if got, want := readAll(t, img.Initrd), mustRead(t, a.Initrd); !bytes.Equal(got, want) {
		t.Errorf("Initrd: %d bytes differ from the %d given", len(got), len(want))
	}

	m := img.Manifest()
	want := a.Manifest
	want.Cmdline, want.Bootloader = a.Cmdline, "systemd-boot"
	fi, _ := os.Stat(out)
	podSize, _ := os.Stat(a.PodFS)
	want.Sizes = Sizes{Kernel: 1<<20 + 123, Initrd: int64(len(mustRead(t, a.Initrd))), PodFS: podSize.Size(), ESP: 33 << 20, Image: fi.Size()}
	if !reflect.DeepEqual(m, want) {
		g, _ := json.Marshal(m)
		w, _ := json.Marshal(want)
		t.Errorf("Manifest =\n%s\nwant\n%s", g, w)
	}

	parts := img.Partitions()
	if len(parts) != 2 {
		t.Fatalf("Partitions = %+v", parts)
	}
	for i, p := range parts {
		if p.Start%mib != 0 || p.Size%mib != 0 {
			t.Errorf("partition %d not 1 MiB aligned: %+v", i+1, p)
		}
	}
	if parts[0].Type != string(gpt.EFISystemPartition) || parts[0].Name != "hyper-efi" || parts[0].Start != mib {
		t.Errorf("partition 1 = %+v", parts[0])
	}
	if parts[1].Type != string(gpt.LinuxFilesystem) || parts[1].Name != "hyper-pod" {
		t.Errorf("partition 2 = %+v", parts[1])
	}

	path, off, size := img.PodFS()
	if path != out || off != parts[1].Start || size != parts[1].Size {
		t.Errorf("PodFS = %s, %d, %d; want %s, %d, %d", path, off, size, out, parts[1].Start, parts[1].Size)
	}
	pod := mustRead(t, a.PodFS)
	got := make([]byte, len(pod))
	f, _ := os.Open(out)
	defer f.Close()
	f.ReadAt(got, off)
	if !bytes.Equal(got, pod) {
		t.Error("pod partition differs from the pod filesystem given")
	}

	entry := string(readAll(t, func() (io.ReadCloser, error) { return img.openESP(espEntry) }))
	if !strings.Contains(entry, "linux /hyper/bzImage\ninitrd /hyper/initrd.img\noptions console=ttyS0 quiet\n") {
		t.Errorf("loader entry = %q", entry)
	}
	conf := string(readAll(t, func() (io.ReadCloser, error) { return img.openESP(espLoaderCf) }))
	if !strings.Contains(conf, "timeout 0\n") || !strings.Contains(conf, "default hyper.conf\n") {
		t.Errorf("loader.conf = %q", conf)
	}

	k, i, err := img.BootFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, k), mustRead(t, a.Kernel)) || !bytes.Equal(mustRead(t, i), mustRead(t, a.Initrd)) {
		t.Error("BootFiles: extracted files differ")
	}
}

func TestImageWithoutBootloader(t *testing.T) {
	a, _ := inputs(t)
	for _, opt := range []Option{WithBootloader(""), WithBootloader("/nonexistent/systemd-bootx64.efi")} {
		out := filepath.Join(t.TempDir(), "web.img")
		warnings, err := WriteImage(context.Background(), out, a, opt)
		if err != nil {
			t.Fatal(err)
		}
		if len(warnings) != 1 || !strings.Contains(warnings[0], "boots only with hyperboot") || !strings.Contains(warnings[0], out) {
			t.Errorf("warnings = %q", warnings)
		}
		img, err := Open(out)
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Manifest().Bootloader; b != "" {
			t.Errorf("Bootloader = %q", b)
		}
		if _, err := img.openESP(espLoader); err == nil {
			t.Error("BOOTX64.EFI present without a bootloader")
		}
		img.Close()
	}
}

// TestReproducible builds the same artifact twice, in different
// directories and at different wall-clock times, and compares bytes.
func TestReproducible(t *testing.T) {
	a, loader := inputs(t)
	first := sha(t, buildImage(t, a, loader))
	time.Sleep(2100 * time.Millisecond)        // FAT times have 2 s resolution
	t.Setenv("SOURCE_DATE_EPOCH", "123456789") // go-diskfs reads it; Manifest.Built rules
	if second := sha(t, buildImage(t, a, loader)); first != second {
		t.Fatalf("two builds differ: %x vs %x", first, second)
	}
	changed := a
	changed.Cmdline += " hyper.debug"
	if sha(t, buildImage(t, changed, loader)) == first {
		t.Error("a different command line gave the same image")
	}
	later := a
	later.Manifest.Built = built.Add(time.Hour)
	if sha(t, buildImage(t, later, loader)) == first {
		t.Error("a different build time gave the same image")
	}
}

func TestImageIsSparse(t *testing.T) {
	a, loader := inputs(t)
	out := buildImage(t, a, loader)
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	used := statBlocks(st) * 512
	if used >= st.Size()/2 {
		t.Errorf("image uses %d bytes on disk for %d bytes: not sparse", used, st.Size())
	}
	t.Logf("image %d bytes, %d allocated", st.Size(), used)
}

func TestESPSize(t *testing.T) {
	tests := []struct {
		files map[string]int64
		want  int64 // 0: just the smallest that fits
	}{
		{map[string]int64{ESPKernel: 3 << 20, ESPInitrd: 2 << 20}, 33 << 20},
		{map[string]int64{ESPKernel: 30 << 20, ESPInitrd: 2 << 20}, 0},
		{map[string]int64{ESPKernel: 30 << 20, ESPInitrd: 20 << 20}, 0},
		{map[string]int64{ESPKernel: 10 << 20, ESPInitrd: 300 << 20}, 0},
	}
	for _, tt := range tests {
		got := espSizeFor(tt.files)
		fits := func(size int64) bool {
			cb, clusters := fatGeometry(size)
			return clusters >= fat32MinClusters && clusters >= clustersNeeded(tt.files, cb)+16
		}
		switch {
		case !fits(got):
			t.Errorf("espSizeFor(%v) = %d MiB: too small", tt.files, got>>20)
		case tt.want != 0 && got != tt.want:
			t.Errorf("espSizeFor(%v) = %d MiB, want %d MiB", tt.files, got>>20, tt.want>>20)
		case got > 33<<20 && fits(got-mib):
			t.Errorf("espSizeFor(%v) = %d MiB, but one MiB less would do", tt.files, got>>20)
		}
	}
}
