package kernelcfg

import (
	"bytes"
	"encoding/binary"
	"errors"
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

// FromFile accepts a bring-your-own bzImage after checking it can boot a
// pod: its setup header (boot flag, "HdrS" magic, boot protocol >= 2.12,
// a 64-bit entry point, the release from kernel_version), and its
// configuration, which must build in every option of BootFeatures (a
// module is missing: the initramfs has none). The configuration is the
// one the kernel embeds (CONFIG_IKCONFIG, found in the decompressed
// image), else config-RELEASE beside it, as distributions keep it in
// /boot. Without either, the kernel is accepted with a warning (see
// WithWarnings) that it is unchecked. Config and ConfigHash stay empty:
// they describe hyper's own builds.
func FromFile(path string, opts ...Option) (*Kernel, error) {
	o := &options{}
	for _, opt := range opts {
		opt(o)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading kernel %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading kernel %s: %w", path, err)
	}
	version, hdr, err := readBzImage(f)
	if err != nil {
		return nil, fmt.Errorf("reading kernel %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("reading kernel %s: %w", path, err)
	}
	cfg, from, err := kernelConfig(f, st.Size(), hdr, abs, version)
	if err != nil {
		if o.warn != nil {
			o.warn(fmt.Sprintf("kernel %s (%s) is unchecked: %v; hyper cannot tell whether it builds in what a pod needs (virtio-blk, ext4, overlayfs, ...), so the pod may not boot", path, version, err))
		}
		return &Kernel{Path: abs, Version: version}, nil
	}
	if missing := MissingForBoot(cfg); len(missing) > 0 {
		return nil, fmt.Errorf("%w (%s, configuration %s):\n  %s\nbuild them in (=y), or leave out --kernel and kernel { path } to use the hyperkernel", ErrMissingBuiltins, version, from, strings.Join(missing, "\n  "))
	}
	return &Kernel{Path: abs, Version: version}, nil
}

// kernelConfig finds a brought kernel's configuration: embedded in the
// bzImage r, else config-RELEASE beside path. from says which.
func kernelConfig(r io.ReaderAt, size int64, hdr []byte, path, release string) (cfg map[string]string, from string, err error) {
	cfg, embedErr := imageConfig(r, size, hdr)
	if embedErr == nil {
		return cfg, "embedded in it (CONFIG_IKCONFIG)", nil
	}
	side := filepath.Join(filepath.Dir(path), "config-"+release)
	sf, err := os.Open(side)
	if err != nil {
		return nil, "", fmt.Errorf("%v, and there is no %s beside it", embedErr, filepath.Base(side))
	}
	defer sf.Close()
	if cfg, err = ParseConfig(sf); err != nil {
		return nil, "", fmt.Errorf("%v, and %s: %w", embedErr, side, err)
	}
	return cfg, side, nil
}

// errNoIKConfig: the kernel embeds no configuration.
var errNoIKConfig = errors.New("it embeds no configuration (CONFIG_IKCONFIG is off)")

// imageConfig reads the configuration embedded in the bzImage r (of size
// bytes, with setup header hdr).
func imageConfig(r io.ReaderAt, size int64, hdr []byte) (map[string]string, error) {
	vm, kind, err := vmlinux(r, size, hdr)
	if err != nil {
		return nil, err
	}
	defer vm.Close()
	cfg, found, err := embeddedConfig(vm)
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading its %s-compressed image: %w", kind, err)
	case !found:
		return nil, errNoIKConfig
	}
	return cfg, nil
}

// readBzImage checks the setup header and returns the kernel release (the
// first word of the version string) and the header.
func readBzImage(r io.ReaderAt) (string, []byte, error) {
	hdr := make([]byte, headerLen)
	if _, err := r.ReadAt(hdr, 0); err != nil {
		return "", nil, fmt.Errorf("%w: reading setup header: %v", ErrNotBzImage, err)
	}
	le := binary.LittleEndian
	if le.Uint16(hdr[offBootFlag:]) != 0xaa55 {
		return "", nil, fmt.Errorf("%w: no boot flag 0xaa55", ErrNotBzImage)
	}
	if string(hdr[offHeaderMagic:offHeaderMagic+4]) != "HdrS" {
		return "", nil, fmt.Errorf("%w: no HdrS magic", ErrNotBzImage)
	}
	proto := le.Uint16(hdr[offVersion:])
	if proto < minProtocol {
		return "", nil, fmt.Errorf("%w: boot protocol %d.%02d, need 2.12 or later", ErrNotBzImage, proto>>8, proto&0xff)
	}
	if le.Uint16(hdr[offXLoadFlags:])&xlfKernel64 == 0 {
		return "", nil, fmt.Errorf("%w: no 64-bit entry point (a 32-bit kernel?)", ErrNotBzImage)
	}
	ptr := le.Uint16(hdr[offKernelVersion:])
	setupLen := (int64(hdr[offSetupSects]) + 1) * 512
	if ptr == 0 || int64(ptr)+0x200 >= setupLen {
		return "", nil, fmt.Errorf("%w: kernel_version pointer 0x%x outside the setup code", ErrNotBzImage, ptr)
	}
	buf := make([]byte, 256)
	n, err := r.ReadAt(buf, int64(ptr)+0x200)
	if n == 0 {
		return "", nil, fmt.Errorf("%w: reading version string: %v", ErrNotBzImage, err)
	}
	s, _, ok := bytes.Cut(buf[:n], []byte{0})
	if !ok {
		return "", nil, fmt.Errorf("%w: version string not terminated", ErrNotBzImage)
	}
	release, _, _ := strings.Cut(string(s), " ")
	if release == "" {
		return "", nil, fmt.Errorf("%w: empty version string", ErrNotBzImage)
	}
	return release, hdr, nil
}
