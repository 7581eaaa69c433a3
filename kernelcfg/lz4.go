package kernelcfg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The kernel compresses with `lz4 -l`: LZ4's legacy frame, a magic number
// and then blocks, each a 4-byte little-endian compressed size and an
// independent LZ4 block of at most 8 MiB decompressed. Go's standard
// library has no LZ4 and go.mod no LZ4 package; the legacy format and the
// block format (lz4's doc/lz4_Block_format.md) are small enough to read
// here, with every length checked.
var lz4LegacyMagic = []byte{0x02, 0x21, 0x4c, 0x18}

const (
	lz4LegacyBlock = 8 << 20                                  // decompressed
	lz4MaxInput    = lz4LegacyBlock + lz4LegacyBlock/255 + 16 // LZ4_compressBound
)

var errLZ4 = errors.New("corrupt lz4 data")

// lz4Legacy decompresses a legacy frame (or several, back to back).
type lz4Legacy struct {
	r       io.Reader
	in, out []byte
	pos     int
	started bool
	err     error
}

func newLZ4Legacy(r io.Reader) *lz4Legacy { return &lz4Legacy{r: r} }

func (z *lz4Legacy) Read(p []byte) (int, error) {
	for z.pos == len(z.out) {
		if z.err != nil {
			return 0, z.err
		}
		z.err = z.next()
	}
	n := copy(p, z.out[z.pos:])
	z.pos += n
	return n, nil
}

// next decompresses the next block into z.out.
func (z *lz4Legacy) next() error {
	var size [4]byte
	if !z.started {
		if _, err := io.ReadFull(z.r, size[:]); err != nil {
			return fmt.Errorf("%w: no magic number: %v", errLZ4, err)
		}
		if binary.LittleEndian.Uint32(size[:]) != binary.LittleEndian.Uint32(lz4LegacyMagic) {
			return fmt.Errorf("%w: not a legacy frame", errLZ4)
		}
		z.started = true
	}
	for {
		if _, err := io.ReadFull(z.r, size[:]); err == io.EOF {
			return io.EOF
		} else if err != nil {
			return fmt.Errorf("%w: block size: %v", errLZ4, err)
		}
		n := binary.LittleEndian.Uint32(size[:])
		if n == binary.LittleEndian.Uint32(lz4LegacyMagic) {
			continue // another frame follows
		}
		if n == 0 || n > lz4MaxInput {
			return fmt.Errorf("%w: a block of %d bytes", errLZ4, n)
		}
		if cap(z.in) < int(n) {
			z.in = make([]byte, n)
		}
		z.in = z.in[:n]
		if _, err := io.ReadFull(z.r, z.in); err != nil {
			return fmt.Errorf("%w: block: %v", errLZ4, err)
		}
		out, err := lz4Block(z.out[:0], z.in, lz4LegacyBlock)
		if err != nil {
			return err
		}
		z.out, z.pos = out, 0
		return nil
	}
}

// lz4Block appends the decompression of one LZ4 block to dst, which may
// grow to at most max bytes.
func lz4Block(dst, src []byte, max int) ([]byte, error) {
	base := len(dst)
	i := 0
	length := func(n int) (int, error) { // the 255-continued extension of a 15
		for {
			if i >= len(src) {
				return 0, fmt.Errorf("%w: truncated length", errLZ4)
			}
			b := src[i]
			i++
			n += int(b)
			if n > max {
				return 0, fmt.Errorf("%w: a length past %d bytes", errLZ4, max)
			}
			if b != 255 {
				return n, nil
			}
		}
	}
	for {
		if i >= len(src) {
			return nil, fmt.Errorf("%w: truncated block", errLZ4)
		}
		token := src[i]
		i++
		lit := int(token >> 4)
		if lit == 15 {
			var err error
			if lit, err = length(lit); err != nil {
				return nil, err
			}
		}
		if lit > len(src)-i || len(dst)-base+lit > max {
			return nil, fmt.Errorf("%w: %d literals past the block's end", errLZ4, lit)
		}
		dst = append(dst, src[i:i+lit]...)
		i += lit
		if i == len(src) {
			return dst, nil // the last sequence has literals only
		}
		if len(src)-i < 2 {
			return nil, fmt.Errorf("%w: truncated match offset", errLZ4)
		}
		off := int(binary.LittleEndian.Uint16(src[i:]))
		i += 2
		if off == 0 || off > len(dst)-base {
			return nil, fmt.Errorf("%w: match offset %d before the block's start", errLZ4, off)
		}
		match := int(token & 15)
		if match == 15 {
			var err error
			if match, err = length(match); err != nil {
				return nil, err
			}
		}
		match += 4
		if len(dst)-base+match > max {
			return nil, fmt.Errorf("%w: a match past %d bytes", errLZ4, max)
		}
		// The source may overlap what is being written: it repeats with
		// period off, so copying from the same start in chunks of whole
		// periods (which double) writes it right.
		from := len(dst) - off
		for done := 0; done < match; {
			n := min(match-done, len(dst)-from)
			dst = append(dst, dst[from:from+n]...)
			done += n
		}
	}
}
