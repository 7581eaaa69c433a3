package initrd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cavaliergopher/cpio"
)

const trailerName = "TRAILER!!!"

func bytesReader(b []byte) io.Reader  { return bytes.NewReader(b) }
func stringReader(s string) io.Reader { return strings.NewReader(s) }

// List reads an initramfs (gzip, zstd or plain newc, detected from its
// first bytes) and returns its entries in archive order, without data.
func List(r io.Reader) ([]Entry, error) {
	var out []Entry
	err := walk(r, func(e Entry, _ io.Reader) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// ReadFile returns the data of the regular file name (leading "/"
// optional) in an initramfs.
func ReadFile(r io.Reader, name string) ([]byte, error) {
	want, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	var data []byte
	errFound := errors.New("found")
	err = walk(r, func(e Entry, body io.Reader) error {
		if e.Name != want || !e.Mode.IsRegular() {
			return nil
		}
		var rerr error
		data, rerr = io.ReadAll(body)
		if rerr != nil {
			return rerr
		}
		return errFound
	})
	if errors.Is(err, errFound) {
		return data, nil
	}
	if err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
}

func walk(r io.Reader, fn func(Entry, io.Reader) error) error {
	dr, done, err := decompressor(r)
	if err != nil {
		return err
	}
	defer done()
	tr := &tailReader{r: dr}
	cr := cpio.NewReader(tr)
	for {
		h, err := cr.Next()
		if err == io.EOF {
			// cpio.Reader says EOF both at the trailer and when the
			// input simply stops; only the first is a whole archive.
			if !bytes.Contains(tr.tail, []byte(trailerName+"\x00")) {
				return fmt.Errorf("%w: truncated (no %s entry)", ErrNotInitramfs, trailerName)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrNotInitramfs, err)
		}
		e := Entry{Name: h.Name, Mode: fileMode(h.Mode), Size: h.Size, Linkname: h.Linkname}
		if e.Mode&os.ModeDevice != 0 {
			if e.Major, e.Minor, err = tr.rdev(h.Name, 0); err != nil {
				return err
			}
		}
		if err := fn(e, cr); err != nil {
			return err
		}
	}
}
