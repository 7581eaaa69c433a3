package formats

import (
	"context"
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

// copySparse copies src to the start of dst, seeking over blocks of zeros
// so that dst has holes there, adds every byte read to h, and returns the
// size copied.
func copySparse(ctx context.Context, dst *os.File, src io.Reader, h hash.Hash) (int64, error) {
	buf := make([]byte, 1<<20)
	var off int64
	for {
		if err := ctx.Err(); err != nil {
			return off, err
		}
		n, err := io.ReadFull(src, buf)
		if n > 0 {
			h.Write(buf[:n])
			for i := 0; i < n; i += sparseBlock {
				b := buf[i:min(i+sparseBlock, n)]
				if !isZero(b) {
					if _, werr := dst.WriteAt(b, off+int64(i)); werr != nil {
						return off, werr
					}
				}
			}
			off += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return off, dst.Truncate(off)
		}
		if err != nil {
			return off, err
		}
	}
}
