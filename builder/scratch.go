package builder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ScratchPrefix names a build's work directories, which live beside the
// output so that the finished artifact is renamed, not copied, into place.
const ScratchPrefix = ".hyperbuild-"

// scratchLock is the file in a scratch directory that its owner holds an
// exclusive flock on for as long as it runs; the kernel drops the lock
// when the owner dies, however it dies (kill -9 too).
const scratchLock = "lock"

// legacyScratchAge is how old a scratch directory without a lock file
// (left by a hyperbuild from before the lock) must be to be swept: a
// build creates its lock within microseconds of its directory, so an hour
// is never a live build's.
const legacyScratchAge = time.Hour

// Scratch is one build's work directory, locked for its lifetime.
type Scratch struct {
	Dir  string
	lock *os.File
}

// NewScratch creates a locked scratch directory in parent. The lock file
// is created under another name, locked, then renamed into place, so a
// sweeper that sees the lock file always sees it locked.
func NewScratch(parent string) (*Scratch, error) {
	dir, err := os.MkdirTemp(parent, ScratchPrefix)
	if err != nil {
		return nil, fmt.Errorf("creating a work directory in %s: %w", parent, err)
	}
	s, err := lockScratch(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("locking work directory %s: %w", dir, err)
	}
	return s, nil
}

func lockScratch(dir string) (*Scratch, error) {
	f, err := os.OpenFile(filepath.Join(dir, scratchLock+".new"), os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, scratchLock)); err != nil {
		f.Close()
		return nil, err
	}
	return &Scratch{Dir: dir, lock: f}, nil
}

// Path is name inside the scratch directory.
func (s *Scratch) Path(name string) string { return filepath.Join(s.Dir, name) }

// Close removes the directory, then drops the lock.
func (s *Scratch) Close() error {
	err := os.RemoveAll(s.Dir)
	s.lock.Close()
	if err != nil {
		return fmt.Errorf("removing work directory %s: %w", s.Dir, err)
	}
	return nil
}

// SweepScratch removes the scratch directories in parent whose owner is
// gone: those whose lock it can take (a build killed before it could clean
// up), and lockless ones older than an hour. A live build's is kept. It
// returns what it removed; it never fails a build, so errors only skip a
// directory.
func SweepScratch(parent string) []string {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), ScratchPrefix) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if sweepOne(dir) {
			removed = append(removed, dir)
		}
	}
	return removed
}

func sweepOne(dir string) bool {
	f, err := os.Open(filepath.Join(dir, scratchLock))
	if errors.Is(err, os.ErrNotExist) {
		fi, err := os.Stat(dir)
		if err != nil || time.Since(fi.ModTime()) < legacyScratchAge {
			return false
		}
		return os.RemoveAll(dir) == nil
	}
	if err != nil {
		return false
	}
	defer f.Close()
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return false // its build is running
	}
	return os.RemoveAll(dir) == nil
}
