package formats

import (
	"context"
	"encoding/binary"
	"hash"
	"io"
	"os"
)

// sparseBlock is the unit of zero detection: a block of zeros is not
// written (copySparse) or stored (the gce tar).
const sparseBlock = 4096

// isZero reports whether b holds only zeros.
func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// copySparse copies src to the start of dst, leaving holes for blocks of
// zeros and skipping src's own holes, and returns the size copied. h gets
// the content, by which it is the same whatever holes src has: each
// block that is not zeros, with its offset, then the size.
func copySparse(ctx context.Context, dst, src *os.File, h hash.Hash) (int64, error) {
	fi, err := src.Stat()
	if err != nil {
		return 0, err
	}
	size := fi.Size()
	buf := make([]byte, 1<<20)
	var off [8]byte
	for pos := int64(0); pos < size; {
		start, end := nextData(src, pos, size)
		for at := start; at < end; at += int64(len(buf)) {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			n, err := src.ReadAt(buf[:min(int64(len(buf)), end-at)], at)
			if err != nil && err != io.EOF {
				return 0, err
			}
			for i := 0; i < n; i += sparseBlock {
				b := buf[i:min(i+sparseBlock, n)]
				if isZero(b) {
					continue
				}
				binary.BigEndian.PutUint64(off[:], uint64(at)+uint64(i))
				h.Write(off[:])
				h.Write(b)
				if _, err := dst.WriteAt(b, at+int64(i)); err != nil {
					return 0, err
				}
			}
		}
		pos = max(end, pos+1)
	}
	binary.BigEndian.PutUint64(off[:], uint64(size))
	h.Write(off[:])
	return size, dst.Truncate(size)
}
