package kernelcfg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fakeBzImage builds a minimal setup header: 4 setup sectors and a version
// string in them.
func fakeBzImage(mutate func(h []byte)) []byte {
	img := make([]byte, 5*512)
	le := binary.LittleEndian
	img[offSetupSects] = 4
	le.PutUint16(img[offBootFlag:], 0xaa55)
	copy(img[offHeaderMagic:], "HdrS")
	le.PutUint16(img[offVersion:], 0x020f)
	le.PutUint16(img[offXLoadFlags:], xlfKernel64)
	const at = 0x400 // file offset of the string
	le.PutUint16(img[offKernelVersion:], at-0x200)
	copy(img[at:], "6.1.192 (hyper@hyperbuild) #1 Thu Jan  1 00:00:00 UTC 1970\x00")
	if mutate != nil {
		mutate(img)
	}
	return img
}

func TestReadBzImage(t *testing.T) {
	le := binary.LittleEndian
	tests := []struct {
		name   string
		mutate func(h []byte)
		want   string // release; "" means ErrNotBzImage
	}{
		{"valid", nil, "6.1.192"},
		{"no boot flag", func(h []byte) { h[offBootFlag] = 0 }, ""},
		{"no HdrS", func(h []byte) { copy(h[offHeaderMagic:], "MZ\x00\x00") }, ""},
		{"protocol 2.11", func(h []byte) { le.PutUint16(h[offVersion:], 0x020b) }, ""},
		{"32-bit only", func(h []byte) { le.PutUint16(h[offXLoadFlags:], 0) }, ""},
		{"version pointer past setup", func(h []byte) { le.PutUint16(h[offKernelVersion:], 0x2000) }, ""},
		{"unterminated version", func(h []byte) {
			for i := 0x400; i < len(h); i++ {
				h[i] = 'x'
			}
		}, ""},
		{"truncated", func(h []byte) {}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := fakeBzImage(tt.mutate)
			if tt.name == "truncated" {
				img = img[:0x200]
			}
			got, _, err := readBzImage(bytes.NewReader(img))
			if tt.want == "" {
				if !errors.Is(err, ErrNotBzImage) {
					t.Fatalf("readBzImage = %q, %v; want ErrNotBzImage", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("readBzImage = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestFromFileSynthetic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bzImage")
	if err := os.WriteFile(path, fakeBzImage(nil), 0o644); err != nil {
		t.Fatal(err)
	}
	k, err := FromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if k.Path != path || k.Version != "6.1.192" || k.Config != "" || k.ConfigHash != "" {
		t.Errorf("FromFile = %+v", k)
	}
	if _, err := FromFile(path + ".missing"); err == nil {
		t.Error("FromFile on a missing file: no error")
	}
}

// TestFromFileReal reads the built hyperkernel (and the host's own
// kernel's header) when they are there.
func TestFromFileReal(t *testing.T) {
	var paths []string
	if k, err := Cached(); err == nil {
		paths = append(paths, k.Path)
		t.Run("cached", func(t *testing.T) {
			got, err := FromFile(k.Path)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != k.Version {
				t.Errorf("header version %q, cache says %q", got.Version, k.Version)
			}
		})
	}
	hosts, _ := filepath.Glob("/boot/vmlinuz-*")
	for _, p := range hosts {
		if _, err := os.Stat(p); err == nil {
			t.Run(filepath.Base(p), func(t *testing.T) {
				// The header only: FromFile refuses a distribution's kernel
				// (TestFromFileDebian).
				f, err := os.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				version, _, err := readBzImage(f)
				if err != nil {
					t.Fatal(err)
				}
				if want := filepath.Base(p)[len("vmlinuz-"):]; version != want {
					t.Errorf("version %q, want %q (from the file name)", version, want)
				}
			})
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		t.Skip("no built hyperkernel and no /boot/vmlinuz-*: nothing real to read")
	}
}
