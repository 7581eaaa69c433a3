package runner

import (
	"bytes"
	"io"
	"strings"
	"sync"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/kernelcfg"
)

// DebugPrefix starts the lines hyperstart prints when the kernel command
// line has contract.CmdlineDebug ("hyperstart: [   0.412s] mount proc");
// its other lines (errors, restarts) have no timestamp and stay on the
// console. When tracing, the console moves debug lines to the timeline.
const DebugPrefix = "hyperstart: ["

// maxHeld bounds how much of a line the console withholds while deciding
// whether it is the exit line or a debug line.
const maxHeld = 4096

// noise are the terminal-reset sequences firmware writes on a serial
// console (SeaBIOS, OVMF): reset, autowrap off, clear screen. Left in,
// they blank the user's terminal and leave it without line wrapping.
var noise = []string{"\x1bc", "\x1b[?7l", "\x1b[2J"}

// Console filters the guest's serial output on its way to the user: it
// copies it unchanged except that it removes the exit line (keeping its
// status), removes firmware terminal-reset sequences, moves to the
// timeline the kernel lines that are noise (kernelcfg.QuietNoise, which
// `quiet` cannot hide) and every line after the exit line (the kernel
// powering off: "reboot: Power down"), and, when tracing, moves
// hyperstart's debug lines (its own and those it prints inside
// containers, "NAME | hyperstart: [...") to the timeline. Writes never fail and
// never block on a failed output, so a closed stdout cannot stall a VM.
type Console struct {
	mu    sync.Mutex
	out   io.Writer
	err   error // first error writing to out; output is dropped after it
	trace *Timeline

	esc      []byte // a pending escape sequence
	line     []byte // the withheld start of the current line
	holding  bool   // the current line is being withheld
	possible bool   // the withheld line may still be special
	sure     bool   // the withheld line's start makes it special
	midLine  bool   // some of the current line has been written out
	tail     []byte // the end of a line already written, to spot an exit line in it
	pending  bytes.Buffer

	status   int
	reported bool
	started  bool
}

// NewConsole returns a filter writing to out; trace may be nil.
func NewConsole(out io.Writer, trace *Timeline) *Console {
	if out == nil {
		out = io.Discard
	}
	return &Console{out: out, trace: trace}
}

// Status returns the status from the exit line, if one was seen.
func (c *Console) Status() (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status, c.reported
}

// Write filters p. It always reports success.
func (c *Console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(p) > 0 && !c.started {
		c.started = true
		c.trace.Mark("console: first output")
	}
	for _, b := range p {
		c.filterEscape(b)
	}
	c.flush()
	return len(p), nil
}

// Close ends the stream: a withheld last line without a newline is
// decided and written.
func (c *Console) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.esc {
		c.content(b)
	}
	c.esc = nil
	if c.holding {
		c.endHeld()
	} else {
		c.checkTail()
	}
	c.flush()
	return nil
}

// filterEscape drops the firmware noise sequences and passes every other
// byte, in order, to content.
func (c *Console) filterEscape(b byte) {
	if len(c.esc) == 0 && b != 0x1b {
		c.content(b)
		return
	}
	c.esc = append(c.esc, b)
	s := string(c.esc)
	for _, n := range noise {
		if s == n {
			c.esc = c.esc[:0]
			return
		}
	}
	for _, n := range noise {
		if strings.HasPrefix(n, s) {
			return // may still become noise
		}
	}
	// Not noise: the ESC is content; what followed it may start another
	// sequence, so it goes through the filter again.
	rest := append([]byte(nil), c.esc[1:]...)
	c.esc = c.esc[:0]
	c.content(0x1b)
	for _, r := range rest {
		c.filterEscape(r)
	}
}

// content handles one byte of the console stream after escape filtering.
func (c *Console) content(b byte) {
	if !c.midLine && !c.holding {
		c.holding, c.sure, c.possible = true, false, true
		c.line = c.line[:0]
	}
	if c.holding {
		c.line = append(c.line, b)
		if b == '\n' {
			c.endHeld()
			return
		}
		if !c.sure {
			c.sure = c.decide()
		}
		if (!c.sure && !c.possible) || len(c.line) > maxHeld {
			c.pending.Write(c.line)
			c.tail = append(c.tail[:0], c.line...)
			c.holding, c.midLine = false, true
		}
		return
	}
	c.pending.WriteByte(b)
	if b == '\n' {
		c.checkTail()
		c.midLine = false
		c.tail = c.tail[:0]
		return
	}
	c.tail = append(c.tail, b)
	if len(c.tail) > 2*len(contract.ExitLinePrefix)+8 {
		c.tail = append(c.tail[:0], c.tail[len(c.tail)-len(contract.ExitLinePrefix)-8:]...)
	}
}

// decide looks at the start of the withheld line: it sets c.possible
// when the line can still turn out to be one the console takes out of the
// output (the exit line, a line after it, kernel noise, or when tracing a
// hyperstart debug line, possibly from inside a container: "web |
// hyperstart: [..."), and returns true once its start makes that certain,
// so that the rest of a long line is not examined again and again.
func (c *Console) decide() (sure bool) {
	if c.reported {
		return true
	}
	s := strings.TrimLeft(string(c.line[:min(len(c.line), 256)]), " \t\r")
	c.possible = false
	check := func(s, prefix string) bool {
		if strings.HasPrefix(s, prefix) {
			sure = true
		}
		if couldStart(s, prefix) {
			c.possible = true
		}
		return sure
	}
	if check(s, contract.ExitLinePrefix) {
		return true
	}
	rest := s
	if n, complete := kernelStamp(s); n > 0 && !complete {
		c.possible = true
		return false
	} else if complete {
		rest = s[n:]
	}
	for _, n := range kernelcfg.QuietNoise {
		if check(rest, n) {
			return true
		}
	}
	if c.trace == nil {
		return false
	}
	if check(s, DebugPrefix) {
		return true
	}
	if n, possible := containerPrefix(s); possible {
		if n == 0 {
			c.possible = true
			return false
		}
		return check(s[n:], DebugPrefix)
	}
	return false
}

// containerPrefix matches hyperstart's "NAME | " before a container's
// output: possible while s can still start with one; n is its length once
// it is complete.
func containerPrefix(s string) (n int, possible bool) {
	i := strings.IndexAny(s, " |")
	if i < 0 {
		return 0, true // still in the name
	}
	if i == 0 {
		return 0, false
	}
	const sep = " | "
	tail := s[i:]
	if len(tail) < len(sep) {
		return 0, strings.HasPrefix(sep, tail)
	}
	if !strings.HasPrefix(tail, sep) {
		return 0, false
	}
	return i + len(sep), true
}

// couldStart: s is a prefix of p, or starts with p.
func couldStart(s, p string) bool {
	return strings.HasPrefix(p, s) || strings.HasPrefix(s, p)
}

// kernelStamp matches a printk timestamp, "[    8.180287] ", at the start
// of s: n > 0 while s is (the start of) one; complete when the whole stamp,
// of length n, is there.
func kernelStamp(s string) (n int, complete bool) {
	i := 0
	if i == len(s) || s[i] != '[' {
		return 0, false
	}
	i++
	for i < len(s) && s[i] == ' ' {
		i++
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch b := s[i]; {
		case b >= '0' && b <= '9':
			digits++
		case b == '.' && !dot && digits > 0:
			dot, digits = true, 0
		case b == ']' && dot && digits > 0:
			if i+1 == len(s) {
				return i + 1, false
			}
			if s[i+1] != ' ' {
				return 0, false
			}
			return i + 2, true
		default:
			return 0, false
		}
	}
	return i, false
}

// endHeld decides a withheld line that is complete (newline seen) or at
// the end of the stream.
func (c *Console) endHeld() {
	c.holding, c.midLine = false, false
	s := strings.TrimLeft(string(c.line), " \t\r")
	msg := strings.TrimRight(s, "\r\n")
	if st, ok := contract.ParseExitLine(s); ok && strings.HasPrefix(s, contract.ExitLinePrefix) {
		c.status, c.reported = st, true
		c.trace.Mark("pod exited with status %d", st)
		return
	}
	if c.reported {
		// hyperstart is done; what follows is the kernel powering off.
		c.trace.Mark("after exit: %s", msg)
		return
	}
	if n, complete := kernelStamp(msg); complete {
		msg = msg[n:]
	}
	if kernelcfg.IsQuietNoise(msg) {
		c.trace.Mark("kernel: %s", msg)
		return
	}
	if c.trace != nil {
		d := s
		if n, _ := containerPrefix(s); n > 0 {
			d = s[n:]
		}
		if strings.HasPrefix(d, DebugPrefix) {
			c.trace.Mark("%s", strings.TrimRight(s, "\r\n"))
			return
		}
	}
	c.pending.Write(c.line)
}

// checkTail looks for an exit line glued to the end of other output (a
// program's last line without a newline): its status still counts, though
// it has already been shown.
func (c *Console) checkTail() {
	s := string(c.tail)
	if i := strings.Index(s, contract.ExitLinePrefix); i >= 0 {
		if st, ok := contract.ParseExitLine(s[i:]); ok {
			c.status, c.reported = st, true
			c.trace.Mark("pod exited with status %d", st)
		}
	}
}

func (c *Console) flush() {
	if c.pending.Len() == 0 {
		return
	}
	if c.err == nil {
		_, c.err = c.out.Write(c.pending.Bytes())
	}
	c.pending.Reset()
}
