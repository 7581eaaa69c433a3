package artifact

import (
	"bytes"
	"context"
	"hash"
	"io"
	"os"
)

const sparseChunk = 64 << 10

var zeroChunk = make([]byte, sparseChunk)

// writeSparse copies r into the new file f, hashing everything into h (if
// not nil) and seeking over 64 KiB chunks of zeros, so that they stay
// holes; the caller truncates f to the returned length.
func writeSparse(ctx context.Context, f *os.File, r io.Reader, h hash.Hash) (int64, error) {
	buf := make([]byte, sparseChunk)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, rerr := io.ReadFull(r, buf)
		if m > 0 {
			if h != nil {
				h.Write(buf[:m])
			}
			if !bytes.Equal(buf[:m], zeroChunk[:m]) {
				if _, err := f.WriteAt(buf[:m], n); err != nil {
					return n, err
				}
			}
			n += int64(m)
		}
		switch rerr {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return n, nil
		default:
			return n, readError{rerr}
		}
	}
}

// readError is writeSparse's failure to read its input (a corrupt
// stream), told apart from a failure to write.
type readError struct{ err error }

func (e readError) Error() string { return "reading: " + e.err.Error() }
func (e readError) Unwrap() error { return e.err }
