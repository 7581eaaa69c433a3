package runner

import (
	"bytes"
	"io"
	"strings"
	"sync"

	"github.com/hyperbuild/hyper/contract"
)

// DebugPrefix starts the lines hyperstart prints when the kernel command
// line has contract.CmdlineDebug ("hyperstart: [   0.412s] mount proc");
// its other lines (errors, restarts) have no timestamp and stay on the
// console. When tracing, the console moves debug lines to the timeline.
const DebugPrefix = contract.DebugPrefix

// maxHeld bounds how much of a line the console withholds while deciding
// what it is and where it goes.
const maxHeld = 4096

// noise are the terminal-reset sequences firmware writes on a serial
// console (SeaBIOS, OVMF): reset, autowrap off, clear screen. Left in,
// they blank the user's terminal and leave it without line wrapping.
var noise = []string{"\x1bc", "\x1b[?7l", "\x1b[2J"}

// Console splits the guest's serial output by the console line grammar
// (contract/console.go) as a terminal user and a CI log expect it:
//
//   - a container's stdout lines ("NAME | text") go to stdout and its
//     stderr lines ("NAME ! text") to stderr, without the prefix when the
//     pod has one container, as "NAME | text" when it has several; NAME
//     must be one of the pod's containers;
//   - everything else (hyperstart's messages, the kernel's) goes to stderr;
//   - line ends are "\n": the serial line's "\r\n" loses its "\r";
//   - the exit line is removed (its status kept), and so is every line
//     after it (the kernel powering off: "reboot: Power down"), the
//     kernel lines that are noise (contract.KernelNoise, which `quiet`
//     cannot hide) and the firmware's terminal-reset sequences; when
//     tracing, hyperstart's debug lines (its own and those it prints for
//     a container, "NAME ! hyperstart: [...") go to the timeline instead.
//
// A line is withheld only until its start says where it goes, so a
// prompt without a newline still shows. Writes never fail and never block
// on a failed output (each output is dropped after its first error), so a
// closed stdout cannot stall the VM.
type Console struct {
	mu     sync.Mutex
	stdout *output
	stderr *output
	trace  *Timeline
	names  map[string]bool
	shown  bool // the pod has several containers: "NAME | " is shown

	esc  []byte // a pending escape sequence
	line []byte // the withheld start of the current line
	// dest is where the rest of the current line goes once its start is
	// decided; nil while the line is withheld (or none has started).
	dest *output
	cr   bool   // a '\r' of the current line, withheld: "\r\n" becomes "\n"
	tail []byte // the end of the line being streamed, to spot an exit line in it
	// ofContainer: the current line is a container's, which never
	// carries the exit line (a program cannot fake the pod's status).
	ofContainer bool
	last        *output // the output written last: order is kept across outputs

	status   int
	reported bool
	started  bool
}

// output is one of the console's destinations.
type output struct {
	w   io.Writer
	err error // its first error; output is dropped after it
	buf bytes.Buffer
}

func (o *output) flush() {
	if o.buf.Len() == 0 {
		return
	}
	if o.err == nil {
		_, o.err = o.w.Write(o.buf.Bytes())
	}
	o.buf.Reset()
}

// NewConsole returns a console writing containers' stdout lines to stdout
// and everything else to stderr (nil: stdout; both nil: discarded).
// containers are the pod's container names; a line whose prefix names no
// container goes to stderr as it is. trace may be nil.
func NewConsole(stdout, stderr io.Writer, containers []string, trace *Timeline) *Console {
	if stdout == nil {
		stdout = io.Discard
	}
	c := &Console{stdout: &output{w: stdout}, trace: trace, names: map[string]bool{}}
	if stderr == nil {
		c.stderr = c.stdout
	} else {
		c.stderr = &output{w: stderr}
	}
	for _, n := range containers {
		c.names[n] = true
	}
	c.shown = len(c.names) > 1
	return c
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
	switch {
	case c.dest != nil:
		if c.cr {
			c.to(c.dest).WriteByte('\r')
		}
		c.checkTail()
	case len(c.line) > 0:
		c.endHeld()
	}
	c.flush()
	return nil
}

func (c *Console) flush() {
	c.stdout.flush()
	c.stderr.flush()
}

// to returns o's buffer, first writing out the other output's, so that
// lines reach a shared writer (stdout and stderr both a terminal or one
// log) in the order the guest printed them.
func (c *Console) to(o *output) *bytes.Buffer {
	if c.last != nil && c.last != o {
		c.last.flush()
	}
	c.last = o
	return &o.buf
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
	if c.dest != nil {
		c.stream(b)
		return
	}
	c.line = append(c.line, b)
	if b == '\n' {
		c.endHeld()
		return
	}
	d := c.decide(string(c.line[:min(len(c.line), 256)]))
	if d.whole && len(c.line) <= maxHeld {
		return // taken out at its end
	}
	if d.undecided && len(c.line) <= maxHeld {
		return
	}
	if d.whole || d.undecided {
		// Too long to withhold: it goes where a plain line would.
		d = c.route(string(c.line))
	}
	c.startStream(d)
}

// stream writes one byte of a line whose destination is decided.
func (c *Console) stream(b byte) {
	if c.cr {
		c.cr = false
		if b != '\n' {
			c.to(c.dest).WriteByte('\r')
			c.keepTail('\r')
		}
	}
	switch b {
	case '\r':
		c.cr = true
		return
	case '\n':
		c.to(c.dest).WriteByte('\n')
		c.checkTail()
		c.dest, c.tail, c.line = nil, c.tail[:0], c.line[:0]
		return
	}
	c.to(c.dest).WriteByte(b)
	c.keepTail(b)
}

// startStream writes the withheld start of the line as d says and
// streams the rest of the line to d's destination.
func (c *Console) startStream(d decision) {
	c.dest, c.ofContainer = d.dest, d.container
	c.to(c.dest).WriteString(d.prefix)
	c.tail = c.tail[:0]
	for _, b := range c.line[d.skip:] {
		c.stream(b)
	}
	c.line = c.line[:0]
}

func (c *Console) keepTail(b byte) {
	c.tail = append(c.tail, b)
	if len(c.tail) > 2*len(contract.ExitLinePrefix)+8 {
		c.tail = append(c.tail[:0], c.tail[len(c.tail)-len(contract.ExitLinePrefix)-8:]...)
	}
}

// decision is what the start of a line says about it.
type decision struct {
	undecided bool    // it may still become another kind of line
	whole     bool    // it is taken out of the output (endHeld says where)
	dest      *output // else: where it goes,
	skip      int     // how much of its start to leave out (the container prefix),
	prefix    string  // and what to write instead
	container bool    // a container's line
}

// decide looks at the start of a withheld line: the exit line, a line
// after it, kernel noise or (when tracing) a debug line are taken out
// whole; a container's line goes to its stream; anything else to stderr.
// It is undecided while the start could still become more than one.
func (c *Console) decide(s string) decision {
	if c.reported {
		return decision{whole: true}
	}
	t := strings.TrimLeft(s, " \t\r")
	maybe := false
	check := func(s, prefix string) bool {
		if strings.HasPrefix(s, prefix) {
			return true
		}
		if strings.HasPrefix(prefix, s) {
			maybe = true
		}
		return false
	}
	if check(t, contract.ExitLinePrefix) {
		return decision{whole: true}
	}
	rest := t
	if n, complete := kernelStamp(t); n > 0 && !complete {
		maybe = true
	} else if complete {
		rest = t[n:]
	}
	for _, n := range contract.KernelNoise {
		if check(rest, n) {
			return decision{whole: true}
		}
	}
	if c.trace != nil && check(t, DebugPrefix) {
		return decision{whole: true}
	}
	name, st, n, state := c.containerPrefix(s)
	switch state {
	case prefixMaybe:
		maybe = true
	case prefixYes:
		if c.trace != nil && check(s[n:], DebugPrefix) {
			return decision{whole: true}
		}
		if maybe {
			return decision{undecided: true}
		}
		return c.containerDecision(name, st, n)
	}
	if maybe {
		return decision{undecided: true}
	}
	return decision{dest: c.stderr}
}

// route is where a line goes when it is not taken out.
func (c *Console) route(s string) decision {
	if name, st, n, state := c.containerPrefix(s); state == prefixYes {
		return c.containerDecision(name, st, n)
	}
	return decision{dest: c.stderr}
}

func (c *Console) containerDecision(name string, st contract.Stream, n int) decision {
	d := decision{dest: c.stdout, skip: n, container: true}
	if st == contract.Stderr {
		d.dest = c.stderr
	}
	if c.shown {
		d.prefix = contract.LinePrefix(name, contract.Stdout)
	}
	return d
}

// How far a line's start matches a container prefix.
const (
	prefixNo = iota
	prefixMaybe
	prefixYes
)

// containerPrefix matches "NAME | " or "NAME ! " for one of the pod's
// containers at the start of s: prefixMaybe while s can still become
// one, prefixYes with its length n once it is complete.
func (c *Console) containerPrefix(s string) (name string, st contract.Stream, n int, state int) {
	if len(c.names) == 0 {
		return "", 0, 0, prefixNo
	}
	if name, st, text, ok := contract.ParseContainerLine(s); ok && c.names[name] {
		return name, st, len(s) - len(text), prefixYes
	}
	for name := range c.names {
		for _, sep := range []string{contract.StdoutSep, contract.StderrSep} {
			if p := name + sep; len(s) < len(p) && strings.HasPrefix(p, s) {
				return "", 0, 0, prefixMaybe
			}
		}
	}
	return "", 0, 0, prefixNo
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
	s := string(c.line)
	c.line = c.line[:0]
	t := strings.TrimLeft(s, " \t\r")
	msg := strings.TrimRight(t, "\r\n")
	if st, ok := contract.ParseExitLine(t); ok && strings.HasPrefix(t, contract.ExitLinePrefix) {
		c.status, c.reported = st, true
		c.trace.Mark("pod exited with status %d", st)
		return
	}
	if c.reported {
		// hyperstart is done; what follows is the kernel powering off.
		c.trace.Mark("after exit: %s", msg)
		return
	}
	kmsg := msg
	if n, complete := kernelStamp(kmsg); complete {
		kmsg = kmsg[n:]
	}
	if contract.IsKernelNoise(kmsg) {
		c.trace.Mark("kernel: %s", kmsg)
		return
	}
	name, st, n, state := c.containerPrefix(s)
	if c.trace != nil && (strings.HasPrefix(t, DebugPrefix) || state == prefixYes && strings.HasPrefix(s[n:], DebugPrefix)) {
		c.trace.Mark("%s", msg)
		return
	}
	d := decision{dest: c.stderr}
	if state == prefixYes {
		d = c.containerDecision(name, st, n)
	}
	text := s[d.skip:]
	if strings.HasSuffix(text, "\r\n") {
		text = text[:len(text)-2] + "\n"
	}
	buf := c.to(d.dest)
	buf.WriteString(d.prefix)
	buf.WriteString(text)
	c.ofContainer = d.container
	c.tail = append(c.tail[:0], text...)
	c.checkTail()
	c.tail = c.tail[:0]
}

// checkTail looks for an exit line glued to the end of other output (a
// program's last line without a newline): its status still counts, though
// it has already been shown.
func (c *Console) checkTail() {
	if c.ofContainer {
		return
	}
	s := string(c.tail)
	if i := strings.Index(s, contract.ExitLinePrefix); i >= 0 {
		if st, ok := contract.ParseExitLine(s[i:]); ok {
			c.status, c.reported = st, true
			c.trace.Mark("pod exited with status %d", st)
		}
	}
}
