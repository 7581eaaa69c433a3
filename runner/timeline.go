package runner

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Event is one step of the boot timeline.
type Event struct {
	// At is the time since the timeline started (the runner starts it just
	// before calling the backend).
	At   time.Duration
	What string
}

func (e Event) String() string {
	return fmt.Sprintf("[%8.3fs] %s", e.At.Seconds(), e.What)
}

// Timeline records boot events and prints each as it happens. All methods
// are safe for concurrent use and on a nil *Timeline (they do nothing), so
// code marks events without checking whether tracing is on.
type Timeline struct {
	mu     sync.Mutex
	start  time.Time
	w      io.Writer
	events []Event
}

// NewTimeline starts a timeline now; w (may be nil) receives each event as
// a line "[   0.123s] what".
func NewTimeline(w io.Writer) *Timeline {
	return &Timeline{start: time.Now(), w: w}
}

// Mark records an event at the current time.
func (t *Timeline) Mark(format string, args ...any) {
	if t == nil {
		return
	}
	e := Event{What: fmt.Sprintf(format, args...)}
	t.mu.Lock()
	defer t.mu.Unlock()
	e.At = time.Since(t.start)
	t.events = append(t.events, e)
	if t.w != nil {
		fmt.Fprintln(t.w, e)
	}
}

// Events returns a copy of the events recorded so far.
func (t *Timeline) Events() []Event {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Event(nil), t.events...)
}
