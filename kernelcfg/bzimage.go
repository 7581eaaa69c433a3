package kernelcfg

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Offsets in the x86 boot protocol's setup header
// (Documentation/x86/boot.rst).
const (
	offSetupSects    = 0x1f1
	offBootFlag      = 0x1fe // 0xaa55
	offHeaderMagic   = 0x202 // "HdrS"
	offVersion       = 0x206 // boot protocol version
	offKernelVersion = 0x20e // pointer to the version string, minus 0x200
	offXLoadFlags    = 0x236
	xlfKernel64      = 1 << 0 // 64-bit entry point at 0x200
	minProtocol      = 0x020c // 2.12: xloadflags
	headerLen        = 0x268
)

// FromFile validates a bring-your-own bzImage (boot flag, "HdrS" magic, boot
// protocol >= 2.12, a 64-bit entry point) and reads its release from the
// header's kernel_version string. Config and ConfigHash stay empty: a
// foreign kernel's configuration is unknown.
func FromFile(path string) (*Kernel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading kernel %s: %w", path, err)
	}
	defer f.Close()
	version, err := readBzImage(f)
	if err != nil {
		return nil, fmt.Errorf("reading kernel %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("reading kernel %s: %w", path, err)
	}
	return &Kernel{Path: abs, Version: version}, nil
}

// readBzImage checks the setup header and returns the kernel release (the
// first word of the version string).
func readBzImage(r io.ReaderAt) (string, error) {
	hdr := make([]byte, headerLen)
	if _, err := r.ReadAt(hdr, 0); err != nil {
		return "", fmt.Errorf("%w: reading setup header: %v", ErrNotBzImage, err)
	}
	le := binary.LittleEndian
	if le.Uint16(hdr[offBootFlag:]) != 0xaa55 {
		return "", fmt.Errorf("%w: no boot flag 0xaa55", ErrNotBzImage)
	}
	if string(hdr[offHeaderMagic:offHeaderMagic+4]) != "HdrS" {
		return "", fmt.Errorf("%w: no HdrS magic", ErrNotBzImage)
	}
	proto := le.Uint16(hdr[offVersion:])
	if proto < minProtocol {
		return "", fmt.Errorf("%w: boot protocol %d.%02d, need 2.12 or later", ErrNotBzImage, proto>>8, proto&0xff)
	}
	if le.Uint16(hdr[offXLoadFlags:])&xlfKernel64 == 0 {
		return "", fmt.Errorf("%w: no 64-bit entry point (a 32-bit kernel?)", ErrNotBzImage)
	}
	ptr := le.Uint16(hdr[offKernelVersion:])
	setupLen := (int64(hdr[offSetupSects]) + 1) * 512
	if ptr == 0 || int64(ptr)+0x200 >= setupLen {
		return "", fmt.Errorf("%w: kernel_version pointer 0x%x outside the setup code", ErrNotBzImage, ptr)
	}
	buf := make([]byte, 256)
	n, err := r.ReadAt(buf, int64(ptr)+0x200)
	if n == 0 {
		return "", fmt.Errorf("%w: reading version string: %v", ErrNotBzImage, err)
	}
	s, _, ok := bytes.Cut(buf[:n], []byte{0})
	if !ok {
		return "", fmt.Errorf("%w: version string not terminated", ErrNotBzImage)
	}
	release, _, _ := strings.Cut(string(s), " ")
	if release == "" {
		return "", fmt.Errorf("%w: empty version string", ErrNotBzImage)
	}
	return release, nil
}
