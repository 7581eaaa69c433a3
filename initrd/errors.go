package initrd

import "errors"

var (
	// ErrBadEntry is an entry the archive cannot hold (no name, an
	// unsupported type, data that does not match its size).
	ErrBadEntry = errors.New("invalid initramfs entry")
	// ErrDuplicate is a path given twice.
	ErrDuplicate = errors.New("duplicate initramfs entry")
	// ErrNotInitramfs is input that is not a (compressed) newc archive.
	ErrNotInitramfs = errors.New("not a newc initramfs")
	// ErrNotFound is a path List or ReadFile did not find.
	ErrNotFound = errors.New("not in the initramfs")
)
