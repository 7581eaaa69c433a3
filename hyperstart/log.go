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
	// held keeps debug lines written before the kernel command line
	// is read (the first boot steps mount /proc); SetDebug decides.
	held    []heldLine
	holding bool
}

// heldLine is a debug line kept unformatted, so that a boot without
// hyper.debug never pays for the formatting.
type heldLine struct {
	at     time.Duration
	format string
	args   []any
}

// NewLog returns a Log writing to w.
func NewLog(w io.Writer, debug bool) *Log {
	return &Log{w: w, debug: debug, now: sinceBoot}
}

// Debug reports whether step-by-step logging is on.
func (l *Log) Debug() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.debug
}

// Hold keeps debug lines until SetDebug says whether they are wanted.
func (l *Log) Hold() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holding = true
}

// SetDebug turns debug lines on or off, writing or discarding held ones.
func (l *Log) SetDebug(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.debug = on
	if on {
		for _, h := range l.held {
			io.WriteString(l.w, debugLine(h.at, h.format, h.args))
		}
	}
	l.held, l.holding = nil, false
}

// Printf writes one line prefixed with "hyperstart: ".
func (l *Log) Printf(format string, args ...any) {
	l.write("hyperstart: " + fmt.Sprintf(format, args...) + "\n")
}

// Debugf writes one timestamped line when debugging is on.
func (l *Log) Debugf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.debug && !l.holding {
		return
	}
	if l.holding {
		l.held = append(l.held, heldLine{l.now(), format, args})
		return
	}
	io.WriteString(l.w, debugLine(l.now(), format, args))
}

func debugLine(at time.Duration, format string, args []any) string {
	return fmt.Sprintf("hyperstart: [%7.3fs] ", at.Seconds()) + fmt.Sprintf(format, args...) + "\n"
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
