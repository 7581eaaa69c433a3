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
		// Write each run of non-zero chunks with one call.
		run := -1
		for i := 0; ; {
			end := min(i+sparseChunk, m)
			zero := i == m || bytes.Equal(buf[i:end], zeroChunk[:end-i])
			if !zero && run < 0 {
				run = i
			}
			if zero && run >= 0 {
				if _, err := w.WriteAt(buf[run:i], off+n+int64(run)); err != nil {
					return n, err
				}
				run = -1
			}
			if i == m {
				break
			}
			i = end
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
