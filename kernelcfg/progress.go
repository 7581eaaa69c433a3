package kernelcfg

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// progressEvery is how often a non-terminal gets a progress line.
const progressEvery = 30 * time.Second

// progress turns make's output into a compact count of compiled objects:
// on a terminal one line updated in place, elsewhere a line now and then.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	now     func() time.Time
	start   time.Time
	last    time.Time // of the last line printed
	objects int
	// total is the number of objects to compile when known: exact
	// (recorded by a previous build) or, when estimated, shown as ~N.
	total     int
	estimated bool
	part      []byte
}

func newProgress(w io.Writer) *progress {
	now := time.Now
	t := now()
	return &progress{w: w, tty: isTerminal(w), now: now, start: t, last: t}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Write takes make's output (kbuild's "  CC      path.o" lines).
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.part = append(p.part, b...)
	for {
		i := bytes.IndexByte(p.part, '\n')
		if i < 0 {
			break
		}
		if isObjectLine(p.part[:i]) {
			p.objects++
		}
		p.part = p.part[i+1:]
	}
	p.report(false)
	return len(b), nil
}

// isObjectLine reports whether a kbuild line compiles or assembles an object.
func isObjectLine(line []byte) bool {
	f := bytes.Fields(line)
	if len(f) < 2 {
		return false
	}
	switch string(f[0]) {
	case "CC", "AS":
		return true
	}
	return false
}

func (p *progress) report(final bool) {
	t := p.now()
	if p.tty {
		if !final && t.Sub(p.last) < 200*time.Millisecond {
			return
		}
		fmt.Fprintf(p.w, "\rkernel: %s compiled (%s)", p.count(), t.Sub(p.start).Round(time.Second))
		if final {
			fmt.Fprintln(p.w)
		}
		p.last = t
		return
	}
	if final || t.Sub(p.last) >= progressEvery {
		fmt.Fprintf(p.w, "kernel: %s compiled (%s)\n", p.count(), t.Sub(p.start).Round(time.Second))
		p.last = t
	}
}

// count is "812/1190 objects", "812/~1190 objects" for an estimate,
// or "812 objects" without a total (or past an estimate).
func (p *progress) count() string {
	switch {
	case p.total <= 0 || p.estimated && p.objects > p.total:
		return fmt.Sprintf("%d objects", p.objects)
	case p.estimated:
		return fmt.Sprintf("%d/~%d objects", p.objects, p.total)
	}
	return fmt.Sprintf("%d/%d objects", p.objects, p.total)
}

// Close prints the final count.
func (p *progress) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.report(true)
	return nil
}
