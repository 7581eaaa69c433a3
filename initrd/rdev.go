package initrd

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// newc header layout: magic "070701" then 13 eight-digit hex fields;
// rdevmajor and rdevminor are fields 10 and 11.
const (
	headerLen    = 110
	rdevMajorOff = 78
	rdevMinorOff = 86
)

var newcMagic = []byte("070701")

// rdevWriter sits between cpio.Writer and the output and writes a device
// node's numbers into the next header, which cpio.Writer leaves at zero.
// cpio.Writer writes each header with one Write call.
type rdevWriter struct {
	w            io.Writer
	pending      bool
	major, minor uint32
}

func (p *rdevWriter) expect(major, minor uint32) {
	p.pending, p.major, p.minor = true, major, minor
}

func (p *rdevWriter) Write(b []byte) (int, error) {
	if !p.pending || len(b) != headerLen || !bytes.HasPrefix(b, newcMagic) {
		return p.w.Write(b)
	}
	var h [headerLen]byte
	copy(h[:], b)
	copy(h[rdevMajorOff:], fmt.Sprintf("%08X", p.major))
	copy(h[rdevMinorOff:], fmt.Sprintf("%08X", p.minor))
	p.pending = false
	return p.w.Write(h[:])
}

// tailReader remembers the last bytes cpio.Reader consumed, so that after
// Next returns a header the raw header (and its rdev fields) can be found
// just before the current position.
type tailReader struct {
	r    io.Reader
	tail []byte
}

const tailKeep = headerLen + 4096 + 8

func (t *tailReader) Read(b []byte) (int, error) {
	n, err := t.r.Read(b)
	t.tail = append(t.tail, b[:n]...)
	if len(t.tail) > 4*tailKeep {
		t.tail = append(t.tail[:0], t.tail[len(t.tail)-tailKeep:]...)
	}
	return n, err
}

// rdev reads the rdev fields of the header that was followed by name (and,
// for a symlink, by its target, which cpio.Reader also consumes).
func (t *tailReader) rdev(name string, extra int) (major, minor uint32, err error) {
	n := headerLen + len(name) + 1
	n += (4 - n%4) % 4
	n += extra
	start := len(t.tail) - n
	if start < 0 || !bytes.HasPrefix(t.tail[start:], newcMagic[:5]) {
		return 0, 0, fmt.Errorf("%w: cannot locate the header of %q", ErrNotInitramfs, name)
	}
	h := t.tail[start : start+headerLen]
	ma, err1 := strconv.ParseUint(string(h[rdevMajorOff:rdevMajorOff+8]), 16, 32)
	mi, err2 := strconv.ParseUint(string(h[rdevMinorOff:rdevMinorOff+8]), 16, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%w: bad device numbers in the header of %q", ErrNotInitramfs, name)
	}
	return uint32(ma), uint32(mi), nil
}
