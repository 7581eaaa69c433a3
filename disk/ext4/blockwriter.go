package ext4

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
)

// appender writes whole blocks at consecutive block numbers, coalescing them
// into large WriteAt calls, and hashes everything it writes (the hash gives
// the default UUID).
type appender struct {
	dst   io.WriterAt
	next  uint64 // next block to allocate
	limit uint64 // first block that may not be allocated
	buf   []byte // pending blocks, starting at block start
	start uint64
	sum   hash.Hash
	end   uint64 // end of the highest block written
	err   error
}

const appendBuf = 1 << 20

func newAppender(dst io.WriterAt, first, limit uint64) *appender {
	return &appender{
		dst: dst, next: first, start: first, limit: limit,
		buf: make([]byte, 0, appendBuf), sum: sha256.New(),
	}
}

// check fails when n more blocks would pass the size limit.
func (a *appender) check(n uint64) error {
	if a.err != nil {
		return a.err
	}
	if a.next+n > a.limit {
		a.err = fmt.Errorf("allocating %d blocks at block %d: %w (raise WithMaxSize)", n, a.next, ErrTooLarge)
	}
	return a.err
}

// append writes b (a multiple of blockSize) at the next free block and
// returns that block number.
func (a *appender) append(b []byte) (uint64, error) {
	n := uint64(len(b) / blockSize)
	if err := a.check(n); err != nil {
		return 0, err
	}
	blk := a.next
	a.sum.Write(b)
	if len(a.buf)+len(b) > cap(a.buf) {
		if err := a.flush(); err != nil {
			return 0, err
		}
		if len(b) >= cap(a.buf) {
			a.next += n
			a.start = a.next
			return blk, a.writeAt(b, blk)
		}
	}
	a.buf = append(a.buf, b...)
	a.next += n
	return blk, nil
}

// skip allocates n blocks without writing them.
func (a *appender) skip(n uint64) error {
	if err := a.check(n); err != nil {
		return err
	}
	if err := a.flush(); err != nil {
		return err
	}
	a.next += n
	a.start = a.next
	return nil
}

func (a *appender) flush() error {
	if a.err != nil {
		return a.err
	}
	if len(a.buf) > 0 {
		if err := a.writeAt(a.buf, a.start); err != nil {
			return err
		}
	}
	a.buf = a.buf[:0]
	a.start = a.next
	return nil
}

func (a *appender) writeAt(b []byte, blk uint64) error {
	if _, err := a.dst.WriteAt(b, int64(blk)*blockSize); err != nil {
		a.err = fmt.Errorf("writing image at block %d: %w", blk, err)
		return a.err
	}
	a.end = max(a.end, blk+uint64(len(b)/blockSize))
	return nil
}
