package hyperstart

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// Console serialises lines to the VM's console from one goroutine. Writers
// never wait more than a short while: when the console cannot keep up
// (a host that does not read the serial port), lines are dropped and
// counted, and a marker line says how many, so that a stuck console never
// keeps the pod from ending and reporting its status.
type Console struct {
	w       io.Writer
	q       chan item
	wait    time.Duration
	dropped atomic.Int64
}

type item struct {
	line  []byte
	flush chan struct{}
}

// NewConsole starts a console writer with room for depth queued lines;
// a writer waits up to wait for room before dropping its line.
func NewConsole(w io.Writer, depth int, wait time.Duration) *Console {
	c := &Console{w: w, q: make(chan item, depth), wait: wait}
	go c.loop()
	return c
}

func (c *Console) loop() {
	for it := range c.q {
		if n := c.dropped.Swap(0); n > 0 {
			fmt.Fprintf(c.w, "hyperstart: console too slow, %d lines dropped\n", n)
		}
		if it.flush != nil {
			close(it.flush)
			continue
		}
		c.w.Write(it.line)
	}
}

// Write queues p as one line (or several whole lines); it is what Log
// writes through. It never fails: a dropped line is counted instead.
func (c *Console) Write(p []byte) (int, error) {
	c.enqueue(item{line: append([]byte(nil), p...)})
	return len(p), nil
}

func (c *Console) enqueue(it item) bool {
	select {
	case c.q <- it:
		return true
	default:
	}
	t := time.NewTimer(c.wait)
	defer t.Stop()
	select {
	case c.q <- it:
		return true
	case <-t.C:
		c.dropped.Add(1)
		return false
	}
}

// Dropped is the number of lines dropped and not yet reported.
func (c *Console) Dropped() int64 { return c.dropped.Load() }

// Flush waits up to timeout for every queued line to be written and
// reports whether they were.
func (c *Console) Flush(timeout time.Duration) bool {
	done := make(chan struct{})
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	select {
	case c.q <- item{flush: done}:
	case <-deadline.C:
		return false
	}
	select {
	case <-done:
		return true
	case <-deadline.C:
		return false
	}
}

// maxLine is the longest line passed on whole; longer ones are split.
const maxLine = 4096

// Pump copies r to the console line by line, each line prefixed with
// contract.LinePrefix of its container and stream ("web | ", "web ! "),
// always, so that the host tells them from the kernel's lines and sends
// each to its stream. keep, when not nil, gets each line too, without its
// newline (for the agent's logs), even when the console drops it. It
// returns at EOF or a read error.
func Pump(c *Console, r io.Reader, prefix string, keep func(line []byte)) {
	br := bufio.NewReaderSize(r, maxLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 && keep != nil {
			keep(bytes.TrimSuffix(line, []byte{'\n'}))
		}
		if len(line) > 0 {
			out := make([]byte, 0, len(prefix)+len(line)+1)
			out = append(out, prefix...)
			out = append(out, line...)
			if out[len(out)-1] != '\n' {
				out = append(out, '\n')
			}
			c.enqueue(item{line: out})
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}
