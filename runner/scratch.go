package runner

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ScratchPrefix starts the name of every scratch directory hyperboot
// makes in the temporary directory ($TMPDIR, else /tmp).
const ScratchPrefix = "hyperboot-"

// ownerFile is the scratch directory's lock: its owner holds an exclusive
// flock on it while it lives (the kernel drops the lock when the process
// dies, however it dies) and it holds the owner's pid, for people.
const ownerFile = ".owner"

// Scratch is a temporary directory that outlives a crash only until the
// next run: hyperboot killed with SIGKILL cannot remove it, so the next
// Run removes every scratch directory whose owner is gone (SweepScratch).
type Scratch struct {
	// Dir is the directory's path.
	Dir   string
	owner *os.File
}

// NewScratch makes a scratch directory named prefix (which starts with
// ScratchPrefix) plus a random suffix, and locks it for this process.
func NewScratch(prefix string) (*Scratch, error) {
	if !strings.HasPrefix(prefix, ScratchPrefix) {
		return nil, fmt.Errorf("scratch directory prefix %q: want one starting with %q", prefix, ScratchPrefix)
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, fmt.Errorf("creating a scratch directory: %w", err)
	}
	f, err := lockOwner(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("locking scratch directory %s: %w", dir, err)
	}
	return &Scratch{Dir: dir, owner: f}, nil
}

// lockOwner writes the owner file under a temporary name, locks it and
// only then gives it its name, so that a sweeper never finds an owner
// file that is not locked yet.
func lockOwner(dir string) (*os.File, error) {
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

// Close removes the directory, then lets go of it.
func (s *Scratch) Close() error {
	err := os.RemoveAll(s.Dir)
	s.owner.Close()
	return err
}

// SweepScratch removes the scratch directories in the temporary
// directory whose owner is gone: this user's, with an owner file that
// nobody holds locked. A directory without an owner file is left alone
// (it may be another program's, or one being made). It returns the
// directories it removed and says so on verbose (may be nil).
func SweepScratch(verbose io.Writer) []string {
	if verbose == nil {
		verbose = io.Discard
	}
	tmp := os.TempDir()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		fmt.Fprintf(verbose, "hyperboot: not sweeping %s: %v\n", tmp, err)
		return nil
	}
	var removed []string
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), ScratchPrefix) {
			continue
		}
		dir := filepath.Join(tmp, e.Name())
		ok, err := removeIfStale(dir)
		if err != nil {
			fmt.Fprintf(verbose, "hyperboot: stale scratch %s: %v\n", dir, err)
		}
		if ok {
			fmt.Fprintf(verbose, "hyperboot: removed stale scratch %s (its owner is gone)\n", dir)
			removed = append(removed, dir)
		}
	}
	return removed
}

// removeIfStale removes dir when it is this user's and its owner file is
// not locked; the lock is held while removing, so that two sweepers do
// not both remove it.
func removeIfStale(dir string) (bool, error) {
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() {
		return false, nil
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Getuid() {
		return false, nil
	}
	f, err := os.OpenFile(filepath.Join(dir, ownerFile), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
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
