package virtio

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/hugelgupf/p9/fsimpl/templatefs"
	"github.com/hugelgupf/p9/linux"
	"github.com/hugelgupf/p9/p9"
	"golang.org/x/sys/unix"
)

// ShareFS is a host directory served over 9P2000.L, confined to it.
//
// Every file the guest names is reached from the share's root with
// openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), one component at a
// time as the guest walks, so neither "..", nor a symbolic link (the
// guest resolves links itself, through readlink), nor a magic link in
// /proc leads out of it. An operation on an entry itself goes through
// its parent's descriptor and the entry's name with the *at calls that
// do not follow links; only a file already opened as O_PATH and checked
// to be a regular file or a directory is reopened (through
// /proc/self/fd) to read, write or change its mode. Device nodes,
// FIFOs and sockets in the share are listed but cannot be opened or
// made: opening one would reach the host's device, or block the server.
//
// Ownership: the server runs as the user running the VMM, so what the
// guest creates belongs to that user on the host, and the guest sees
// the host's uids and gids as they are. An ownership change the host
// user may not make is ignored, as QEMU's security_model=none does.
type ShareFS struct {
	readOnly bool

	// mu keeps root open while a request resolves below it: a closed
	// descriptor's number, reused by another open, must never become a
	// request's starting point.
	mu   sync.RWMutex
	root int // O_PATH | O_DIRECTORY; -1 once closed
}

// ErrShare is a host directory that cannot be shared.
var ErrShare = errors.New("cannot share the directory")

// OpenShare opens dir, which must be a directory, for sharing.
func OpenShare(dir string, readOnly bool) (*ShareFS, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrShare, dir, err)
	}
	// openat2 is the confinement: refuse to share without it.
	probe, err := openat2(fd, ".", unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%w %s: openat2 (Linux 5.6 and later) is needed to confine the share: %w", ErrShare, dir, err)
	}
	// Opening a checked O_PATH descriptor for I/O goes through /proc.
	reopened, err := reopen(probe, unix.O_RDONLY|unix.O_DIRECTORY)
	unix.Close(probe)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%w %s: reopening through /proc/self/fd (is /proc mounted?): %w", ErrShare, dir, err)
	}
	reopened.Close()
	return &ShareFS{root: fd, readOnly: readOnly}, nil
}

// Close releases the share's root once no request is using it; later
// requests fail with EBADF.
func (s *ShareFS) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.root < 0 {
		return nil
	}
	err := unix.Close(s.root)
	s.root = -1
	return err
}

// at runs fn with the root's descriptor, held open meanwhile.
func (s *ShareFS) at(fn func(root int) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.root < 0 {
		return linux.EBADF
	}
	return fn(s.root)
}

// Attach implements p9.Attacher.
func (s *ShareFS) Attach() (p9.File, error) { return &shareFile{fs: s}, nil }

var (
	_ p9.Attacher = (*ShareFS)(nil)
	_ p9.File     = (*shareFile)(nil)
)

const resolveConfined = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// openat2 opens name under dirfd without following any link and
// without leaving dirfd's tree.
func openat2(dirfd int, name string, flags int, mode uint32) (int, error) {
	how := unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC | unix.O_NOFOLLOW),
		Mode:    uint64(mode),
		Resolve: resolveConfined,
	}
	for {
		fd, err := unix.Openat2(dirfd, name, &how)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// shareFile is one fid: a path below the share's root ("" is the root)
// and, once opened, the open file.
type shareFile struct {
	templatefs.XattrUnimplemented
	p9.DefaultWalkGetAttr

	fs   *ShareFS
	rel  string
	file *os.File

	// dirMu serialises Readdir on this fid (a guest may send two at
	// once); dirPos is how many entries of the opened directory it has
	// returned, so that reading on from there needs no rewind.
	dirMu  sync.Mutex
	dirPos uint64
}

// safeName refuses a name that is not one entry of a directory. The
// server checks too; the file system does not depend on it.
func safeName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return linux.EINVAL
	}
	return nil
}

// errno turns a system call's error into the errno the guest gets.
func errno(err error) error {
	var e unix.Errno
	if errors.As(err, &e) {
		return linux.Errno(e)
	}
	return err
}

func (f *shareFile) path(name string) string {
	if f.rel == "" {
		return name
	}
	return f.rel + "/" + name
}

// openPath opens the file itself as O_PATH (a symbolic link stays a
// link).
func (f *shareFile) openPath(extra int) (int, error) {
	name := f.rel
	if name == "" {
		name = "."
	}
	fd := -1
	err := f.fs.at(func(root int) (err error) {
		fd, err = openat2(root, name, unix.O_PATH|extra, 0)
		return errno(err)
	})
	return fd, err
}

// parent opens the directory holding the file and returns its name
// there. The root has no parent in the share.
func (f *shareFile) parent() (int, string, error) {
	if f.rel == "" {
		return -1, "", linux.EINVAL
	}
	dir, name := path.Split(f.rel)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	fd := -1
	err := f.fs.at(func(root int) (err error) {
		fd, err = openat2(root, dir, unix.O_PATH|unix.O_DIRECTORY, 0)
		return errno(err)
	})
	return fd, name, err
}

func (f *shareFile) writable() error {
	if f.fs.readOnly {
		return linux.EROFS
	}
	return nil
}

func qidOf(st *unix.Stat_t) p9.QID {
	return p9.QID{
		Type:    p9.FileMode(st.Mode).QIDType(),
		Version: uint32(st.Mtim.Nano()),
		// The device in the top bits: a share may span mount points.
		Path: st.Ino ^ st.Dev<<48,
	}
}

func attrOf(st *unix.Stat_t) p9.Attr {
	return p9.Attr{
		Mode: p9.FileMode(st.Mode), UID: p9.UID(st.Uid), GID: p9.GID(st.Gid),
		NLink: p9.NLink(st.Nlink), RDev: p9.Dev(st.Rdev), Size: uint64(st.Size),
		BlockSize: uint64(st.Blksize), Blocks: uint64(st.Blocks),
		ATimeSeconds: uint64(st.Atim.Sec), ATimeNanoSeconds: uint64(st.Atim.Nsec),
		MTimeSeconds: uint64(st.Mtim.Sec), MTimeNanoSeconds: uint64(st.Mtim.Nsec),
		CTimeSeconds: uint64(st.Ctim.Sec), CTimeNanoSeconds: uint64(st.Ctim.Nsec),
	}
}

func (f *shareFile) stat() (unix.Stat_t, error) {
	var st unix.Stat_t
	fd, err := f.openPath(0)
	if err != nil {
		return st, err
	}
	defer unix.Close(fd)
	return st, errno(unix.Fstat(fd, &st))
}

// Walk implements p9.File: each name is one entry below the last, and
// only a directory may be walked through.
func (f *shareFile) Walk(names []string) ([]p9.QID, p9.File, error) {
	if len(names) == 0 {
		return nil, &shareFile{fs: f.fs, rel: f.rel}, nil
	}
	qids := make([]p9.QID, 0, len(names))
	rel := f.rel
	for i, name := range names {
		if err := safeName(name); err != nil {
			return nil, nil, err
		}
		next := &shareFile{fs: f.fs, rel: (&shareFile{rel: rel}).path(name)}
		st, err := next.stat()
		if err != nil {
			return nil, nil, err
		}
		if i < len(names)-1 && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return nil, nil, linux.ENOTDIR
		}
		qids = append(qids, qidOf(&st))
		rel = next.rel
	}
	return qids, &shareFile{fs: f.fs, rel: rel}, nil
}

// GetAttr implements p9.File.
func (f *shareFile) GetAttr(req p9.AttrMask) (p9.QID, p9.AttrMask, p9.Attr, error) {
	st, err := f.stat()
	if err != nil {
		return p9.QID{}, p9.AttrMask{}, p9.Attr{}, err
	}
	valid := p9.AttrMask{
		Mode: true, NLink: true, UID: true, GID: true, RDev: true, ATime: true,
		MTime: true, CTime: true, INo: true, Size: true, Blocks: true,
	}
	return qidOf(&st), valid, attrOf(&st), nil
}

// StatFS implements p9.File.
func (f *shareFile) StatFS() (p9.FSStat, error) {
	var st unix.Statfs_t
	if err := f.fs.at(func(root int) error { return errno(unix.Fstatfs(root, &st)) }); err != nil {
		return p9.FSStat{}, err
	}
	return p9.FSStat{
		Type: uint32(st.Type), BlockSize: uint32(st.Bsize), Blocks: st.Blocks,
		BlocksFree: st.Bfree, BlocksAvailable: st.Bavail, Files: st.Files,
		FilesFree: st.Ffree, NameLength: uint32(st.Namelen),
	}, nil
}

// reopen opens an O_PATH descriptor of a regular file or a directory
// for I/O. fd was checked with fstat, so the magic link it goes through
// names that very inode, never something a guest put in its place.
func reopen(fd int, flags int) (*os.File, error) {
	p := "/proc/self/fd/" + strconv.Itoa(fd)
	nfd, err := unix.Open(p, flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, errno(err)
	}
	return os.NewFile(uintptr(nfd), p), nil
}

// checked opens the file as O_PATH and makes sure it is a regular file
// or a directory.
func (f *shareFile) checked() (int, unix.Stat_t, error) {
	fd, err := f.openPath(0)
	if err != nil {
		return -1, unix.Stat_t{}, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, st, errno(err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFDIR:
		return fd, st, nil
	case unix.S_IFLNK:
		unix.Close(fd)
		return -1, st, linux.ELOOP
	}
	unix.Close(fd)
	return -1, st, linux.EACCES // a device, FIFO or socket of the host
}

// openFlags keeps what a 9P2000.L open may ask of the host: the access
// mode, truncation and append.
func openFlags(mode p9.OpenFlags) int {
	return int(mode)&(unix.O_ACCMODE|unix.O_TRUNC|unix.O_APPEND) | unix.O_NOCTTY
}

// Open implements p9.File.
func (f *shareFile) Open(mode p9.OpenFlags) (p9.QID, uint32, error) {
	flags := openFlags(mode)
	if flags&unix.O_ACCMODE != unix.O_RDONLY || flags&unix.O_TRUNC != 0 {
		if err := f.writable(); err != nil {
			return p9.QID{}, 0, err
		}
	}
	fd, st, err := f.checked()
	if err != nil {
		return p9.QID{}, 0, err
	}
	defer unix.Close(fd)
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		flags = unix.O_RDONLY | unix.O_DIRECTORY
	}
	file, err := reopen(fd, flags)
	if err != nil {
		return p9.QID{}, 0, err
	}
	f.file = file
	return qidOf(&st), 0, nil
}

// ReadAt implements p9.File.
func (f *shareFile) ReadAt(p []byte, off int64) (int, error) {
	if f.file == nil {
		return 0, linux.EBADF
	}
	n, err := f.file.ReadAt(p, off)
	if err == io.EOF {
		err = nil
	}
	return n, errno(err)
}

// WriteAt implements p9.File.
func (f *shareFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.writable(); err != nil {
		return 0, err
	}
	if f.file == nil {
		return 0, linux.EBADF
	}
	n, err := f.file.WriteAt(p, off)
	return n, errno(err)
}

// FSync implements p9.File.
func (f *shareFile) FSync() error {
	if f.file == nil {
		return linux.EBADF
	}
	return errno(f.file.Sync())
}

// Close implements p9.File.
func (f *shareFile) Close() error {
	if f.file == nil {
		return nil
	}
	err := f.file.Close()
	f.file = nil
	return errno(err)
}

// Renamed implements p9.File: the server tells every fid below a
// renamed entry where it is now.
func (f *shareFile) Renamed(newDir p9.File, newName string) {
	f.rel = newDir.(*shareFile).path(newName)
}

// Readlink implements p9.File.
func (f *shareFile) Readlink() (string, error) {
	dir, name, err := f.parent()
	if err != nil {
		return "", err
	}
	defer unix.Close(dir)
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dir, name, buf)
	if err != nil {
		return "", errno(err)
	}
	return string(buf[:n]), nil
}

// Lock implements p9.File with whole-file flock locks: byte ranges are
// not kept apart.
func (f *shareFile) Lock(_ int, typ p9.LockType, _ p9.LockFlags, _, _ uint64, _ string) (p9.LockStatus, error) {
	if f.file == nil {
		return p9.LockStatusError, linux.EBADF
	}
	how := unix.LOCK_UN
	switch typ {
	case p9.ReadLock:
		how = unix.LOCK_SH | unix.LOCK_NB
	case p9.WriteLock:
		how = unix.LOCK_EX | unix.LOCK_NB
	}
	switch err := unix.Flock(int(f.file.Fd()), how); err {
	case nil:
		return p9.LockStatusOK, nil
	case unix.EWOULDBLOCK:
		return p9.LockStatusBlocked, nil
	default:
		return p9.LockStatusError, errno(err)
	}
}
