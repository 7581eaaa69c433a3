package kernelcfg

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockPoll is how often a waiting builder retries the lock; polling (rather
// than a blocking flock) lets ctx cancel the wait.
const lockPoll = 500 * time.Millisecond

// lockFile takes an exclusive flock on path, waiting (and saying so once on
// progress) while another builder holds it. The kernel drops the lock if the
// holder dies, so a crashed build never blocks the next one.
func lockFile(ctx context.Context, path string, progress io.Writer) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking kernel build: %w", err)
	}
	said := false
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
		}
		if err != unix.EWOULDBLOCK && err != unix.EINTR {
			f.Close()
			return nil, fmt.Errorf("locking kernel build %s: %w", path, err)
		}
		if !said {
			fmt.Fprintf(progress, "kernel: waiting for another build of this kernel (%s)\n", path)
			said = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for kernel build lock: %w", ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}
