package kernelcfg

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// bootConfig is a .config with every option of BootFeatures built in,
// plus extra lines.
func bootConfig(extra ...string) string {
	var names []string
	for name := range bootOptions() {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("# Automatically generated file; DO NOT EDIT.\n")
	for _, n := range names {
		fmt.Fprintf(&b, "CONFIG_%s=y\n", n)
	}
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	return b.String()
}

// fakeVmlinux is a stand-in decompressed kernel: ELF magic, filler, and
// config (if any) between the IKCONFIG markers, gzipped as the kernel
// build does.
func fakeVmlinux(t testing.TB, config string) []byte {
	var b bytes.Buffer
	b.WriteString("\x7fELF")
	b.Write(bytes.Repeat([]byte("filler IKCFG "), 7000)) // markers may straddle reads
	if config != "" {
		b.Write(ikcfgStart)
		z := gzip.NewWriter(&b)
		io.WriteString(z, config)
		z.Close()
		b.Write(ikcfgEnd)
	}
	b.Write(bytes.Repeat([]byte{0xcc}, 5000))
	return b.Bytes()
}

// lz4Literals is an LZ4 legacy frame whose blocks hold literals only: a
// valid encoding that any decoder must read.
func lz4Literals(data []byte) []byte {
	out := append([]byte{}, lz4LegacyMagic...)
	for len(data) > 0 {
		chunk := data[:min(len(data), 1<<20)]
		data = data[len(chunk):]
		var blk []byte
		if n := len(chunk); n < 15 {
			blk = append(blk, byte(n<<4))
		} else {
			blk = append(blk, 0xf0)
			for n -= 15; n >= 255; n -= 255 {
				blk = append(blk, 255)
			}
			blk = append(blk, byte(n))
		}
		blk = append(blk, chunk...)
		out = binary.LittleEndian.AppendUint32(out, uint32(len(blk)))
		out = append(out, blk...)
	}
	return out
}

// compress compresses vm as the kernel build would for kind, with the
// decompressed size appended for every format but gzip.
func compress(t testing.TB, kind string, vm []byte) []byte {
	var out []byte
	switch kind {
	case "gzip":
		var b bytes.Buffer
		z := gzip.NewWriter(&b)
		z.Write(vm)
		z.Close()
		return b.Bytes()
	case "zstd":
		enc, err := zstd.NewWriter(nil)
		if err != nil {
			t.Fatal(err)
		}
		out = enc.EncodeAll(vm, nil)
	case "lz4":
		out = lz4Literals(vm)
	case "xz":
		out = append([]byte{0xfd, '7', 'z', 'X', 'Z', 0}, make([]byte, 64)...)
	default:
		t.Fatalf("no %s", kind)
	}
	return binary.LittleEndian.AppendUint32(out, uint32(len(vm)))
}

// fakeBzImageWith is fakeBzImage with payload as its compressed kernel.
func fakeBzImageWith(payload []byte) []byte {
	img := fakeBzImage(nil)
	le := binary.LittleEndian
	le.PutUint32(img[offPayloadOffset:], 16) // from the end of the 4+1 setup sectors
	le.PutUint32(img[offPayloadLength:], uint32(len(payload)))
	img = append(img, make([]byte, 16)...)
	return append(img, payload...)
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fromFile runs FromFile and collects its warnings.
func fromFile(path string) (*Kernel, []string, error) {
	var warnings []string
	k, err := FromFile(path, WithWarnings(func(w string) { warnings = append(warnings, w) }))
	return k, warnings, err
}

func TestFromFileEmbeddedConfig(t *testing.T) {
	for _, kind := range []string{"gzip", "zstd", "lz4"} {
		t.Run(kind, func(t *testing.T) {
			good := writeTemp(t, "bzImage", fakeBzImageWith(compress(t, kind, fakeVmlinux(t, bootConfig()))))
			k, warnings, err := fromFile(good)
			if err != nil || len(warnings) > 0 || k.Version != "6.1.192" {
				t.Fatalf("FromFile = %+v, %v, warnings %q", k, err, warnings)
			}
			modules := bootConfig("CONFIG_VIRTIO_BLK=m", "# CONFIG_OVERLAY_FS is not set")
			bad := writeTemp(t, "bzImage", fakeBzImageWith(compress(t, kind, fakeVmlinux(t, modules))))
			_, _, err = fromFile(bad)
			if !errors.Is(err, ErrMissingBuiltins) {
				t.Fatalf("FromFile with virtio_blk a module: %v, want ErrMissingBuiltins", err)
			}
			for _, want := range []string{"CONFIG_VIRTIO_BLK=m (a module)", "CONFIG_OVERLAY_FS is not set [overlayfs]", "embedded in it (CONFIG_IKCONFIG)"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}

// TestFromFileUnchecked: without an embedded configuration, FromFile
// reads config-RELEASE beside the kernel, else accepts it with a warning.
func TestFromFileUnchecked(t *testing.T) {
	for _, tt := range []struct {
		name    string
		payload []byte
		why     string
	}{
		{"no IKCONFIG", compress(t, "gzip", fakeVmlinux(t, "")), "CONFIG_IKCONFIG is off"},
		{"xz", compress(t, "xz", nil), "xz"},
		{"no payload", nil, "compressed kernel"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			img := fakeBzImage(nil)
			if tt.payload != nil {
				img = fakeBzImageWith(tt.payload)
			}
			path := writeTemp(t, "vmlinuz-6.1.192", img)
			k, warnings, err := fromFile(path)
			if err != nil || k == nil || len(warnings) != 1 || !strings.Contains(warnings[0], "unchecked") || !strings.Contains(warnings[0], tt.why) {
				t.Fatalf("FromFile = %v, %v, warnings %q; want one about %q", k, err, warnings, tt.why)
			}
			side := filepath.Join(filepath.Dir(path), "config-6.1.192")
			if err := os.WriteFile(side, []byte(bootConfig("CONFIG_EXT4_FS=m")), 0o644); err != nil {
				t.Fatal(err)
			}
			_, warnings, err = fromFile(path)
			if !errors.Is(err, ErrMissingBuiltins) || !strings.Contains(err.Error(), "CONFIG_EXT4_FS=m") || !strings.Contains(err.Error(), side) || len(warnings) > 0 {
				t.Fatalf("with %s: %v, warnings %q; want ErrMissingBuiltins naming EXT4_FS and the file", side, err, warnings)
			}
		})
	}
}

func TestEmbeddedConfigCorrupt(t *testing.T) {
	vm := fakeVmlinux(t, bootConfig())
	i := bytes.Index(vm, ikcfgStart) + len(ikcfgStart)
	for name, mutate := range map[string]func([]byte) []byte{
		"bad gzip":  func(b []byte) []byte { b[i] = 0; return b },
		"no end":    func(b []byte) []byte { return b[:len(b)-5000-len(ikcfgEnd)] },
		"truncated": func(b []byte) []byte { return b[:i+20] },
	} {
		t.Run(name, func(t *testing.T) {
			_, found, err := embeddedConfig(bytes.NewReader(mutate(bytes.Clone(vm))))
			if !found || err == nil {
				t.Errorf("embeddedConfig = found %v, %v; want an error", found, err)
			}
		})
	}
}

func TestLZ4Block(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string // "" means an error
	}{
		{"literals", []byte{0x50, 'h', 'e', 'l', 'l', 'o'}, "hello"},
		{"overlapping match", []byte{0x16, 'a', 1, 0, 0x00}, strings.Repeat("a", 11)},
		{"period 3", []byte{0x3f, 'a', 'b', 'c', 3, 0, 5, 0x10, '!'}, strings.Repeat("abc", 9) + "!"},
		{"long literals", append([]byte{0xf0, 255, 5}, bytes.Repeat([]byte{'x'}, 275)...), strings.Repeat("x", 275)},
		{"offset zero", []byte{0x10, 'a', 0, 0, 0x00}, ""},
		{"offset before start", []byte{0x10, 'a', 2, 0, 0x00}, ""},
		{"truncated literals", []byte{0x50, 'h', 'e'}, ""},
		{"truncated offset", []byte{0x10, 'a', 1}, ""},
		{"endless length", []byte{0xf0, 255, 255, 255}, ""},
		{"empty", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lz4Block(nil, tt.in, 1<<20)
			if tt.want == "" {
				if !errors.Is(err, errLZ4) {
					t.Errorf("lz4Block = %q, %v; want errLZ4", got, err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("lz4Block = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	// A match may not grow the output past max.
	if _, err := lz4Block(nil, []byte{0x1f, 'a', 1, 0, 255, 255, 255, 0}, 100); !errors.Is(err, errLZ4) {
		t.Errorf("a match past max: %v", err)
	}
}

func TestBootFeaturesExist(t *testing.T) {
	names := map[string]bool{}
	for _, f := range Features {
		names[f.Name] = true
	}
	for _, n := range BootFeatures {
		if !names[n] {
			t.Errorf("BootFeatures names %q, which is not in Features", n)
		}
	}
	opts := bootOptions()
	for _, want := range []string{"VIRTIO_BLK", "VIRTIO_PCI", "VIRTIO_MMIO", "EXT4_FS", "OVERLAY_FS", "TMPFS", "DEVTMPFS", "SERIAL_8250_CONSOLE", "PID_NS", "EFI_PARTITION", "RD_GZIP", "UNIX", "INET", "PROC_FS", "SYSFS", "EFI_STUB"} {
		if _, ok := opts[want]; !ok {
			t.Errorf("boot options lack %s", want)
		}
	}
	if len(MissingForBoot(map[string]string{})) != len(opts) {
		t.Error("an empty config does not miss every boot option")
	}
}

// TestFromFileDebian reads Debian's cloud kernel: LZ4-compressed, no
// IKCONFIG, its configuration in /boot/config-RELEASE, virtio_blk a
// module. hyper must refuse it, naming what is missing.
func TestFromFileDebian(t *testing.T) {
	paths, _ := filepath.Glob("/boot/vmlinuz-*-cloud-amd64")
	if len(paths) == 0 {
		t.Skip("no Debian cloud kernel in /boot (apt-get install linux-image-cloud-amd64)")
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			// The LZ4 reader inflates the whole payload to the size the
			// build appended, and the result is vmlinux, an ELF file.
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			_, hdr, err := readBzImage(f)
			if err != nil {
				t.Fatal(err)
			}
			vm, kind, err := vmlinux(f, st.Size(), hdr)
			if err != nil {
				t.Fatalf("vmlinux: %s: %v", kind, err)
			}
			defer vm.Close()
			head := make([]byte, 4)
			if _, err := io.ReadFull(vm, head); err != nil || string(head) != "\x7fELF" {
				t.Fatalf("%s payload starts %q, %v; want ELF", kind, head, err)
			}
			n, err := io.Copy(io.Discard, vm)
			if err != nil {
				t.Fatalf("decompressing %s: %v", kind, err)
			}
			start := (int64(hdr[offSetupSects])+1)*512 + int64(binary.LittleEndian.Uint32(hdr[offPayloadOffset:]))
			end := start + int64(binary.LittleEndian.Uint32(hdr[offPayloadLength:]))
			trailer := make([]byte, 4)
			f.ReadAt(trailer, end-4)
			if want := int64(binary.LittleEndian.Uint32(trailer)); n+4 != want {
				t.Errorf("%s: decompressed %d bytes, the build recorded %d", kind, n+4, want)
			}

			_, warnings, err := fromFile(path)
			if _, statErr := os.Stat(filepath.Join("/boot", "config-"+strings.TrimPrefix(filepath.Base(path), "vmlinuz-"))); statErr != nil {
				if err != nil || len(warnings) != 1 {
					t.Fatalf("without its config: %v, warnings %q; want one warning", err, warnings)
				}
				return
			}
			if !errors.Is(err, ErrMissingBuiltins) || !strings.Contains(err.Error(), "CONFIG_VIRTIO_BLK=m (a module)") {
				t.Fatalf("FromFile = %v; want ErrMissingBuiltins with CONFIG_VIRTIO_BLK=m", err)
			}
			t.Logf("%s (%s, %d MB decompressed):\n%v", filepath.Base(path), kind, (n+4)>>20, err)
		})
	}
}

// TestFromFileHyperkernel: our own kernel passes, its embedded
// configuration the very .config the cache keeps.
func TestFromFileHyperkernel(t *testing.T) {
	k, err := Cached()
	if err != nil {
		t.Skipf("no cached hyperkernel (hyperbuild kernel builds it): %v", err)
	}
	got, warnings, err := fromFile(k.Path)
	if err != nil || len(warnings) > 0 || got.Version != k.Version {
		t.Fatalf("FromFile(hyperkernel) = %+v, %v, warnings %q", got, err, warnings)
	}
	f, err := os.Open(k.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	_, hdr, _ := readBzImage(f)
	embedded, err := imageConfig(f, st.Size(), hdr)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := os.Open(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	defer cf.Close()
	want, err := ParseConfig(cf)
	if err != nil {
		t.Fatal(err)
	}
	if len(embedded) != len(want) {
		t.Errorf("embedded config has %d options, the cache's %d", len(embedded), len(want))
	}
	for k, v := range want {
		if embedded[k] != v {
			t.Errorf("CONFIG_%s: embedded %q, cache %q", k, embedded[k], v)
		}
	}
}

// FuzzKernelImage feeds the bzImage and IKCONFIG reader hostile files:
// no panics, and bounded work (maxVmlinux is lowered).
func FuzzKernelImage(f *testing.F) {
	old := maxVmlinux
	maxVmlinux = 4 << 20
	f.Cleanup(func() { maxVmlinux = old })
	f.Add(fakeBzImage(nil))
	for _, kind := range []string{"gzip", "zstd", "lz4", "xz"} {
		f.Add(fakeBzImageWith(compress(f, kind, fakeVmlinux(f, "CONFIG_VIRTIO_BLK=m\n"))))
	}
	f.Fuzz(func(t *testing.T, img []byte) {
		r := bytes.NewReader(img)
		release, hdr, err := readBzImage(r)
		if err != nil {
			return
		}
		if release == "" {
			t.Fatal("a release of nothing")
		}
		cfg, err := imageConfig(r, int64(len(img)), hdr)
		if err == nil {
			MissingForBoot(cfg)
		}
	})
}

// FuzzLZ4Block feeds the LZ4 block decoder hostile blocks.
func FuzzLZ4Block(f *testing.F) {
	f.Add([]byte{0x16, 'a', 1, 0, 0x00})
	f.Add([]byte{0x3f, 'a', 'b', 'c', 3, 0, 5, 0x10, '!'})
	f.Fuzz(func(t *testing.T, src []byte) {
		const max = 1 << 20
		out, err := lz4Block(nil, src, max)
		if err == nil && len(out) > max {
			t.Fatalf("%d bytes out, max %d", len(out), max)
		}
	})
}
