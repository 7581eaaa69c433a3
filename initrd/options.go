package initrd

import (
	"fmt"
	"time"
)

// Compression is how the cpio archive is compressed; the hyperkernel can
// unpack gzip and zstd.
type Compression int

// The compressions.
const (
	Gzip Compression = iota
	Zstd
	None
)

func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	case None:
		return "none"
	}
	return fmt.Sprintf("Compression(%d)", int(c))
}

// ParseCompression reads "gzip", "zstd" or "none".
func ParseCompression(s string) (Compression, error) {
	for _, c := range []Compression{Gzip, Zstd, None} {
		if c.String() == s {
			return c, nil
		}
	}
	return 0, fmt.Errorf("initramfs compression %q: want gzip, zstd or none", s)
}

// Option configures Write.
type Option func(*options)

type options struct {
	compression Compression
	mtime       time.Time
	extra       []Entry
}

func makeOptions(opts []Option) options {
	o := options{compression: Gzip, mtime: time.Unix(0, 0)}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithCompression picks the compression (default Gzip).
func WithCompression(c Compression) Option {
	return func(o *options) { o.compression = c }
}

// WithMTime sets every entry's modification time (default the Unix epoch;
// pass SOURCE_DATE_EPOCH's time for reproducible builds that want one).
func WithMTime(t time.Time) Option {
	return func(o *options) { o.mtime = t }
}

// WithEntries adds entries to the archive; an entry may replace one of the
// defaults (the mount-point directories, /dev/null) but not /init or the
// contract.
func WithEntries(e ...Entry) Option {
	return func(o *options) { o.extra = append(o.extra, e...) }
}
