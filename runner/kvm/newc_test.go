package kvm_test

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// newcFile is one entry of an initramfs: a regular file from the host
// (Src), from bytes (Data), a directory, or a character device.
type newcFile struct {
	Src          string
	Data         []byte
	Mode         uint32 // permission bits
	Dir          bool
	Major, Minor uint32 // character device when Major > 0
}

// writeNewc writes files as a newc cpio archive (what the kernel unpacks
// into its rootfs), with the device numbers that cavaliergopher/cpio does
// not write. Names are sorted so parents come first.
func writeNewc(w io.Writer, files map[string]newcFile) error {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	ino := 1
	for _, name := range names {
		f := files[name]
		data := f.Data
		if f.Src != "" {
			b, err := os.ReadFile(f.Src)
			if err != nil {
				return err
			}
			data = b
		}
		mode := 0o100000 | f.Mode
		switch {
		case f.Dir:
			mode, data = 0o040000|0o755, nil
		case f.Major > 0:
			mode, data = 0o020000|0o600, nil
		}
		if err := newcEntry(w, name, ino, mode, f.Major, f.Minor, data); err != nil {
			return err
		}
		ino++
	}
	return newcEntry(w, "TRAILER!!!", 0, 0, 0, 0, nil)
}

func newcEntry(w io.Writer, name string, ino int, mode, major, minor uint32, data []byte) error {
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		ino, mode, 0, 0, 1, 0, len(data), 0, 0, major, minor, len(name)+1, 0)
	b := append([]byte(hdr), name...)
	b = append(b, 0)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	_, err := w.Write(b)
	return err
}
