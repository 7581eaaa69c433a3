package virtio

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/runner/kvm/guestmem"
)

// p9Seeds are real 9P2000.L requests: version, attach, walk, open,
// create, read, write, readdir, getattr, mkdir, symlink, rename.
func p9Seeds() [][]byte {
	m := func(typ byte, tag uint16, body ...[]byte) []byte {
		b := []byte{0, 0, 0, 0, typ, byte(tag), byte(tag >> 8)}
		for _, p := range body {
			b = append(b, p...)
		}
		binary.LittleEndian.PutUint32(b, uint32(len(b)))
		return b
	}
	u32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	u64 := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	s := func(v string) []byte { return append(binary.LittleEndian.AppendUint16(nil, uint16(len(v))), v...) }
	names := func(v ...string) []byte {
		b := binary.LittleEndian.AppendUint16(nil, uint16(len(v)))
		for _, n := range v {
			b = append(b, s(n)...)
		}
		return b
	}
	return [][]byte{
		m(100, 0xffff, u32(8192), s("9P2000.L")),
		m(104, 1, u32(0), u32(^uint32(0)), s("root"), s(""), u32(0)),
		m(110, 2, u32(0), u32(1), names("f")),
		m(110, 3, u32(0), u32(2), names("..", "etc")),
		m(12, 4, u32(1), u32(0)),
		m(14, 5, u32(0), s("new"), u32(2), u32(0o644), u32(0)),
		m(116, 6, u32(1), u64(0), u32(100)),
		m(118, 7, u32(0), u64(0), u32(3), []byte("abc")),
		m(40, 8, u32(0), u64(0), u32(1000)),
		m(24, 9, u32(0), u64(0x3fff)),
		m(72, 10, u32(0), s("d"), u32(0o755), u32(0)),
		m(16, 11, u32(0), s("l"), s("/etc/passwd"), u32(0)),
		m(74, 12, u32(0), s("f"), u32(0), s("g")),
		m(26, 13, u32(0), u32(0x7f), u32(0o777), u32(0), u32(0), u64(0), u64(0), u64(0), u64(0), u64(0)),
	}
}

// FuzzP9Messages sends 9P requests the fuzzer writes (framed by their
// own size fields, after a real version and attach) through the device
// to a share whose parent holds a file: nothing may panic, every
// request the device takes is answered or dropped, and nothing outside
// the share changes.
func FuzzP9Messages(f *testing.F) {
	seeds := p9Seeds()
	var all []byte
	for _, s := range seeds[2:] {
		all = append(all, s...)
	}
	f.Add(all)
	for _, s := range seeds[2:] {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		outside := t.TempDir()
		secret := filepath.Join(outside, "secret")
		os.WriteFile(secret, []byte("s"), 0o600)
		share := filepath.Join(outside, "share")
		os.Mkdir(share, 0o755)
		os.WriteFile(filepath.Join(share, "f"), []byte("file"), 0o644)
		os.Symlink(outside, filepath.Join(share, "up"))
		before, _ := os.Stat(outside)
		fs, err := OpenShare(share, false)
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Close()
		dev, _ := NewP9(fs, "fuzz")
		g := newP9Guest(t, dev)
		answers := make(chan struct{}, 64)
		go func() {
			b := make([]byte, P9MsizeMax)
			for {
				if _, err := g.Read(b); err != nil {
					return
				}
				answers <- struct{}{}
			}
		}()
		send := func(msg []byte) bool {
			g.post(msg, p9SlotSize/2)
			select {
			case <-answers:
				return true
			case <-g.broken: // a request the server could not decode
				return false
			case <-time.After(10 * time.Second):
				t.Fatalf("no answer to %x", msg)
				return false
			}
		}
		send(seeds[0])
		send(seeds[1])
		for i := 0; len(data) >= p9HdrLen && i < 16; i++ {
			n := int(binary.LittleEndian.Uint32(data))
			if n < p9HdrLen || n > len(data) || n > p9SlotSize/2 {
				n = min(len(data), p9SlotSize/2)
			}
			if !send(data[:n]) {
				break
			}
			data = data[n:]
		}
		g.Close()
		ents, _ := os.ReadDir(outside)
		if len(ents) != 2 {
			t.Errorf("outside the share: %d entries, want 2", len(ents))
		}
		if b, err := os.ReadFile(secret); err != nil || string(b) != "s" {
			t.Errorf("secret: %q, %v", b, err)
		}
		if fi, err := os.Stat(outside); err != nil || fi.Mode() != before.Mode() {
			t.Errorf("outside's mode: %v, %v", fi, err)
		}
	})
}

// FuzzP9Chains gives the device's queue descriptors the fuzzer wrote
// (records as in FuzzBlkChains) over memory holding fuzzer bytes: taking
// and framing requests must never panic nor read outside guest memory.
func FuzzP9Chains(f *testing.F) {
	f.Add([]byte{0, 0x10, 64, 0, 0, 0, 1, 1, 0, 0x20, 0x00, 0x02, 0, 0, 2, 0}, p9Seeds()[0])
	f.Add([]byte{0, 0x10, 0, 1, 0, 0, 4, 0}, []byte{0xff, 0xff, 0xff, 0xff, 100})
	f.Fuzz(func(t *testing.T, data, payload []byte) {
		fs, err := OpenShare(t.TempDir(), true)
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Close()
		dev, _ := NewP9(fs, "fuzz")
		mem := guestmem.New(make([]byte, 64<<10))
		for i := 0x4000; i < 64<<10; i += copy(mem.Bytes()[i:], append(payload, 0)) {
		}
		d := &driver{t: t, mem: mem, irq: &countIRQ{}}
		d.mmio = NewMMIO(dev, mem, d.irq, 7)
		feat := uint64(FeatureVersion1 | FeatureIndirectDesc | p9FMountTag)
		d.w(regStatus, StatusAcknowledge|StatusDriver)
		d.w(regDriverFeatures, uint32(feat))
		d.w(regDriverFeatSel, 1)
		d.w(regDriverFeatures, uint32(feat>>32))
		d.w(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK)
		d.w(regQueueNum, tQSize)
		d.w(regQueueDescLow, 0x1000)
		d.w(regQueueAvailLow, 0x1100)
		d.w(regQueueUsedLow, 0x1200)
		d.w(regQueueReady, 1)
		d.w(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK|StatusDriverOK)
		for i := 0; len(data) >= 8 && i < tQSize; i, data = i+1, data[8:] {
			addr := uint64(binary.LittleEndian.Uint16(data[0:])) * 2
			n := uint32(binary.LittleEndian.Uint16(data[2:])) * uint32(1+data[4]%64)
			flags, next := uint16(data[6]&7), uint16(data[7]%(tQSize+2))
			d.putDesc(0x1000, i, addr, n, flags, next)
		}
		for h := range uint16(4) {
			mem.PutUint16(0x1100+4+2*uint64(h), h)
		}
		mem.PutUint16(0x1100+2, 4)
		d.w(regQueueNotify, 0)
		for range 4 {
			c, ok, err := d.mmio.Take(0)
			if err != nil || !ok {
				break
			}
			dev.request(d.mmio, c)
		}
		d.mmio.mu.Lock()
		dev.Stop()
		d.mmio.mu.Unlock()
	})
}
