package flatten

import (
	"errors"
	"io"
)

// seeker reads an io.ReaderAt through a buffer and seeks without I/O, so
// that tar.Reader can skip file data while reading headers.
type seeker struct {
	r    io.ReaderAt
	size int64
	off  int64  // logical position
	buf  []byte // buf holds the bytes at [bufOff, bufOff+len(buf))
	mem  []byte
	bOff int64
}

func newSeeker(r io.ReaderAt, size int64) *seeker {
	return &seeker{r: r, size: size, mem: make([]byte, 64<<10)}
}

func (s *seeker) Read(p []byte) (int, error) {
	if s.off >= s.size {
		return 0, io.EOF
	}
	if end := s.bOff + int64(len(s.buf)); s.off < s.bOff || s.off >= end {
		// After a seek, read just enough for a header or two (a PAX
		// header, its records and the real header); reading on, read more.
		mem := s.mem
		if s.off != end {
			mem = mem[:4<<10]
		}
		n, err := s.r.ReadAt(mem, s.off)
		if n == 0 {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		s.buf, s.bOff = mem[:n], s.off
	}
	n := copy(p, s.buf[s.off-s.bOff:])
	s.off += int64(n)
	return n, nil
}

func (s *seeker) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += s.off
	case io.SeekEnd:
		offset += s.size
	default:
		return 0, errors.New("seek: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("seek: negative position")
	}
	s.off = offset
	return offset, nil
}
