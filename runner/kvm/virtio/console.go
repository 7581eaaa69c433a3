package virtio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// virtio-console (§5.3) with VIRTIO_CONSOLE_F_MULTIPORT: a byte stream
// between the host and a named port in the guest (/dev/vportNp1, its
// name in /sys/class/virtio-ports/vportNp1/name), which is how the host
// reaches hyperstart's agent. Port 0 exists because the protocol has it,
// but it is never added: the VM's console is the 8250.
//
// Queues, in the order the driver numbers them: port 0's receive and
// transmit queues, the control receive queue (device to driver) and
// transmit queue (driver to device), then port 1's receive and transmit
// queues.
const (
	DeviceConsole = 3

	consoleFMultiport = 1 << 1

	consoleRx0    = 0
	consoleTx0    = 1
	consoleCtrlRx = 2
	consoleCtrlTx = 3
	consoleRx     = 4
	consoleTx     = 5

	// ConsolePort is the id of the one port the device adds.
	ConsolePort = 1
	// consolePorts is max_nr_ports: ports 0 and 1.
	consolePorts = 2
)

// Control events (struct virtio_console_control's event, §5.3.6.2).
const (
	ConsoleDeviceReady  = 0
	ConsoleDeviceAdd    = 1 // Linux's VIRTIO_CONSOLE_PORT_ADD
	ConsoleDeviceRemove = 2
	ConsolePortReady    = 3
	ConsoleConsolePort  = 4
	ConsoleResize       = 5
	ConsolePortOpen     = 6
	ConsolePortName     = 7

	consoleCtrlLen = 8 // le32 id, le16 event, le16 value
)

const (
	// ConsoleBuffer bounds what the host side holds each way: bytes the
	// guest sent that Read has not taken (the device stops taking the
	// guest's buffers beyond it), and bytes Write took that are not yet
	// in the guest (Write blocks beyond it).
	ConsoleBuffer = 64 << 10
	// maxPortChain bounds one transmitted chain. Linux sends at most 32
	// KiB per write and one page per descriptor when splicing, so at most
	// QueueMax pages; buffers may alias each other, so a guest's chain
	// can claim far more than guest memory.
	maxPortChain = QueueMax << 12
	// maxPendingControl bounds the control messages waiting for the
	// driver's buffers; a driver that asks for more replies than it takes
	// loses the extra ones.
	maxPendingControl = 16
)

// Errors of the host's end of the port.
var (
	ErrPortClosed  = errors.New("console port closed")
	ErrPortBusy    = errors.New("console port already open on the host")
	ErrVMStopped   = errors.New("the VM stopped")
	ErrChainTooBig = errors.New("transmit chain too big")
)

// Console is a virtio-console device whose port 1 carries a byte stream
// to the host (Open). Serve moves the bytes and the control messages;
// the transport calls Process on the vCPU thread for the driver's
// control messages.
type Console struct {
	name   string
	config []byte
	wake   chan struct{}

	mu   sync.Mutex
	cond sync.Cond // Read and Write wait here for data, room or an end
	ctrl [][]byte  // control messages for the driver, oldest first
	// portReady: the driver added port 1. guestOpen: a guest process has
	// it open, so bytes sent to it are kept rather than dropped.
	portReady, guestOpen bool
	conn                 *consoleConn // the host's end; nil when not open
	out                  bytes.Buffer // host → guest, not yet in the guest's buffers
	// draining: the host closed its end with bytes still in out; the
	// guest is told (PORT_OPEN 0) once they are delivered.
	draining bool
	stopped  bool
}

var (
	_ Async     = (*Console)(nil)
	_ Lifecycle = (*Console)(nil)
)

// NewConsole makes a console device with port 1 named name.
func NewConsole(name string) (*Console, error) {
	if name == "" || len(name) > 255 || bytes.IndexByte([]byte(name), 0) >= 0 {
		return nil, fmt.Errorf("virtio-console: port name %q: want 1 to 255 bytes, no NUL", name)
	}
	c := &Console{name: name, config: make([]byte, 12), wake: make(chan struct{}, 1)}
	c.cond.L = &c.mu
	binary.LittleEndian.PutUint32(c.config[4:], consolePorts) // max_nr_ports
	return c, nil
}

func (c *Console) Type() uint32     { return DeviceConsole }
func (c *Console) Queues() int      { return 2 * (consolePorts + 1) }
func (c *Console) Config() []byte   { return c.config }
func (c *Console) Features() uint64 { return FeatureVersion1 | FeatureIndirectDesc | consoleFMultiport }

// Async: Serve fills the receive queues and takes port 1's transmit
// queue as the host makes room; port 0's receive queue is never filled.
func (c *Console) Async(q int) bool {
	return q == consoleRx0 || q == consoleCtrlRx || q == consoleRx || q == consoleTx
}

// Notified wakes Serve: the driver posted buffers or sent bytes.
func (c *Console) Notified(int) { c.kick() }

func (c *Console) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Process handles the driver's control messages; bytes on port 0, which
// the device never adds, are dropped.
func (c *Console) Process(q int, ch Chain) (uint32, error) {
	switch q {
	case consoleCtrlTx:
		c.control(ch.Readable)
		return 0, nil
	case consoleTx0:
		return 0, nil
	}
	return 0, fmt.Errorf("%w: console queue %d is filled by the device", ErrBadQueue, q)
}

// control acts on one message from the driver. Messages that are short,
// for another port or of an event a driver does not send are ignored, as
// QEMU does.
func (c *Console) control(bufs [][]byte) {
	var m [consoleCtrlLen]byte
	if _, ok := gather(m[:], bufs); !ok {
		return
	}
	id := binary.LittleEndian.Uint32(m[0:])
	event := binary.LittleEndian.Uint16(m[4:])
	value := binary.LittleEndian.Uint16(m[6:])
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case event == ConsoleDeviceReady && value == 1:
		c.send(ConsolePort, ConsoleDeviceAdd, 1, "")
	case id != ConsolePort:
	case event == ConsolePortReady:
		c.portReady, c.guestOpen = value == 1, false
		if c.portReady {
			c.send(ConsolePort, ConsolePortName, 1, c.name)
			if c.conn != nil || c.draining {
				c.send(ConsolePort, ConsolePortOpen, 1, "")
			}
		}
	case event == ConsolePortOpen:
		c.guestOpen = value == 1 && c.portReady
		c.kick()
	}
}

// send queues a control message for the driver; c.mu is held.
func (c *Console) send(id uint32, event, value uint16, name string) {
	if len(c.ctrl) >= maxPendingControl {
		return
	}
	m := binary.LittleEndian.AppendUint32(make([]byte, 0, consoleCtrlLen+len(name)), id)
	m = binary.LittleEndian.AppendUint16(m, event)
	m = binary.LittleEndian.AppendUint16(m, value)
	c.ctrl = append(c.ctrl, append(m, name...))
	c.kick()
}

// Reset forgets the driver's state: its ports are gone. The host's end
// stays open, and what it wrote waits for the next driver to open the
// port, as with a socket on QEMU's virtserialport: Linux resets the
// device when its driver probes, after the host may have written.
func (c *Console) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ctrl, c.portReady, c.guestOpen = nil, false, false
}

// Broken ends the host's end: the device does nothing until the driver
// resets it, which Linux never does.
func (c *Console) Broken(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ctrl, c.portReady, c.guestOpen, c.draining = nil, false, false, false
	c.out.Reset()
	if c.conn != nil {
		c.conn.end(fmt.Errorf("virtio-console: the guest broke the device: %w", err))
		c.conn = nil
	}
}

// Serve moves bytes and control messages between the host and the
// driver's queues until stop is closed; the host's end then reads EOF.
func (c *Console) Serve(t *MMIO, stop <-chan struct{}) {
	defer c.Stop()
	for {
		for c.step(t) {
			select {
			case <-stop:
				return
			default:
			}
		}
		select {
		case <-c.wake:
		case <-stop:
			return
		}
	}
}

// Stop ends the device for good, as when its VM stops: the host's end
// reads EOF and Open fails. Serve calls it when it returns; the VMM also
// calls it when the VM could not start.
func (c *Console) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	if c.conn != nil {
		c.conn.end(io.EOF)
		c.conn = nil
	}
}

// step fills or takes at most one chain of each queue Serve serves and
// says whether it did anything.
func (c *Console) step(t *MMIO) bool {
	ctrl, _ := t.DeliverIf(consoleCtrlRx, c.wantControl, c.fillControl)
	rx, _ := t.DeliverIf(consoleRx, c.wantRx, c.fillRx)
	tx, _ := t.DeliverIf(consoleTx, c.roomTx, c.takeTx)
	c.mu.Lock()
	drained := c.finishDrain()
	c.mu.Unlock()
	return ctrl || rx || tx || drained
}

// The want and fill functions run with the transport's lock held, so the
// guest cannot change the port's state between them.

func (c *Console) wantControl() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ctrl) > 0
}

func (c *Console) fillControl(ch Chain) (uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.ctrl[0]
	c.ctrl = c.ctrl[1:]
	return scatter(m, ch.Writable), nil // a buffer too small for it gets what fits
}

func (c *Console) wantRx() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.guestOpen && c.out.Len() > 0
}

func (c *Console) fillRx(ch Chain) (uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := scatter(c.out.Bytes(), ch.Writable)
	c.out.Next(int(n))
	c.cond.Broadcast()
	return n, nil
}

func (c *Console) roomTx() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn == nil || c.conn.in.Len() < ConsoleBuffer
}

// takeTx passes a chain's bytes to the host's end, or drops them when the
// host has none (as QEMU does with a chardev nobody connected to).
func (c *Console) takeTx(ch Chain) (uint32, error) {
	var n uint64
	for _, b := range ch.Readable {
		n += uint64(len(b))
	}
	if n > maxPortChain {
		return 0, fmt.Errorf("%w: %d bytes, at most %d", ErrChainTooBig, n, maxPortChain)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return 0, nil
	}
	for _, b := range ch.Readable {
		c.conn.in.Write(b)
	}
	c.cond.Broadcast()
	return 0, nil
}

// finishDrain tells the guest the host closed its end once the bytes
// written before Close are delivered, or cannot be (no guest reader);
// c.mu is held.
func (c *Console) finishDrain() bool {
	if !c.draining || c.guestOpen && c.out.Len() > 0 {
		return false
	}
	c.endDrain()
	return true
}

// endDrain drops what the closed end left and tells the guest; c.mu is
// held.
func (c *Console) endDrain() {
	c.draining = false
	c.out.Reset()
	if c.portReady {
		c.send(ConsolePort, ConsolePortOpen, 0, "")
	}
}

// Open gives the host its end of port 1 and tells the guest (PORT_OPEN
// 1) once the driver has added the port. One end is open at a time; after
// Close, Open again starts a new stream. Bytes the guest sends while no
// end is open are dropped; bytes written wait for the guest to open the
// port and post buffers.
func (c *Console) Open() (io.ReadWriteCloser, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.stopped:
		return nil, fmt.Errorf("opening port %q: %w", c.name, ErrVMStopped)
	case c.conn != nil:
		return nil, fmt.Errorf("opening port %q: %w", c.name, ErrPortBusy)
	}
	if c.draining { // the previous end's last bytes are dropped
		c.endDrain()
	}
	c.conn = &consoleConn{c: c}
	if c.portReady {
		c.send(ConsolePort, ConsolePortOpen, 1, "")
	}
	return c.conn, nil
}

// consoleConn is the host's end of the port.
type consoleConn struct {
	c  *Console
	in bytes.Buffer // guest → host, not yet read
	// err ends the stream: ErrPortClosed after Close, io.EOF when the VM
	// stopped, the guest's error when it broke the device.
	err error
}

func (k *consoleConn) end(err error) {
	if k.err == nil {
		k.err = err
	}
	k.c.cond.Broadcast()
}

// Read returns the bytes the guest sent, waiting for some.
func (k *consoleConn) Read(p []byte) (int, error) {
	c := k.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for k.in.Len() == 0 && k.err == nil {
		c.cond.Wait()
	}
	if errors.Is(k.err, ErrPortClosed) {
		return 0, k.err
	}
	if k.in.Len() > 0 {
		n, _ := k.in.Read(p)
		c.kick() // room for the guest's next chain
		return n, nil
	}
	return 0, k.err
}

// Write queues p for the guest, waiting while ConsoleBuffer bytes are
// already waiting for the guest to take them.
func (k *consoleConn) Write(p []byte) (int, error) {
	c := k.c
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int
	for len(p) > 0 {
		for k.err == nil && c.out.Len() >= ConsoleBuffer {
			c.cond.Wait()
		}
		if k.err != nil {
			if errors.Is(k.err, io.EOF) {
				return n, fmt.Errorf("writing to port %q: %w", c.name, ErrVMStopped)
			}
			return n, k.err
		}
		w, _ := c.out.Write(p[:min(len(p), ConsoleBuffer-c.out.Len())])
		p, n = p[w:], n+w
		c.kick()
	}
	return n, nil
}

// Close ends the host's end: bytes already written still reach the guest
// if it has the port open, then the guest is told the host closed it
// (PORT_OPEN 0). Blocked Reads and Writes return ErrPortClosed.
func (k *consoleConn) Close() error {
	c := k.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if errors.Is(k.err, ErrPortClosed) {
		return nil
	}
	k.err = ErrPortClosed
	k.in.Reset()
	c.cond.Broadcast()
	if c.conn == k {
		c.conn, c.draining = nil, true
		c.kick()
	}
	return nil
}
