package scratch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ownerFile is a scratch directory's lock: its owner holds an exclusive
// flock on it while it lives, and it holds the owner's pid, for people.
const ownerFile = ".owner"

// LocklessAge is how old a directory with the prefix but no owner file
// (left by a hyper tool from before the lock) must be to be swept: an
// owner locks its directory within microseconds of making it.
const LocklessAge = time.Hour

// Dir is one owner's work directory, locked for its lifetime.
type Dir struct {
	// Path is the directory.
	Path  string
	owner *os.File
}

// New makes a directory in parent (the temporary directory when "") named
// prefix plus a random suffix, and locks it for this process.
func New(parent, prefix string) (*Dir, error) {
	path, err := os.MkdirTemp(parent, prefix)
	if err != nil {
		return nil, fmt.Errorf("creating a work directory: %w", err)
	}
	f, err := lock(path)
	if err != nil {
		os.RemoveAll(path)
		return nil, fmt.Errorf("locking work directory %s: %w", path, err)
	}
	return &Dir{Path: path, owner: f}, nil
}

// lock writes the owner file under a temporary name, locks it and only
// then gives it its name, so that a sweeper never finds an owner file
// that is not locked yet.
func lock(dir string) (*os.File, error) {
	tmp := filepath.Join(dir, ownerFile+".new")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if err == nil {
		_, err = fmt.Fprintf(f, "%d\n", os.Getpid())
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, ownerFile))
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Join is name inside the directory.
func (d *Dir) Join(name string) string { return filepath.Join(d.Path, name) }

// Close removes the directory, then lets go of it.
func (d *Dir) Close() error {
	err := os.RemoveAll(d.Path)
	d.owner.Close()
	if err != nil {
		return fmt.Errorf("removing work directory %s: %w", d.Path, err)
	}
	return nil
}

// Sweep removes the directories named prefix* in parent (the temporary
// directory when "") whose owner is gone: this user's, with an owner file
// nobody holds locked, or without one and older than LocklessAge. A live
// owner's directory is kept. It returns what it removed, and what it
// could not look at or remove; it never fails its caller's work.
func Sweep(parent, prefix string) (removed []string, errs []error) {
	if parent == "" {
		parent = os.TempDir()
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil, []error{fmt.Errorf("sweeping %s: %w", parent, err)}
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		ok, err := removeIfStale(dir)
		if err != nil {
			errs = append(errs, fmt.Errorf("stale work directory %s: %w", dir, err))
		}
		if ok {
			removed = append(removed, dir)
		}
	}
	return removed, errs
}

// removeIfStale removes dir when it is this user's and its owner is gone;
// the lock is held while removing, so two sweepers do not race.
func removeIfStale(dir string) (bool, error) {
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() {
		return false, nil
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Getuid() {
		return false, nil
	}
	f, err := os.OpenFile(filepath.Join(dir, ownerFile), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, os.ErrNotExist) {
		if time.Since(fi.ModTime()) < LocklessAge {
			return false, nil
		}
		return true, os.RemoveAll(dir)
	}
	if err != nil {
		return false, nil
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return false, nil
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return false, nil // its owner is alive
		}
		return false, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return false, err
	}
	return true, nil
}
