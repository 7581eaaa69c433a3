package ext4

import "errors"

var (
	// ErrLabelTooLong: labels hold at most 16 bytes.
	ErrLabelTooLong = errors.New("label longer than 16 bytes")
	// ErrBadOption: an option value out of range.
	ErrBadOption = errors.New("invalid option")
	// ErrNameTooLong: a path component longer than 255 bytes.
	ErrNameTooLong = errors.New("name longer than 255 bytes")
	// ErrBadPath: an entry path that is empty, absolute after cleaning or
	// escapes the root with "..".
	ErrBadPath = errors.New("invalid path")
	// ErrUnsupported: a tar entry type ext4 cannot represent.
	ErrUnsupported = errors.New("unsupported tar entry type")
	// ErrDuplicate: a non-directory path given twice, or a type change.
	ErrDuplicate = errors.New("duplicate entry")
	// ErrLinkTarget: a hard link whose target is missing or a directory.
	ErrLinkTarget = errors.New("bad hard link target")
	// ErrNotDir: a path component that is not a directory.
	ErrNotDir = errors.New("parent is not a directory")
	// ErrSymlinkTooLong: a symlink target of 4096 bytes or more.
	ErrSymlinkTooLong = errors.New("symlink target too long")
	// ErrXattrTooLarge: extended attributes that fit neither in the inode
	// nor in one extra block.
	ErrXattrTooLarge = errors.New("extended attributes too large")
	// ErrTooLarge: the filesystem would exceed its maximum size.
	ErrTooLarge = errors.New("filesystem too large")
	// ErrTooManyInodes: more entries than ext4 can number.
	ErrTooManyInodes = errors.New("too many inodes")
	// ErrClosed: the writer was closed or failed earlier.
	ErrClosed = errors.New("writer closed")
)
