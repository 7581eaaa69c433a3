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

// Errors of ReadSource and CheckSource, checked with errors.Is.
var (
	ErrTooLarge = errors.New("larger than 1 MiB")
	ErrNotText  = errors.New("not a text file")
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
	if len(src) > MaxSourceSize {
		return fmt.Errorf("%s: %w: a pod file is text, at most %d bytes", name, ErrTooLarge, MaxSourceSize)
	}
	if bytes.IndexByte(src, 0) >= 0 || !utf8.Valid(src) {
		return fmt.Errorf("%s: %w (it holds NUL bytes or invalid UTF-8)", name, ErrNotText)
	}
	return nil
}
