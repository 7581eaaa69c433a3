package kernelcfg

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// The compressed kernel in a bzImage, as the x86 boot protocol (2.08+)
// describes it: payload_offset counts from the start of the protected-mode
// code, which follows the setup sectors.
const (
	offPayloadOffset = 0x248
	offPayloadLength = 0x24c
	minPayloadProto  = 0x0208
)

// maxVmlinux bounds how much decompressed kernel is searched: a distro's
// vmlinux is 50-60 MB; anything that inflates further is hostile. Tests
// lower it.
var maxVmlinux int64 = 512 << 20

// compression is one of the formats the kernel's build may compress
// vmlinux with (CONFIG_KERNEL_*), recognised by its magic.
type compression struct {
	name  string
	magic []byte
	// open returns the decompressed stream; nil when hyper has no reader
	// for the format.
	open func(io.Reader) (io.ReadCloser, error)
}

var compressions = []compression{
	{"gzip", []byte{0x1f, 0x8b}, func(r io.Reader) (io.ReadCloser, error) {
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		z.Multistream(false)
		return z, nil
	}},
	{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd}, func(r io.Reader) (io.ReadCloser, error) {
		// The kernel's zstd22 uses a window of up to 128 MiB (-22 --ultra).
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<27), zstd.WithDecoderMaxMemory(uint64(maxVmlinux)))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}},
	{"lz4", lz4LegacyMagic, func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(newLZ4Legacy(r)), nil }},
	{"bzip2", []byte("BZh"), func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(bzip2.NewReader(r)), nil }},
	// No reader in the standard library or in go.mod: the kernel's xz
	// also runs the x86 BCJ filter, which Go's xz packages lack.
	{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0}, nil},
	{"lzma", []byte{0x5d, 0, 0}, nil},
	{"lzo", []byte{0x89, 'L', 'Z', 'O'}, nil},
}

// errUnreadablePayload: the bzImage's kernel is compressed in a format
// hyper cannot decompress, so its embedded configuration is out of reach.
var errUnreadablePayload = errors.New("compressed in a format hyper cannot read")

// vmlinux returns the decompressed kernel of the bzImage r (of size
// bytes), at most maxVmlinux bytes of it, and the compression's name; hdr
// is its setup header. The caller closes the stream.
func vmlinux(r io.ReaderAt, size int64, hdr []byte) (io.ReadCloser, string, error) {
	le := binary.LittleEndian
	if le.Uint16(hdr[offVersion:]) < minPayloadProto {
		return nil, "", errors.New("its boot protocol (before 2.08) does not locate the compressed kernel")
	}
	start := (int64(hdr[offSetupSects]) + 1) * 512
	if hdr[offSetupSects] == 0 {
		start = 5 * 512 // the boot protocol's default of 4 setup sectors
	}
	start += int64(le.Uint32(hdr[offPayloadOffset:]))
	length := int64(le.Uint32(hdr[offPayloadLength:]))
	if length < 8 || start+length > size {
		return nil, "", fmt.Errorf("its compressed kernel (payload_offset, payload_length: %d bytes at %d) is not in the %d-byte file", length, start, size)
	}
	head := make([]byte, 8)
	if _, err := r.ReadAt(head, start); err != nil {
		return nil, "", fmt.Errorf("reading its compressed kernel: %w", err)
	}
	for _, c := range compressions {
		if !bytes.HasPrefix(head, c.magic) {
			continue
		}
		if c.open == nil {
			return nil, c.name, fmt.Errorf("it is %w (%s)", errUnreadablePayload, c.name)
		}
		if c.name != "gzip" {
			length -= 4 // the build appends the decompressed size (size_append)
		}
		z, err := c.open(io.NewSectionReader(r, start, length))
		if err != nil {
			return nil, c.name, fmt.Errorf("decompressing the %s payload: %w", c.name, err)
		}
		return limitedReadCloser{io.LimitReader(z, maxVmlinux), z}, c.name, nil
	}
	return nil, "", fmt.Errorf("it is %w (unknown magic %x)", errUnreadablePayload, head[:4])
}

type limitedReadCloser struct {
	io.Reader
	io.Closer
}
