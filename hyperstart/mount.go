package hyperstart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

var mountFlagNames = []flagName{
	{unix.MS_RDONLY, "ro"}, {unix.MS_NOSUID, "nosuid"}, {unix.MS_NODEV, "nodev"},
	{unix.MS_NOEXEC, "noexec"}, {unix.MS_BIND, "bind"}, {unix.MS_REC, "rec"},
	{unix.MS_REMOUNT, "remount"}, {unix.MS_PRIVATE, "private"}, {unix.MS_MOVE, "move"},
}

// Mount mounts a filesystem, creating Target first (a directory, or an
// empty file when File is set: bind mounts of single files).
type Mount struct {
	Source string
	Target string
	FSType string
	Flags  uintptr
	Data   string
	File   bool
}

func (m Mount) Do() error {
	if err := makeTarget(m.Target, m.File); err != nil {
		return err
	}
	if err := unix.Mount(m.Source, m.Target, m.FSType, m.Flags, m.Data); err != nil {
		return err
	}
	// The kernel ignores MS_RDONLY (and friends) on a new bind mount:
	// they take a second, remounting call.
	const bindFlags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	if m.Flags&unix.MS_BIND != 0 && m.Flags&bindFlags != 0 {
		f := unix.MS_BIND | unix.MS_REMOUNT | m.Flags&bindFlags
		if err := unix.Mount("", m.Target, "", f, ""); err != nil {
			return fmt.Errorf("remounting read-only: %w", err)
		}
	}
	return nil
}

func (m Mount) String() string {
	s := "mount "
	if m.Flags&unix.MS_BIND != 0 {
		s += "bind "
	}
	s += m.Source + " on " + m.Target
	if m.FSType != "" {
		s += " (" + m.FSType + ")"
	}
	opts := joinFlags(m.Flags&^unix.MS_BIND, mountFlagNames)
	if m.Data != "" {
		if opts != "" {
			opts += ","
		}
		opts += m.Data
	}
	if opts != "" {
		s += " " + opts
	}
	return s
}

// makeTarget creates a mount point. For a file target it replaces a
// dangling symlink (images often link /etc/resolv.conf somewhere absent).
func makeTarget(path string, file bool) error {
	if !file {
		return os.MkdirAll(path, 0o755)
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		os.Remove(path)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// MakePrivate stops mount events from propagating between this mount
// namespace and the one it was copied from.
type MakePrivate struct{}

func (MakePrivate) Do() error      { return unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "") }
func (MakePrivate) String() string { return "make / private (rec)" }

// RootOffRamfs moves this process's root off the initramfs, whose root
// mount has no parent and therefore cannot be pivot_root'ed away: it
// bind-mounts / (recursively) onto Dir, moves that mount over / and
// chroots into it; the new root has a parent. Only a fresh mount
// namespace should do this.
type RootOffRamfs struct{ Dir string }

func (r RootOffRamfs) Do() error {
	if err := os.MkdirAll(r.Dir, 0o700); err != nil {
		return err
	}
	if err := unix.Mount("/", r.Dir, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	if err := unix.Chdir(r.Dir); err != nil {
		return err
	}
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return err
	}
	if err := unix.Chroot("."); err != nil {
		return err
	}
	return unix.Chdir("/")
}

func (r RootOffRamfs) String() string {
	return "bind / on " + r.Dir + ", move it to / and chroot (root off the initramfs)"
}

// PivotRoot makes NewRoot the root, keeping the old one at PutOld (a path
// inside NewRoot, created here) so that later steps can still bind-mount
// from it; Detach (below) drops it.
type PivotRoot struct {
	NewRoot string
	PutOld  string
}

func (p PivotRoot) Do() error {
	if err := os.MkdirAll(filepath.Join(p.NewRoot, p.PutOld), 0o700); err != nil {
		return err
	}
	if err := unix.PivotRoot(p.NewRoot, filepath.Join(p.NewRoot, p.PutOld)); err != nil {
		return err
	}
	return unix.Chdir("/")
}
func (p PivotRoot) String() string { return "pivot_root to " + p.NewRoot + ", old root at " + p.PutOld }

// Detach lazily unmounts a tree and removes its (empty) mount point.
type Detach string

func (d Detach) Do() error {
	if err := unix.Unmount(string(d), unix.MNT_DETACH); err != nil {
		return err
	}
	if err := os.Remove(string(d)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
func (d Detach) String() string { return "detach " + string(d) }
