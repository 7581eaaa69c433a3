package initrd

import (
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/cavaliergopher/cpio"
)

// Entry is one file, directory, device node or symlink in the archive.
// A regular file's data comes from Data or, when Source is set, from that
// host file, opened only while the entry is written.
type Entry struct {
	// Name is the path inside the initramfs; a leading "/" is optional.
	Name string
	// Mode holds the permission bits and the type: 0 (regular file),
	// os.ModeDir, os.ModeSymlink, os.ModeDevice (block),
	// os.ModeDevice|os.ModeCharDevice (char), os.ModeNamedPipe, os.ModeSocket.
	// os.ModeSetuid, os.ModeSetgid and os.ModeSticky are kept.
	Mode os.FileMode
	// Size is a regular file's length. Write fills it in from Data or
	// Source; List reports it.
	Size   int64
	Data   []byte
	Source string
	// Major and Minor are a device node's numbers.
	Major, Minor uint32
	// Linkname is a symlink's target.
	Linkname string
}

// Dir is a directory entry.
func Dir(name string, perm os.FileMode) Entry {
	return Entry{Name: name, Mode: os.ModeDir | perm}
}

// File is a regular file holding data.
func File(name string, perm os.FileMode, data []byte) Entry {
	return Entry{Name: name, Mode: perm, Data: data, Size: int64(len(data))}
}

// CharDev is a character device node.
func CharDev(name string, perm os.FileMode, major, minor uint32) Entry {
	return Entry{Name: name, Mode: os.ModeDevice | os.ModeCharDevice | perm, Major: major, Minor: minor}
}

// Symlink is a symbolic link to target.
func Symlink(name, target string) Entry {
	return Entry{Name: name, Mode: os.ModeSymlink | 0o777, Linkname: target}
}

// String is the entry as `ls -l` would show its type, mode and name.
func (e Entry) String() string {
	s := e.Mode.String() + " " + e.Name
	switch {
	case e.Mode&os.ModeDevice != 0:
		s += fmt.Sprintf(" %d,%d", e.Major, e.Minor)
	case e.Mode&os.ModeSymlink != 0:
		s += " -> " + e.Linkname
	case e.Mode.IsRegular():
		s += fmt.Sprintf(" (%d bytes)", e.Size)
	}
	return s
}

// cleanName turns "/a/b/" into "a/b" and rejects names that leave the root.
func cleanName(name string) (string, error) {
	n := strings.TrimPrefix(path.Clean("/"+name), "/")
	if n == "" || name == "" {
		return "", fmt.Errorf("%w: name %q", ErrBadEntry, name)
	}
	if len(n) >= 4096 {
		return "", fmt.Errorf("%w: name %.40q... is %d bytes, limit 4095", ErrBadEntry, n, len(n))
	}
	return n, nil
}

// cpioMode converts an os.FileMode to the header's mode word.
func cpioMode(m os.FileMode) (cpio.FileMode, error) {
	c := cpio.FileMode(m.Perm())
	if m&os.ModeSetuid != 0 {
		c |= cpio.ModeSetuid
	}
	if m&os.ModeSetgid != 0 {
		c |= cpio.ModeSetgid
	}
	if m&os.ModeSticky != 0 {
		c |= cpio.ModeSticky
	}
	switch t := m.Type(); t {
	case 0:
		c |= cpio.TypeReg
	case os.ModeDir:
		c |= cpio.TypeDir
	case os.ModeSymlink:
		c |= cpio.TypeSymlink
	case os.ModeDevice:
		c |= cpio.TypeBlock
	case os.ModeDevice | os.ModeCharDevice:
		c |= cpio.TypeChar
	case os.ModeNamedPipe:
		c |= cpio.TypeFifo
	case os.ModeSocket:
		c |= cpio.TypeSocket
	default:
		return 0, fmt.Errorf("%w: file type %v", ErrBadEntry, t)
	}
	return c, nil
}

// fileMode converts a header's mode word back.
func fileMode(c cpio.FileMode) os.FileMode {
	m := os.FileMode(c & cpio.ModePerm)
	if c&cpio.ModeSetuid != 0 {
		m |= os.ModeSetuid
	}
	if c&cpio.ModeSetgid != 0 {
		m |= os.ModeSetgid
	}
	if c&cpio.ModeSticky != 0 {
		m |= os.ModeSticky
	}
	switch c & cpio.ModeType {
	case cpio.TypeDir:
		m |= os.ModeDir
	case cpio.TypeSymlink:
		m |= os.ModeSymlink
	case cpio.TypeBlock:
		m |= os.ModeDevice
	case cpio.TypeChar:
		m |= os.ModeDevice | os.ModeCharDevice
	case cpio.TypeFifo:
		m |= os.ModeNamedPipe
	case cpio.TypeSocket:
		m |= os.ModeSocket
	}
	return m
}
