package sbom

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// lineReader reads a database line by line, each at most MaxLineBytes,
// counting lines for error messages.
type lineReader struct {
	br   *bufio.Reader
	name string
	n    int
	eof  bool
}

func newLineReader(r io.Reader, name string) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), name: name}
}

// next returns the next line without its "\n" (and "\r"); io.EOF after
// the last. The line is only valid until the next call.
func (l *lineReader) next() ([]byte, error) {
	if l.eof {
		return nil, io.EOF
	}
	var long []byte // a line longer than the reader's buffer
	for {
		b, err := l.br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if len(long)+len(b) > MaxLineBytes {
				return nil, fmt.Errorf("%w: %s:%d: a line longer than %d bytes", ErrTooLarge, l.name, l.n+1, MaxLineBytes)
			}
			long = append(long, b...)
			continue
		case errors.Is(err, io.EOF):
			l.eof = true
			if len(b) == 0 && len(long) == 0 {
				return nil, io.EOF
			}
		case err != nil:
			return nil, fmt.Errorf("reading %s: %w", l.name, err)
		}
		if long != nil {
			b = append(long, b...)
			if len(b) > MaxLineBytes+1 {
				return nil, fmt.Errorf("%w: %s:%d: a line longer than %d bytes", ErrTooLarge, l.name, l.n+1, MaxLineBytes)
			}
		}
		l.n++
		b = bytes.TrimSuffix(b, []byte("\n"))
		return bytes.TrimSuffix(b, []byte("\r")), nil
	}
}

// malformed is an ErrMalformed error at the current line.
func (l *lineReader) malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s:%d: %s", ErrMalformed, l.name, l.n, fmt.Sprintf(format, args...))
}

// clean makes a database value safe to carry into a document and to show:
// valid UTF-8, no control characters, surrounding blanks trimmed.
func clean(b []byte) string {
	b = bytes.TrimSpace(b)
	ok := true
	for _, c := range b {
		if c < 0x20 || c == 0x7f || c >= 0x80 {
			ok = false
			break
		}
	}
	if ok {
		return string(b)
	}
	s := bytes.ToValidUTF8(b, []byte("\uFFFD"))
	return string(bytes.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s))
}
