package virtio

import (
	"os"
	"strconv"

	"github.com/hugelgupf/p9/linux"
	"github.com/hugelgupf/p9/p9"
	"golang.org/x/sys/unix"
)

// What a guest changes in a share: every entry is named by a directory
// descriptor opened beneath the root and one checked name, and no call
// here follows a link.

// dir opens the file, which must be a directory, as O_PATH.
func (f *shareFile) dir() (int, error) {
	return f.openPath(unix.O_DIRECTORY)
}

// owner gives the new entry name in dir the guest's owner, where the
// host user may; otherwise it stays the host user's (see ShareFS).
func owner(dir int, name string, uid p9.UID, gid p9.GID) {
	u, g := -1, -1
	if uid.Ok() {
		u = int(uid)
	}
	if gid.Ok() {
		g = int(gid)
	}
	if u >= 0 || g >= 0 {
		unix.Fchownat(dir, name, u, g, unix.AT_SYMLINK_NOFOLLOW)
	}
}

func lstatAt(dir int, name string) (p9.QID, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return p9.QID{}, errno(err)
	}
	return qidOf(&st), nil
}

// Create implements p9.File: a new regular file, opened.
func (f *shareFile) Create(name string, mode p9.OpenFlags, perm p9.FileMode, uid p9.UID, gid p9.GID) (p9.File, p9.QID, uint32, error) {
	if err := f.changeable(name); err != nil {
		return nil, p9.QID{}, 0, err
	}
	dir, err := f.dir()
	if err != nil {
		return nil, p9.QID{}, 0, err
	}
	defer unix.Close(dir)
	fd, err := openat2(dir, name, openFlags(mode)|unix.O_CREAT|unix.O_EXCL, uint32(perm.Permissions()))
	if err != nil {
		return nil, p9.QID{}, 0, errno(err)
	}
	owner(dir, name, uid, gid)
	file := os.NewFile(uintptr(fd), name)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		file.Close()
		return nil, p9.QID{}, 0, errno(err)
	}
	return &shareFile{fs: f.fs, rel: f.path(name), file: file}, qidOf(&st), 0, nil
}

// changeable checks that the share may change and that name is one
// entry.
func (f *shareFile) changeable(name string) error {
	if err := f.writable(); err != nil {
		return err
	}
	return safeName(name)
}

// Mkdir implements p9.File.
func (f *shareFile) Mkdir(name string, perm p9.FileMode, uid p9.UID, gid p9.GID) (p9.QID, error) {
	if err := f.changeable(name); err != nil {
		return p9.QID{}, err
	}
	dir, err := f.dir()
	if err != nil {
		return p9.QID{}, err
	}
	defer unix.Close(dir)
	if err := unix.Mkdirat(dir, name, uint32(perm.Permissions())); err != nil {
		return p9.QID{}, errno(err)
	}
	owner(dir, name, uid, gid)
	return lstatAt(dir, name)
}

// Symlink implements p9.File. The target is only text: the server never
// follows it, the guest does.
func (f *shareFile) Symlink(target, name string, uid p9.UID, gid p9.GID) (p9.QID, error) {
	if err := f.changeable(name); err != nil {
		return p9.QID{}, err
	}
	dir, err := f.dir()
	if err != nil {
		return p9.QID{}, err
	}
	defer unix.Close(dir)
	if err := unix.Symlinkat(target, dir, name); err != nil {
		return p9.QID{}, errno(err)
	}
	owner(dir, name, uid, gid)
	return lstatAt(dir, name)
}

// Link implements p9.File: a hard link to target, itself in the share.
func (f *shareFile) Link(target p9.File, name string) error {
	if err := f.changeable(name); err != nil {
		return err
	}
	t, ok := target.(*shareFile)
	if !ok || t.fs != f.fs {
		return linux.EXDEV
	}
	tdir, tname, err := t.parent()
	if err != nil {
		return err
	}
	defer unix.Close(tdir)
	dir, err := f.dir()
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	return errno(unix.Linkat(tdir, tname, dir, name, 0))
}

// Mknod implements p9.File. Only regular files are made: a device node
// would reach the host's device, a FIFO could block the server.
func (f *shareFile) Mknod(name string, mode p9.FileMode, _, _ uint32, uid p9.UID, gid p9.GID) (p9.QID, error) {
	if err := f.changeable(name); err != nil {
		return p9.QID{}, err
	}
	if !mode.IsRegular() {
		return p9.QID{}, linux.EPERM
	}
	dir, err := f.dir()
	if err != nil {
		return p9.QID{}, err
	}
	defer unix.Close(dir)
	fd, err := openat2(dir, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, uint32(mode.Permissions()))
	if err != nil {
		return p9.QID{}, errno(err)
	}
	unix.Close(fd)
	owner(dir, name, uid, gid)
	return lstatAt(dir, name)
}

// Rename implements p9.File: the file moves to newDir/newName.
func (f *shareFile) Rename(newDir p9.File, newName string) error {
	if err := f.changeable(newName); err != nil {
		return err
	}
	dir, name, err := f.parent()
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	return f.renameTo(dir, name, newDir, newName)
}

// RenameAt implements p9.File: the entry oldName of this directory
// moves to newDir/newName.
func (f *shareFile) RenameAt(oldName string, newDir p9.File, newName string) error {
	if err := f.changeable(oldName); err != nil {
		return err
	}
	if err := safeName(newName); err != nil {
		return err
	}
	dir, err := f.dir()
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	return f.renameTo(dir, oldName, newDir, newName)
}

func (f *shareFile) renameTo(dir int, name string, newDir p9.File, newName string) error {
	nd, ok := newDir.(*shareFile)
	if !ok || nd.fs != f.fs {
		return linux.EXDEV
	}
	to, err := nd.dir()
	if err != nil {
		return err
	}
	defer unix.Close(to)
	return errno(unix.Renameat(dir, name, to, newName))
}

// UnlinkAt implements p9.File.
func (f *shareFile) UnlinkAt(name string, flags uint32) error {
	if err := f.changeable(name); err != nil {
		return err
	}
	dir, err := f.dir()
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	return errno(unix.Unlinkat(dir, name, int(flags)&unix.AT_REMOVEDIR))
}

// SetAttr implements p9.File: mode, owner, size and times.
func (f *shareFile) SetAttr(valid p9.SetAttrMask, attr p9.SetAttr) error {
	if valid.Empty() {
		return nil
	}
	if err := f.writable(); err != nil {
		return err
	}
	if valid.Size {
		if err := f.truncate(attr.Size); err != nil {
			return err
		}
	}
	if valid.Permissions {
		fd, _, err := f.checked()
		if err != nil {
			return err
		}
		err = unix.Chmod("/proc/self/fd/"+strconv.Itoa(fd), uint32(attr.Permissions.Permissions()))
		unix.Close(fd)
		if err != nil {
			return errno(err)
		}
	}
	if valid.UID || valid.GID || valid.ATime || valid.MTime {
		return f.setOwnerTimes(valid, attr)
	}
	return nil
}

func (f *shareFile) truncate(size uint64) error {
	fd, st, err := f.checked()
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return linux.EINVAL
	}
	w, err := reopen(fd, unix.O_WRONLY)
	if err != nil {
		return err
	}
	defer w.Close()
	return errno(w.Truncate(int64(size)))
}

func (f *shareFile) setOwnerTimes(valid p9.SetAttrMask, attr p9.SetAttr) error {
	var dir int
	var name string
	var err error
	if f.rel == "" {
		dir, err = f.openPath(unix.O_DIRECTORY)
		name = "."
	} else {
		dir, name, err = f.parent()
	}
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	if valid.UID || valid.GID {
		uid, gid := -1, -1
		if valid.UID {
			uid = int(attr.UID)
		}
		if valid.GID {
			gid = int(attr.GID)
		}
		if err := unix.Fchownat(dir, name, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil && err != unix.EPERM {
			return errno(err)
		}
	}
	if !valid.ATime && !valid.MTime {
		return nil
	}
	ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Nsec: unix.UTIME_OMIT}}
	if valid.ATime {
		ts[0] = timespec(valid.ATimeNotSystemTime, attr.ATimeSeconds, attr.ATimeNanoSeconds)
	}
	if valid.MTime {
		ts[1] = timespec(valid.MTimeNotSystemTime, attr.MTimeSeconds, attr.MTimeNanoSeconds)
	}
	return errno(unix.UtimesNanoAt(dir, name, ts, unix.AT_SYMLINK_NOFOLLOW))
}

// timespec is the time the guest gave, or now when it asked for the
// server's clock.
func timespec(given bool, sec, nsec uint64) unix.Timespec {
	if !given {
		return unix.Timespec{Nsec: unix.UTIME_NOW}
	}
	return unix.Timespec{Sec: int64(sec), Nsec: int64(nsec)}
}
