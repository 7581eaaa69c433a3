package virtio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/runner/kvm/guestmem"
)

const (
	testPortName    = "org.test.port"
	consoleFeatures = FeatureVersion1 | FeatureIndirectDesc | consoleFMultiport
	badID           = 0xffffffff // VIRTIO_CONSOLE_BAD_ID, DEVICE_READY's id
)

// consoleDriver plays Linux's virtio_console driver: all six queues,
// control messages both ways, and the pump (Serve's step) run in line so
// that nothing races.
type consoleDriver struct {
	*driver
	con      *Console
	q        [6]*ring
	ctrlBufs []uint64 // control receive buffers posted, oldest first
}

func newConsoleDriver(t *testing.T) *consoleDriver {
	t.Helper()
	con, err := NewConsole(testPortName)
	if err != nil {
		t.Fatal(err)
	}
	mem := guestmem.New(make([]byte, tMem))
	d := &driver{t: t, mem: mem, irq: &countIRQ{}, data: tData}
	d.mmio = NewMMIO(con, mem, d.irq, 7)
	cd := &consoleDriver{driver: d, con: con}
	cd.init(consoleFeatures)
	return cd
}

// init brings the device up as the driver does at probe, after a reset.
func (cd *consoleDriver) init(features uint64) {
	d := cd.driver
	d.w(regStatus, 0)
	d.w(regStatus, StatusAcknowledge|StatusDriver)
	d.w(regDriverFeatSel, 0)
	d.w(regDriverFeatures, uint32(features))
	d.w(regDriverFeatSel, 1)
	d.w(regDriverFeatures, uint32(features>>32))
	d.w(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK)
	if d.r(regStatus)&StatusFeaturesOK == 0 {
		d.t.Fatalf("features %#x refused", features)
	}
	for q := range cd.q {
		cd.q[q] = d.addQueue(uint32(q), 0xc0000+uint64(q)*0x1000)
	}
	cd.ctrlBufs = nil
	d.w(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK|StatusDriverOK)
}

// pump runs the device's side until it has nothing left to do.
func (cd *consoleDriver) pump() {
	for cd.con.step(cd.mmio) {
	}
}

func (r *ring) poll() (uint32, bool) {
	idx, _ := r.d.mem.Uint16(r.use + 2)
	if idx == r.used {
		return 0, false
	}
	n, _ := r.d.mem.Uint32(r.use + 4 + 8*uint64(r.used%tQSize) + 4)
	r.used++
	return n, true
}

type ctrlMsg struct {
	id           uint32
	event, value uint16
	name         string
}

func ctrlBytes(id uint32, event, value uint16) []byte {
	m := binary.LittleEndian.AppendUint32(nil, id)
	m = binary.LittleEndian.AppendUint16(m, event)
	return binary.LittleEndian.AppendUint16(m, value)
}

// send sends the device a control message, which it handles at once.
func (cd *consoleDriver) send(id uint32, event, value uint16) {
	cd.t.Helper()
	r := cd.q[consoleCtrlTx]
	m := ctrlBytes(id, event, value)
	r.post([]buf{{in: m[:3]}, {in: m[3:]}})
	if _, ok := r.poll(); !ok {
		cd.t.Fatalf("control message %v not taken (status %#x, err %v)", m, cd.r(regStatus), cd.mmio.Err())
	}
}

// recv returns the device's next control message, if it sends one.
func (cd *consoleDriver) recv() (ctrlMsg, bool) {
	cd.t.Helper()
	r := cd.q[consoleCtrlRx]
	if len(cd.ctrlBufs) == 0 {
		cd.ctrlBufs = append(cd.ctrlBufs, r.post([]buf{{write: 64}})[0])
	}
	cd.pump()
	n, ok := r.poll()
	if !ok {
		return ctrlMsg{}, false
	}
	addr := cd.ctrlBufs[0]
	cd.ctrlBufs = cd.ctrlBufs[1:]
	b, _ := cd.mem.Slice(addr, uint64(n))
	if n < consoleCtrlLen {
		cd.t.Fatalf("control message of %d bytes", n)
	}
	return ctrlMsg{
		id:    binary.LittleEndian.Uint32(b),
		event: binary.LittleEndian.Uint16(b[4:]),
		value: binary.LittleEndian.Uint16(b[6:]),
		name:  string(b[8:]),
	}, true
}

func (cd *consoleDriver) expect(want ctrlMsg) {
	cd.t.Helper()
	got, ok := cd.recv()
	if !ok {
		cd.t.Fatalf("no control message, want %+v", want)
	}
	if got != want {
		cd.t.Fatalf("control message %+v, want %+v", got, want)
	}
}

func (cd *consoleDriver) expectNone() {
	cd.t.Helper()
	if got, ok := cd.recv(); ok {
		cd.t.Fatalf("unexpected control message %+v", got)
	}
}

// handshake is the driver's probe and port setup; open says whether the
// host has its end open, so the device says so.
func (cd *consoleDriver) handshake(hostOpen bool) {
	cd.t.Helper()
	cd.send(badID, ConsoleDeviceReady, 1)
	cd.expect(ctrlMsg{id: ConsolePort, event: ConsoleDeviceAdd, value: 1})
	cd.send(ConsolePort, ConsolePortReady, 1)
	cd.expect(ctrlMsg{id: ConsolePort, event: ConsolePortName, value: 1, name: testPortName})
	if hostOpen {
		cd.expect(ctrlMsg{id: ConsolePort, event: ConsolePortOpen, value: 1})
	}
	cd.expectNone()
}

// guestWrite sends p on port 1 in two buffers and says whether the
// device took it.
func (cd *consoleDriver) guestWrite(p []byte) bool {
	r := cd.q[consoleTx]
	h := len(p) / 2
	r.post([]buf{{in: p[:h]}, {in: p[h:]}})
	cd.pump()
	_, ok := r.poll()
	return ok
}

// guestRead posts a receive buffer of n bytes and returns what the device
// put in it, or ok false while it puts nothing.
type pending struct {
	cd   *consoleDriver
	addr uint64
}

func (cd *consoleDriver) postRead(n int) pending {
	return pending{cd, cd.q[consoleRx].post([]buf{{write: n}})[0]}
}

func (p pending) read() ([]byte, bool) {
	p.cd.pump()
	n, ok := p.cd.q[consoleRx].poll()
	if !ok {
		return nil, false
	}
	b, _ := p.cd.mem.Slice(p.addr, uint64(n))
	return append([]byte(nil), b...), true
}

func mustOpen(t *testing.T, c *Console) io.ReadWriteCloser {
	t.Helper()
	k, err := c.Open()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestConsoleDevice(t *testing.T) {
	cd := newConsoleDriver(t)
	if got := cd.r(regDeviceID); got != DeviceConsole {
		t.Errorf("device ID = %d, want %d", got, DeviceConsole)
	}
	cd.w(regDeviceFeatSel, 0)
	if got := cd.r(regDeviceFeatures); got&consoleFMultiport == 0 {
		t.Errorf("features %#x lack MULTIPORT", got)
	}
	var cfg [12]byte
	cd.mmio.Read(regConfig, cfg[:])
	if got := binary.LittleEndian.Uint32(cfg[4:]); got != consolePorts {
		t.Errorf("max_nr_ports = %d, want %d", got, consolePorts)
	}
	for _, name := range []string{"", "a\x00b", string(make([]byte, 256))} {
		if _, err := NewConsole(name); err == nil {
			t.Errorf("NewConsole(%q) accepted the name", name)
		}
	}
}

func TestConsoleHandshake(t *testing.T) {
	t.Run("host open first", func(t *testing.T) {
		cd := newConsoleDriver(t)
		mustOpen(t, cd.con)
		cd.handshake(true)
	})
	t.Run("host opens later", func(t *testing.T) {
		cd := newConsoleDriver(t)
		cd.handshake(false)
		k := mustOpen(t, cd.con)
		cd.expect(ctrlMsg{id: ConsolePort, event: ConsolePortOpen, value: 1})
		if _, err := cd.con.Open(); !errors.Is(err, ErrPortBusy) {
			t.Errorf("second Open = %v, want ErrPortBusy", err)
		}
		k.Close()
		cd.expect(ctrlMsg{id: ConsolePort, event: ConsolePortOpen, value: 0})
		mustOpen(t, cd.con)
		cd.expect(ctrlMsg{id: ConsolePort, event: ConsolePortOpen, value: 1})
	})
	t.Run("ignored", func(t *testing.T) {
		cd := newConsoleDriver(t)
		mustOpen(t, cd.con)
		cd.send(badID, ConsoleDeviceReady, 0)               // the driver failed
		cd.send(0, ConsolePortReady, 1)                     // port 0 was never added
		cd.send(7, ConsolePortOpen, 1)                      // no such port
		cd.send(ConsolePort, ConsoleResize, 1)              // the device's message
		cd.send(ConsolePort, 0xffff, 1)                     // no such event
		cd.q[consoleCtrlTx].post([]buf{{in: []byte{0, 0}}}) // short
		cd.expectNone()
		cd.handshake(true)
	})
}

func TestConsoleStream(t *testing.T) {
	cd := newConsoleDriver(t)
	k := mustOpen(t, cd.con)
	cd.handshake(true)
	// Bytes for the guest wait until it opens the port.
	if _, err := k.Write([]byte("to the guest")); err != nil {
		t.Fatal(err)
	}
	rd := cd.postRead(64)
	if b, ok := rd.read(); ok {
		t.Fatalf("the device filled %q into a port the guest has not opened", b)
	}
	cd.send(ConsolePort, ConsolePortOpen, 1)
	if b, ok := rd.read(); !ok || string(b) != "to the guest" {
		t.Fatalf("guest read %q, %v", b, ok)
	}
	if !cd.guestWrite([]byte("to the host")) {
		t.Fatal("the device did not take the guest's bytes")
	}
	b := make([]byte, 64)
	n, err := k.Read(b)
	if err != nil || string(b[:n]) != "to the host" {
		t.Fatalf("host Read = %q, %v", b[:n], err)
	}
	if cd.irq.n.Load() == 0 {
		t.Error("no interrupt")
	}
}

func TestConsoleHostBackpressure(t *testing.T) {
	cd := newConsoleDriver(t)
	k := mustOpen(t, cd.con)
	cd.handshake(true)
	cd.send(ConsolePort, ConsolePortOpen, 1)
	data := make([]byte, ConsoleBuffer+5000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	done := make(chan error, 1)
	go func() {
		_, err := k.Write(data)
		done <- err
	}()
	// Write fills the buffer and waits for the guest: it cannot return
	// before the guest takes bytes.
	deadline := time.Now().Add(5 * time.Second)
	for {
		cd.con.mu.Lock()
		n := cd.con.out.Len()
		cd.con.mu.Unlock()
		if n == ConsoleBuffer {
			break
		}
		if n > ConsoleBuffer || time.Now().After(deadline) {
			t.Fatalf("%d bytes buffered, want the bound %d", n, ConsoleBuffer)
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("Write returned (%v) with %d bytes it could not buffer", err, len(data)-ConsoleBuffer)
	default:
	}
	var got []byte
	var rd *pending
	for len(got) < len(data) {
		if rd == nil {
			p := cd.postRead(4096)
			rd = &p
		}
		b, ok := rd.read()
		if !ok {
			// Write has not yet put the rest in: wait for it.
			time.Sleep(time.Millisecond)
			if time.Now().After(deadline) {
				t.Fatalf("guest got %d of %d bytes", len(got), len(data))
			}
			continue
		}
		rd = nil
		got = append(got, b...)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Error("the guest got other bytes than written")
	}
}

func TestConsoleGuestBackpressure(t *testing.T) {
	cd := newConsoleDriver(t)
	k := mustOpen(t, cd.con)
	cd.handshake(true)
	cd.send(ConsolePort, ConsolePortOpen, 1)
	chunk := bytes.Repeat([]byte{'x'}, ConsoleBuffer/4)
	for i := range 4 {
		if !cd.guestWrite(chunk) {
			t.Fatalf("chain %d not taken with room left", i)
		}
	}
	if cd.guestWrite(chunk) {
		t.Fatalf("the device took a chain beyond its %d-byte bound", ConsoleBuffer)
	}
	if _, err := io.ReadFull(k, make([]byte, len(chunk))); err != nil {
		t.Fatal(err)
	}
	cd.pump()
	if _, ok := cd.q[consoleTx].poll(); !ok {
		t.Fatal("the waiting chain was not taken once the host read")
	}
}

func TestConsoleClose(t *testing.T) {
	cd := newConsoleDriver(t)
	k := mustOpen(t, cd.con)
	cd.handshake(true)
	cd.send(ConsolePort, ConsolePortOpen, 1)

	read := make(chan error, 1)
	go func() {
		_, err := k.Read(make([]byte, 8))
		read <- err
	}()
	k.Write([]byte("last words"))
	k.Close()
	if err := <-read; !errors.Is(err, ErrPortClosed) {
		t.Errorf("blocked Read = %v, want ErrPortClosed", err)
	}
	if _, err := k.Write([]byte("x")); !errors.Is(err, ErrPortClosed) {
		t.Errorf("Write after Close = %v, want ErrPortClosed", err)
	}
	// What was written before Close arrives, then the guest is told.
	if b, ok := cd.postRead(64).read(); !ok || string(b) != "last words" {
		t.Errorf("guest read %q, %v", b, ok)
	}
	cd.expect(ctrlMsg{id: ConsolePort, event: ConsolePortOpen, value: 0})
	// With no end open, the guest's bytes are dropped.
	if !cd.guestWrite([]byte("nobody listens")) {
		t.Fatal("the device kept the guest's bytes with no host end")
	}
	k2 := mustOpen(t, cd.con)
	cd.expect(ctrlMsg{id: ConsolePort, event: ConsolePortOpen, value: 1})
	cd.guestWrite([]byte("hi"))
	b := make([]byte, 64)
	n, _ := k2.Read(b)
	if string(b[:n]) != "hi" {
		t.Errorf("new end read %q, want only what came after it opened", b[:n])
	}
}

func TestConsoleChainTooBig(t *testing.T) {
	cd := newConsoleDriver(t)
	k := mustOpen(t, cd.con)
	cd.handshake(true)
	cd.send(ConsolePort, ConsolePortOpen, 1)
	// Three descriptors over the same 400 KiB: more than any real chain.
	r := cd.q[consoleTx]
	for i := range 3 {
		cd.putDesc(r.desc, i, 0x1000, 400<<10, descFNext, uint16(i+1))
	}
	cd.putDesc(r.desc, 2, 0x1000, 400<<10, 0, 0)
	cd.mem.PutUint16(r.avail+4, 0)
	cd.mem.PutUint16(r.avail+2, 1)
	cd.w(regQueueNotify, consoleTx)
	cd.pump()
	if cd.r(regStatus)&StatusNeedsReset == 0 {
		t.Errorf("status %#x, want NEEDS_RESET", cd.r(regStatus))
	}
	if _, err := k.Read(make([]byte, 8)); !errors.Is(err, ErrChainTooBig) {
		t.Errorf("host Read = %v, want ErrChainTooBig", err)
	}
}

// TestConsoleReset: a driver reset (Linux resets the device when its
// driver probes) forgets the ports, not the host's end or what it wrote.
func TestConsoleReset(t *testing.T) {
	cd := newConsoleDriver(t)
	k := mustOpen(t, cd.con)
	k.Write([]byte("written before the guest booted"))
	cd.handshake(true)
	cd.send(ConsolePort, ConsolePortOpen, 1)
	cd.init(consoleFeatures) // status 0 first: a reset
	rd := cd.postRead(64)
	if b, ok := rd.read(); ok {
		t.Fatalf("the device filled %q into a port the new driver has not opened", b)
	}
	cd.handshake(true) // the host's end is still open
	cd.send(ConsolePort, ConsolePortOpen, 1)
	if b, ok := rd.read(); !ok || string(b) != "written before the guest booted" {
		t.Errorf("guest read %q, %v", b, ok)
	}
}

func TestConsoleControlBounds(t *testing.T) {
	cd := newConsoleDriver(t)
	for range 3 * maxPendingControl {
		cd.send(badID, ConsoleDeviceReady, 1)
	}
	if n := len(cd.con.ctrl); n > maxPendingControl {
		t.Fatalf("%d control messages pending, bound %d", n, maxPendingControl)
	}
	// A buffer too small for a message gets what fits, nothing more.
	r := cd.q[consoleCtrlRx]
	addr := r.post([]buf{{write: 3}})[0]
	guard, _ := cd.mem.Slice(addr+3, 13)
	copy(guard, bytes.Repeat([]byte{0xee}, 13))
	cd.pump()
	if n, ok := r.poll(); !ok || n != 3 {
		t.Errorf("used %d, %v; want 3 bytes", n, ok)
	}
	if !bytes.Equal(guard, bytes.Repeat([]byte{0xee}, 13)) {
		t.Errorf("the device wrote past the buffer: % x", guard)
	}
}

func TestConsoleServe(t *testing.T) {
	cd := newConsoleDriver(t)
	k := mustOpen(t, cd.con)
	stop := make(chan struct{})
	served := make(chan struct{})
	go func() {
		cd.con.Serve(cd.mmio, stop)
		close(served)
	}()
	read := make(chan error, 1)
	go func() {
		_, err := k.Read(make([]byte, 8))
		read <- err
	}()
	close(stop)
	select {
	case <-served:
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return on stop")
	}
	select {
	case err := <-read:
		if err != io.EOF {
			t.Errorf("Read after the VM stopped = %v, want EOF", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a blocked Read did not return when the VM stopped")
	}
	if _, err := k.Write([]byte("x")); !errors.Is(err, ErrVMStopped) {
		t.Errorf("Write = %v, want ErrVMStopped", err)
	}
	if _, err := cd.con.Open(); !errors.Is(err, ErrVMStopped) {
		t.Errorf("Open = %v, want ErrVMStopped", err)
	}
}
