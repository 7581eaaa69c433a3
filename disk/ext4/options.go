package ext4

import (
	"fmt"
	"time"
)

// Option configures a Writer.
type Option func(*options) error

type options struct {
	label     string
	freeBytes int64
	uuid      *[16]byte
	readOnly  bool
	maxSize   int64
	time      time.Time
	// size is the exact image size in bytes (WithSize); 0: as small as
	// the content and freeBytes allow.
	size          int64
	journalBlocks int
}

const (
	defaultFreeBytes = 1 << 20
	defaultMaxSize   = 512 << 30 // 32 reserved descriptor blocks
)

func makeOptions(opts ...Option) (options, error) {
	o := options{
		freeBytes: defaultFreeBytes,
		maxSize:   defaultMaxSize,
		time:      time.Unix(0, 0),
	}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

// WithLabel sets the volume label (at most 16 bytes).
func WithLabel(label string) Option {
	return func(o *options) error {
		if len(label) > 16 {
			return fmt.Errorf("label %q: %w", label, ErrLabelTooLong)
		}
		o.label = label
		return nil
	}
}

// WithFreeSpace adds free space (bytes) beyond the content, plus one free
// inode per 16 KiB of it. The default is 1 MiB.
func WithFreeSpace(bytes int64) Option {
	return func(o *options) error {
		if bytes < 0 {
			return fmt.Errorf("free space %d: %w", bytes, ErrBadOption)
		}
		o.freeBytes = bytes
		return nil
	}
}

// WithUUID sets the filesystem UUID. By default it is derived from the
// image content, so the same input gives the same image.
func WithUUID(u [16]byte) Option {
	return func(o *options) error {
		o.uuid = &u
		return nil
	}
}

// WithReadOnlyFlag sets the read-only compatible feature: the kernel then
// refuses to mount the filesystem read-write.
func WithReadOnlyFlag(ro bool) Option {
	return func(o *options) error {
		o.readOnly = ro
		return nil
	}
}

// WithMaxSize bounds the filesystem size the writer can grow to (default
// 512 GiB). Space for the group descriptors is reserved up front for it.
func WithMaxSize(bytes int64) Option {
	return func(o *options) error {
		if bytes < 16<<20 || bytes > maxBlocks*blockSize {
			return fmt.Errorf("max size %d: %w", bytes, ErrBadOption)
		}
		o.maxSize = bytes
		return nil
	}
}

// WithTime sets the timestamps of what the tar does not describe: the root
// directory (until a tar entry names it), lost+found, implicitly created
// parent directories and the superblock. Default: the Unix epoch.
func WithTime(t time.Time) Option {
	return func(o *options) error {
		o.time = t
		return nil
	}
}

// WithSize makes the image exactly bytes long (a whole number of blocks,
// at least 16 MiB): the free space is what the content and the metadata
// leave, with one inode per 16 KiB of it, as mke2fs gives. It replaces
// WithFreeSpace, and raises the maximum size to bytes when it is lower.
// Content that does not fit fails Close with ErrTooLarge.
func WithSize(bytes int64) Option {
	return func(o *options) error {
		if bytes < 16<<20 || bytes%blockSize != 0 || bytes > maxBlocks*blockSize {
			return fmt.Errorf("size %d: want a whole number of %d-byte blocks from 16 MiB: %w", bytes, blockSize, ErrBadOption)
		}
		o.size = bytes
		o.maxSize = max(o.maxSize, bytes)
		return nil
	}
}
