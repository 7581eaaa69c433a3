package virtio

import (
	"encoding/binary"
	"errors"
	"io"
	"sync"

	"github.com/hugelgupf/p9/p9"
	"golang.org/x/sys/unix"
)

// virtio-9p (the virtio spec gives it device ID 9 and no section; Linux's
// 9pnet_virtio and QEMU define it): one request queue, a mount tag in the configuration
// space, and per chain one 9P T-message in the readable buffers and room
// for its R-message in the writable ones. The 9P2000.L server is
// hugelgupf/p9's (gVisor's, as u-root keeps it) over a ShareFS; the
// device frames messages between the queue and the server's byte stream
// and matches answers to chains by tag, so slow requests do not hold
// back the others.
const (
	Device9P = 9

	p9FMountTag = 1 << 0

	// P9TagMax is the longest mount tag the device offers.
	P9TagMax = 255

	// P9MsizeMax bounds every 9P message both ways: a Tversion asking
	// for more is answered with this much. hyperstart mounts with
	// contract.ShareMsize, which a test keeps within it.
	P9MsizeMax = 256 << 10

	// p9Outstanding bounds the requests in the server at once, and so
	// the memory a guest can make the server hold (each at most
	// P9MsizeMax).
	p9Outstanding = 64

	p9HdrLen   = 7 // size[4] type[1] tag[2]
	p9Tversion = 100
	p9Rlerror  = 7
	p9NoTag    = 0xffff
)

// ErrP9Tag is a mount tag that is empty or too long.
var ErrP9Tag = errors.New("9p mount tag must be 1 to 255 bytes")

// P9 is a virtio-9p device serving fs under a mount tag.
type P9 struct {
	fs     p9.Attacher
	config []byte
	wake   chan struct{}

	// mu guards the connection's state. The transport calls Reset and
	// Broken with its lock held and Complete's fill takes mu under it,
	// so the order is always transport, then mu.
	mu      sync.Mutex
	gen     uint64 // moves on at every reset: answers of an older one are dropped
	stopped bool   // guest memory may be gone: touch no chain
	conn    *p9conn
	pending map[uint16]p9req
	msize   uint32
}

// p9req is a request in the server: the chain its answer goes to.
type p9req struct {
	head uint16
	w    [][]byte
}

// p9conn is one connection to the server: a new one after each reset,
// so no fid survives the driver that made it.
type p9conn struct {
	gen   uint64
	toS   *io.PipeWriter // requests to the server
	sIn   *io.PipeReader // the server's end of toS
	fromS *io.PipeReader // answers from the server
	sOut  *io.PipeWriter
}

func (c *p9conn) close() {
	c.toS.Close()
	c.sIn.Close()
	c.fromS.Close()
	c.sOut.Close()
}

var (
	_ Async     = (*P9)(nil)
	_ Lifecycle = (*P9)(nil)
)

// NewP9 makes a 9P device for fs with mount tag tag.
func NewP9(fs p9.Attacher, tag string) (*P9, error) {
	if len(tag) == 0 || len(tag) > P9TagMax {
		return nil, ErrP9Tag
	}
	cfg := make([]byte, 2+len(tag))
	binary.LittleEndian.PutUint16(cfg, uint16(len(tag)))
	copy(cfg[2:], tag)
	return &P9{fs: fs, config: cfg, wake: make(chan struct{}, 1), pending: map[uint16]p9req{}, msize: P9MsizeMax}, nil
}

func (d *P9) Type() uint32     { return Device9P }
func (d *P9) Queues() int      { return 1 }
func (d *P9) Config() []byte   { return d.config }
func (d *P9) Features() uint64 { return FeatureVersion1 | FeatureIndirectDesc | p9FMountTag }

// Async: requests are taken by Serve, not on the vCPU's notify.
func (d *P9) Async(int) bool { return true }

// Notified wakes Serve.
func (d *P9) Notified(int) { d.poke() }

func (d *P9) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Process is never called: the only queue is asynchronous.
func (d *P9) Process(int, Chain) (uint32, error) { return 0, ErrBadQueue }

// Reset implements Lifecycle: the connection and its fids go, answers
// still in the server are dropped.
func (d *P9) Reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dropLocked()
}

// Broken implements Lifecycle.
func (d *P9) Broken(error) { d.Reset() }

func (d *P9) dropLocked() {
	d.gen++
	if d.conn != nil {
		d.conn.close()
		d.conn = nil
	}
	clear(d.pending)
	d.msize = P9MsizeMax
}

// Stop ends the device for good: after it returns no chain is touched,
// so guest memory may be released.
func (d *P9) Stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopped = true
	d.dropLocked()
}

// Serve takes requests off the queue and hands them to the server until
// stop is closed. Answers are written by the connection's reader, in
// the order the server gives them.
func (d *P9) Serve(t *MMIO, stop <-chan struct{}) error {
	for {
		select {
		case <-d.wake:
		case <-stop:
			// Under the transport's lock: a Complete that has already
			// checked the device is done with guest memory.
			t.mu.Lock()
			d.Stop()
			t.mu.Unlock()
			return nil
		}
		for d.room() {
			c, ok, err := t.Take(0)
			if err != nil || !ok {
				break
			}
			d.request(t, c)
		}
	}
}

// room says whether another request may go to the server.
func (d *P9) room() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.pending) < p9Outstanding
}

// request checks one chain's T-message and sends it to the server, or
// answers it at once when it is malformed.
func (d *P9) request(t *MMIO, c Chain) {
	var hdr [p9HdrLen]byte
	if _, ok := gather(hdr[:], c.Readable); !ok {
		d.answer(t, c, 0, 0) // no tag to answer to
		return
	}
	size := binary.LittleEndian.Uint32(hdr[0:])
	tag := binary.LittleEndian.Uint16(hdr[5:])
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return
	}
	var total uint64
	for _, b := range c.Readable {
		total += uint64(len(b))
	}
	_, dup := d.pending[tag]
	switch {
	case size < p9HdrLen || uint64(size) > total || size > d.msize:
		d.mu.Unlock()
		d.answer(t, c, tag, unix.EMSGSIZE)
		return
	case dup:
		d.mu.Unlock()
		d.answer(t, c, tag, unix.EBUSY)
		return
	}
	msg := make([]byte, size)
	copyFrom(msg, c.Readable)
	if msg[4] == p9Tversion && size >= p9HdrLen+4 {
		// Offer no more than P9MsizeMax; the server answers with the
		// smaller of this and its own limit.
		m := min(binary.LittleEndian.Uint32(msg[7:]), P9MsizeMax)
		binary.LittleEndian.PutUint32(msg[7:], m)
		d.msize = max(m, p9HdrLen+4)
	}
	conn := d.connLocked(t)
	d.pending[tag] = p9req{head: c.Head, w: c.Writable}
	d.mu.Unlock()
	// The server reads its stream without pause (each request gets its
	// own goroutine), so this write waits for a copy, not for a request.
	conn.toS.Write(msg)
}

// connLocked is the current connection, started on first use.
func (d *P9) connLocked(t *MMIO) *p9conn {
	if d.conn != nil {
		return d.conn
	}
	sIn, toS := io.Pipe()
	fromS, sOut := io.Pipe()
	c := &p9conn{gen: d.gen, toS: toS, sIn: sIn, fromS: fromS, sOut: sOut}
	d.conn = c
	srv := p9.NewServer(d.fs)
	go srv.Handle(sIn, sOut)
	go d.answers(t, c)
	return c
}

// answers copies the server's R-messages into the chains waiting for
// them until the connection closes.
func (d *P9) answers(t *MMIO, c *p9conn) {
	defer d.ended(t, c)
	buf := make([]byte, P9MsizeMax)
	for {
		if _, err := io.ReadFull(c.fromS, buf[:p9HdrLen]); err != nil {
			return
		}
		size := binary.LittleEndian.Uint32(buf)
		if size < p9HdrLen || size > P9MsizeMax {
			return // the server is ours: this does not happen
		}
		if _, err := io.ReadFull(c.fromS, buf[p9HdrLen:size]); err != nil {
			return
		}
		tag := binary.LittleEndian.Uint16(buf[5:])
		msg := buf[:size]
		if tag == p9NoTag && d.undecodable(c) {
			// The server could not decode a request and so could not
			// say which: as QEMU does, the device needs a reset.
			t.mu.Lock()
			t.broken(errP9Undecodable)
			t.mu.Unlock()
			t.irq.Interrupt(t.line)
			continue
		}
		t.Complete(0, func() (uint16, uint32, bool) {
			d.mu.Lock()
			defer d.mu.Unlock()
			r, ok := d.pending[tag]
			if !ok || d.stopped || c.gen != d.gen {
				return 0, 0, false
			}
			delete(d.pending, tag)
			return r.head, scatter(msg, r.w), true
		})
		d.poke() // room for another request
	}
}

// ended closes c and, when the server ended it while it was still the
// device's connection (it refused the stream), puts the device in
// NEEDS_RESET: the requests it held will not be answered, and the
// driver's reset starts a new connection.
func (d *P9) ended(t *MMIO, c *p9conn) {
	c.close()
	t.mu.Lock()
	d.mu.Lock()
	current := d.conn == c && !d.stopped
	d.mu.Unlock()
	if current {
		t.broken(errP9Conn)
	}
	t.mu.Unlock()
	if current {
		t.irq.Interrupt(t.line)
	}
}

var (
	errP9Conn        = errors.New("9p server ended the connection")
	errP9Undecodable = errors.New("9p request the server cannot decode")
)

// undecodable says whether an answer without a tag on c can only be the
// server's refusal of a request it could not decode: no Tversion (the
// one request without a tag) is waiting.
func (d *P9) undecodable(c *p9conn) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, version := d.pending[p9NoTag]
	return c.gen == d.gen && !version
}

// answer completes c at once with an Rlerror carrying errno, or with
// nothing when err is nil (a chain too short to name its tag).
func (d *P9) answer(t *MMIO, c Chain, tag uint16, err unix.Errno) {
	var msg []byte
	if err != 0 {
		msg = make([]byte, p9HdrLen+4)
		binary.LittleEndian.PutUint32(msg, uint32(len(msg)))
		msg[4] = p9Rlerror
		binary.LittleEndian.PutUint16(msg[5:], tag)
		binary.LittleEndian.PutUint32(msg[7:], uint32(err))
	}
	d.mu.Lock()
	gen := d.gen
	d.mu.Unlock()
	t.Complete(0, func() (uint16, uint32, bool) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.stopped || gen != d.gen {
			return 0, 0, false
		}
		return c.Head, scatter(msg, c.Writable), true
	})
}

// copyFrom fills dst from the front of bufs.
func copyFrom(dst []byte, bufs [][]byte) {
	for _, b := range bufs {
		if len(dst) == 0 {
			return
		}
		dst = dst[copy(dst, b):]
	}
}
