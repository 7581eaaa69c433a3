package virtio

import (
	"encoding/binary"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/hugelgupf/p9/p9"
)

// chanIRQ turns interrupts into a channel the test's driver waits on.
type chanIRQ struct{ c chan struct{} }

func (i *chanIRQ) Interrupt(uint32) error {
	select {
	case i.c <- struct{}{}:
	default:
	}
	return nil
}

// p9Guest plays Linux's 9pnet_virtio over a P9 device: each message the
// client writes becomes a chain (the message, then room for the answer),
// and each used chain's answer is what the client reads. It is an
// io.ReadWriteCloser for p9.NewClient.
type p9Guest struct {
	t    testing.TB
	drv  *driver
	dev  *P9
	irq  *chanIRQ
	stop chan struct{}
	done sync.WaitGroup

	wmu   sync.Mutex
	wbuf  []byte
	slots chan int // free request slots

	rd *io.PipeReader
	wr *io.PipeWriter

	// broken is signalled when the device is in NEEDS_RESET.
	broken chan struct{}
}

const (
	p9Slots    = tQSize / 2 // two descriptors each
	p9SlotSize = 32 << 10   // request area, then answer area
	p9TestMsz  = 16 << 10
)

func newP9Guest(t testing.TB, dev *P9) *p9Guest {
	g := &p9Guest{t: t, dev: dev, irq: &chanIRQ{c: make(chan struct{}, 1)}, stop: make(chan struct{}), slots: make(chan int, p9Slots), broken: make(chan struct{}, 1)}
	g.drv = newDriver(t, dev, FeatureVersion1|p9FMountTag)
	g.drv.mmio.irq = g.irq
	for i := range p9Slots {
		g.slots <- i
	}
	g.rd, g.wr = io.Pipe()
	g.done.Add(2)
	go func() {
		defer g.done.Done()
		dev.Serve(g.drv.mmio, g.stop)
	}()
	go func() {
		defer g.done.Done()
		g.reap()
	}()
	t.Cleanup(func() { g.Close() })
	return g
}

func slotAddr(i int) uint64 { return tData + uint64(i)*p9SlotSize }

// Write frames the client's stream into messages and posts each.
func (g *p9Guest) Write(p []byte) (int, error) {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	g.wbuf = append(g.wbuf, p...)
	for len(g.wbuf) >= 4 {
		size := int(binary.LittleEndian.Uint32(g.wbuf))
		if size > p9SlotSize/2 {
			return 0, errors.New("p9Guest: message larger than a slot")
		}
		if len(g.wbuf) < size {
			break
		}
		g.post(g.wbuf[:size], p9SlotSize/2)
		g.wbuf = g.wbuf[size:]
	}
	return len(p), nil
}

// post publishes one request chain (msg, then answer room of n bytes).
func (g *p9Guest) post(msg []byte, n int) {
	var slot int
	select {
	case slot = <-g.slots:
	case <-g.stop:
		return
	}
	m := g.drv.mmio
	m.mu.Lock()
	req, resp := slotAddr(slot), slotAddr(slot)+p9SlotSize/2
	g.drv.mem.Write(req, msg)
	head := slot * 2
	g.drv.putDesc(tDesc, head, req, uint32(len(msg)), descFNext, uint16(head+1))
	g.drv.putDesc(tDesc, head+1, resp, uint32(n), descFWrite, 0)
	g.drv.mem.PutUint16(tAvail+4+2*uint64(g.drv.avail%tQSize), uint16(head))
	g.drv.avail++
	g.drv.mem.PutUint16(tAvail+2, g.drv.avail)
	m.mu.Unlock()
	g.drv.w(regQueueNotify, 0)
}

// reap moves answers from the used ring to the client's stream.
func (g *p9Guest) reap() {
	for {
		select {
		case <-g.irq.c:
		case <-g.stop:
			return
		}
		for {
			m := g.drv.mmio
			m.mu.Lock()
			idx, _ := g.drv.mem.Uint16(tUsed + 2)
			if idx == g.drv.used {
				if m.status&StatusNeedsReset != 0 {
					select {
					case g.broken <- struct{}{}:
					default:
					}
				}
				m.mu.Unlock()
				break
			}
			e := tUsed + 4 + 8*uint64(g.drv.used%tQSize)
			g.drv.used++
			head, _ := g.drv.mem.Uint32(e)
			n, _ := g.drv.mem.Uint32(e + 4)
			slot := int(head / 2)
			b, _ := g.drv.mem.Slice(slotAddr(slot)+p9SlotSize/2, uint64(n))
			ans := append([]byte(nil), b...)
			m.mu.Unlock()
			g.slots <- slot
			if len(ans) == 0 {
				continue // a request too broken to answer
			}
			if _, err := g.wr.Write(ans); err != nil {
				return
			}
		}
	}
}

func (g *p9Guest) Read(p []byte) (int, error) { return g.rd.Read(p) }

func (g *p9Guest) Close() error {
	select {
	case <-g.stop:
		return nil
	default:
	}
	close(g.stop)
	g.wr.CloseWithError(io.EOF)
	g.rd.Close()
	g.done.Wait()
	return nil
}

// p9Client is a 9P2000.L client attached to dir shared through a P9
// device.
func p9Client(t testing.TB, dir string, readOnly bool) (p9.File, *p9Guest) {
	t.Helper()
	fs, err := OpenShare(dir, readOnly)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	dev, err := NewP9(fs, "src")
	if err != nil {
		t.Fatal(err)
	}
	g := newP9Guest(t, dev)
	c, err := p9.NewClient(g, p9.WithMessageSize(p9TestMsz))
	if err != nil {
		t.Fatalf("9p version: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	root, err := c.Attach("")
	if err != nil {
		t.Fatalf("9p attach: %v", err)
	}
	return root, g
}
