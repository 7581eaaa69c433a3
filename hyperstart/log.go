package hyperstart

import (
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Log writes hyperstart's own lines. Printf lines (errors, restarts) are
// always written; Debugf lines only with hyper.debug, stamped with the
// time since the kernel booted so that they read as a boot timeline.
type Log struct {
	mu    sync.Mutex
	w     io.Writer
	debug bool
	now   func() time.Duration
}

// NewLog returns a Log writing to w.
func NewLog(w io.Writer, debug bool) *Log {
	return &Log{w: w, debug: debug, now: sinceBoot}
}

// Debug reports whether step-by-step logging is on.
func (l *Log) Debug() bool { return l.debug }

// Printf writes one line prefixed with "hyperstart: ".
func (l *Log) Printf(format string, args ...any) {
	l.write("hyperstart: " + fmt.Sprintf(format, args...) + "\n")
}

// Debugf writes one timestamped line when debugging is on.
func (l *Log) Debugf(format string, args ...any) {
	if !l.debug {
		return
	}
	l.write(fmt.Sprintf("hyperstart: [%8.3fs] ", l.now().Seconds()) + fmt.Sprintf(format, args...) + "\n")
}

func (l *Log) write(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	io.WriteString(l.w, s)
}

// sinceBoot is CLOCK_BOOTTIME, the clock of the kernel's own log.
func sinceBoot() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
