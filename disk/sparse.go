package disk

import (
	"bytes"
	"context"
	"fmt"
	"hash"
	"io"
)

const sparseChunk = 64 << 10

var zeroChunk = make([]byte, sparseChunk)

// copySparse copies r to w at off, hashing everything and writing only the
// 64 KiB chunks that are not all zeros (h may be nil): the destination is a fresh sparse
// file, so skipped chunks stay holes and read back as zeros.
func copySparse(ctx context.Context, w io.WriterAt, off int64, r io.Reader, h hash.Hash) (int64, error) {
	buf := make([]byte, 16*sparseChunk)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, rerr := io.ReadFull(r, buf)
		if h != nil {
			h.Write(buf[:m])
		}
		for i := 0; i < m; i += sparseChunk {
			c := buf[i:min(i+sparseChunk, m)]
			if bytes.Equal(c, zeroChunk[:len(c)]) {
				continue
			}
			if _, err := w.WriteAt(c, off+n+int64(i)); err != nil {
				return n, err
			}
		}
		n += int64(m)
		switch rerr {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return n, nil
		default:
			return n, fmt.Errorf("reading: %w", rerr)
		}
	}
}
