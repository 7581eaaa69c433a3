package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"unicode/utf8"
)

// MaxSourceSize is the largest pod file or variables file hyper reads: a
// pod file is a page of text, and anything bigger is a mistake (an image
// or an archive named by accident).
const MaxSourceSize = 1 << 20

// Errors of ReadSource, CheckSource and CheckNesting, checked with
// errors.Is.
var (
	ErrTooLarge = errors.New("larger than 1 MiB")
	ErrNotText  = errors.New("not a text file")
	ErrTooDeep  = errors.New("nested too deeply")
	ErrTooLong  = errors.New("expression too long")
)

// ReadSource reads the pod or variables file at path: a regular file of
// at most MaxSourceSize bytes of text. It reads at most one byte more
// than the limit, whatever the file's size.
func ReadSource(path string) ([]byte, error) {
	// O_NONBLOCK: opening a fifo must not wait for a writer; it has no
	// effect on a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: not a regular file", path, ErrNotText)
	}
	return readSource(path, f)
}

// ReadSourceFrom is ReadSource for a stream (standard input), named name
// in errors.
func ReadSourceFrom(name string, r io.Reader) ([]byte, error) { return readSource(name, r) }

func readSource(name string, r io.Reader) ([]byte, error) {
	src, err := io.ReadAll(io.LimitReader(r, MaxSourceSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if err := CheckSource(name, src); err != nil {
		return nil, err
	}
	return src, nil
}

// CheckSource refuses src when it is larger than MaxSourceSize or is not
// text: a NUL byte or invalid UTF-8.
func CheckSource(name string, src []byte) error {
	_, err := checkSource(name, src)
	return err
}

// checkSource is CheckSource that also says where the problem is: the
// offset of the first byte that is not text, else -1.
func checkSource(name string, src []byte) (int, error) {
	if len(src) > MaxSourceSize {
		return -1, fmt.Errorf("%s: %w: a pod file is text, at most %d bytes", name, ErrTooLarge, MaxSourceSize)
	}
	if bytes.IndexByte(src, 0) < 0 && utf8.Valid(src) {
		return -1, nil
	}
	off, why := bytes.IndexByte(src, 0), "a NUL byte"
	for i := 0; i < len(src) && (off < 0 || i < off); {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n == 1 {
			off, why = i, "a byte that is not UTF-8"
			break
		}
		i += n
	}
	line, col := lineCol(src, off)
	return off, fmt.Errorf("%s: %w (%s at line %d, column %d; a pod file is UTF-8 text)", name, ErrNotText, why, line, col)
}

// lineCol is the line and column of the byte at off; columns count
// characters.
func lineCol(src []byte, off int) (line, col int) {
	start := bytes.LastIndexByte(src[:off], '\n') + 1
	return 1 + bytes.Count(src[:off], []byte{'\n'}), 1 + utf8.RuneCount(src[start:off])
}
