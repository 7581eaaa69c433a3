package flatten

import (
	"errors"
	"hash"
	"io"
)

// readAhead reads r in large chunks on its own goroutine, hashing them
// there, so that reading and hashing a layer overlap with parsing it and
// writing the output. It holds at most three chunks.
type readAhead struct {
	ch   chan chunk
	free chan []byte
	stop chan struct{}
	cur  []byte
	buf  []byte // the chunk cur is in, to give back
	size int    // of a chunk
}

type chunk struct {
	b   []byte
	err error
}

const chunkSize = 1 << 20

// newReadAhead starts reading r, of size bytes; h, if not nil, sees every byte and may be
// read once Read has returned io.EOF.
func newReadAhead(r io.Reader, size int64, h hash.Hash) *readAhead {
	ra := &readAhead{ch: make(chan chunk, 2), free: make(chan []byte, 3), stop: make(chan struct{})}
	ra.size = int(min(chunkSize, max(size, 512)))
	for range 3 {
		ra.free <- make([]byte, ra.size)
	}
	go ra.run(r, h)
	return ra
}

func (ra *readAhead) run(r io.Reader, h hash.Hash) {
	defer close(ra.ch)
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.stop:
			return
		}
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if h != nil {
				h.Write(buf[:n])
			}
			select {
			case ra.ch <- chunk{b: buf[:n]}:
			case <-ra.stop:
				return
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return
		}
		if err != nil {
			select {
			case ra.ch <- chunk{err: err}:
			case <-ra.stop:
			}
			return
		}
	}
}

// next makes cur non-empty, or says why it cannot.
func (ra *readAhead) next() error {
	for len(ra.cur) == 0 {
		if ra.buf != nil {
			ra.free <- ra.buf[:ra.size]
			ra.buf = nil
		}
		c, ok := <-ra.ch
		if !ok {
			return io.EOF
		}
		if c.err != nil {
			return c.err
		}
		ra.cur, ra.buf = c.b, c.b
	}
	return nil
}

func (ra *readAhead) Read(p []byte) (int, error) {
	if err := ra.next(); err != nil {
		return 0, err
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// skip passes over n bytes; fewer is io.ErrUnexpectedEOF.
func (ra *readAhead) skip(n int64) error {
	if n < 0 {
		return errors.New("entries out of order")
	}
	for n > 0 {
		if err := ra.next(); err != nil {
			return noEOF(err)
		}
		k := min(n, int64(len(ra.cur)))
		ra.cur = ra.cur[k:]
		n -= k
	}
	return nil
}

// copyTo writes the next n bytes to w straight from the chunks.
func (ra *readAhead) copyTo(w io.Writer, n int64) (int64, error) {
	var done int64
	for done < n {
		if err := ra.next(); err != nil {
			return done, noEOF(err)
		}
		k := min(n-done, int64(len(ra.cur)))
		m, err := w.Write(ra.cur[:k])
		ra.cur = ra.cur[m:]
		done += int64(m)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Close stops the reading goroutine.
func (ra *readAhead) Close() {
	close(ra.stop)
}
