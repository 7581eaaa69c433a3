package virtio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

const blkFeatures = FeatureVersion1 | FeatureIndirectDesc | blkFFlush | blkFRO

func hdr(typ uint32, sector uint64) []byte {
	h := make([]byte, blkHdrLen)
	binary.LittleEndian.PutUint32(h[0:], typ)
	binary.LittleEndian.PutUint64(h[8:], sector)
	return h
}

func newDisk(sectors int) *memDisk {
	b := make([]byte, sectors*SectorSize)
	for i := range b {
		b[i] = byte(i*7 + i/SectorSize)
	}
	return &memDisk{b: b}
}

func TestBlkRead(t *testing.T) {
	disk := newDisk(64)
	h := hdr(BlkTIn, 3)
	tests := []struct {
		name     string
		bufs     []buf
		indirect bool
	}{
		{"three descriptors", []buf{{in: h}, {write: 1024}, {write: 1}}, false},
		{"header split, data in three, status alone", []buf{{in: h[:5]}, {in: h[5:]}, {write: 512}, {write: 256}, {write: 256}, {write: 1}}, false},
		{"status shares the last data buffer", []buf{{in: h}, {write: 512}, {write: 513}}, false},
		{"zero-length buffers in the chain", []buf{{in: h}, {in: []byte{}}, {write: 1024}, {write: 1}}, false},
		{"indirect", []buf{{in: h}, {write: 512}, {write: 512}, {write: 1}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(t, NewBlk(disk, int64(len(disk.b)), true, "x"), blkFeatures)
			var n uint32
			var out [][]byte
			if tt.indirect {
				n, out = d.submitIndirect(tt.bufs)
			} else {
				n, out = d.submit(tt.bufs)
			}
			all := bytes.Join(out, nil)
			if got, want := n, uint32(1025); got != want {
				t.Errorf("used len = %d, want %d", got, want)
			}
			if got := all[len(all)-1]; got != BlkSOK {
				t.Errorf("status = %d, want OK", got)
			}
			if got, want := all[:1024], disk.b[3*SectorSize:5*SectorSize]; !bytes.Equal(got, want) {
				t.Errorf("data differs from the disk")
			}
			if d.irq.n.Load() != 1 {
				t.Errorf("interrupts = %d, want 1", d.irq.n.Load())
			}
		})
	}
}

func TestBlkStatus(t *testing.T) {
	tests := []struct {
		name       string
		readOnly   bool
		bufs       []buf
		wantStatus byte
		wantLen    uint32
		wantSyncs  int
		wantWrite  bool
	}{
		{"write refused on read-only", true, []buf{{in: hdr(BlkTOut, 1)}, {in: bytes.Repeat([]byte{0xee}, 512)}, {write: 1}}, BlkSIOErr, 1, 0, false},
		{"write on read-write", false, []buf{{in: hdr(BlkTOut, 1)}, {in: bytes.Repeat([]byte{0xee}, 512)}, {write: 1}}, BlkSOK, 1, 0, true},
		{"flush syncs once", false, []buf{{in: hdr(BlkTFlush, 0)}, {write: 1}}, BlkSOK, 1, 1, false},
		{"flush on read-only is a no-op", true, []buf{{in: hdr(BlkTFlush, 0)}, {write: 1}}, BlkSOK, 1, 0, false},
		{"read past the end", true, []buf{{in: hdr(BlkTIn, 63)}, {write: 1024}, {write: 1}}, BlkSIOErr, 1, 0, false},
		{"read of a huge sector", true, []buf{{in: hdr(BlkTIn, 1<<62)}, {write: 512}, {write: 1}}, BlkSIOErr, 1, 0, false},
		{"read of a partial sector", true, []buf{{in: hdr(BlkTIn, 0)}, {write: 100}, {write: 1}}, BlkSIOErr, 1, 0, false},
		{"unknown type", true, []buf{{in: hdr(99, 0)}, {write: 1}}, BlkSUnsupp, 1, 0, false},
		{"short header", true, []buf{{in: []byte{0, 0, 0}}, {write: 1}}, BlkSIOErr, 1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			disk := newDisk(64)
			orig := append([]byte(nil), disk.b...)
			d := newDriver(t, NewBlk(disk, int64(len(disk.b)), tt.readOnly, "x"), blkFeatures&^blkFRO)
			n, out := d.submit(tt.bufs)
			all := bytes.Join(out, nil)
			if got := all[len(all)-1]; got != tt.wantStatus {
				t.Errorf("status = %d, want %d", got, tt.wantStatus)
			}
			if n != tt.wantLen {
				t.Errorf("used len = %d, want %d", n, tt.wantLen)
			}
			if disk.syncs != tt.wantSyncs {
				t.Errorf("syncs = %d, want %d", disk.syncs, tt.wantSyncs)
			}
			if got := !bytes.Equal(disk.b, orig); got != tt.wantWrite {
				t.Errorf("disk changed = %v, want %v", got, tt.wantWrite)
			}
		})
	}
}

func TestBlkGetID(t *testing.T) {
	tests := []struct {
		id   string
		size int
		want string
	}{
		{"hyper-artifact", 20, "hyper-artifact\x00\x00\x00\x00\x00\x00"},
		{"0123456789abcdefghijKLMN", 20, "0123456789abcdefghij"},
		{"hyper", 3, "hyp"},
	}
	for _, tt := range tests {
		disk := newDisk(1)
		d := newDriver(t, NewBlk(disk, int64(len(disk.b)), true, tt.id), blkFeatures)
		n, out := d.submit([]buf{{in: hdr(BlkTGetID, 0)}, {write: tt.size}, {write: 1}})
		if got := string(out[0]); got != tt.want {
			t.Errorf("GET_ID(%q, %d) = %q, want %q", tt.id, tt.size, got, tt.want)
		}
		if got, want := n, uint32(len(tt.want)+1); got != want {
			t.Errorf("GET_ID used len = %d, want %d", got, want)
		}
	}
}

func TestBlkConfig(t *testing.T) {
	disk := newDisk(64)
	d := newDriver(t, NewBlk(disk, int64(len(disk.b))+100, true, "x"), blkFeatures)
	var b [8]byte
	d.mmio.Read(regConfig, b[:])
	if got := binary.LittleEndian.Uint64(b[:]); got != 64 {
		t.Errorf("capacity = %d sectors, want 64", got)
	}
	if got := d.r(regDeviceID); got != DeviceBlock {
		t.Errorf("device ID = %d", got)
	}
	d.w(regDeviceFeatSel, 0)
	if got := d.r(regDeviceFeatures); got&blkFRO == 0 {
		t.Errorf("read-only disk does not offer VIRTIO_BLK_F_RO: %#x", got)
	}
}

func TestFeatureNegotiation(t *testing.T) {
	tests := []struct {
		name     string
		features uint64
		ok       bool
	}{
		{"version 1", FeatureVersion1, true},
		{"legacy driver", blkFFlush, false},
		{"feature not offered", FeatureVersion1 | 1<<40, false},
	}
	for _, tt := range tests {
		disk := newDisk(1)
		d := newDriver(t, NewBlk(disk, int64(len(disk.b)), true, "x"), tt.features)
		if got := d.r(regStatus)&StatusFeaturesOK != 0; got != tt.ok {
			t.Errorf("%s: FEATURES_OK = %v, want %v", tt.name, got, tt.ok)
		}
	}
}

// TestMalformedChains checks that what a hostile guest can write ends in
// NEEDS_RESET and a config interrupt, not in a host crash or a write out
// of bounds.
func TestMalformedChains(t *testing.T) {
	tests := []struct {
		name  string
		setup func(d *driver)
		want  error
	}{
		{"loop", func(d *driver) {
			d.putDesc(tDesc, 0, tData, 16, descFNext, 1)
			d.putDesc(tDesc, 1, tData, 16, descFNext, 0)
		}, ErrBadChain},
		{"next out of the table", func(d *driver) {
			d.putDesc(tDesc, 0, tData, 16, descFNext, tQSize)
		}, ErrBadChain},
		{"buffer past the end of memory", func(d *driver) {
			d.putDesc(tDesc, 0, tMem-8, 16, 0, 0)
		}, ErrBadChain},
		{"length wraps around", func(d *driver) {
			d.putDesc(tDesc, 0, 1<<64-8, 16, 0, 0)
		}, ErrBadChain},
		{"readable after writable", func(d *driver) {
			d.putDesc(tDesc, 0, tData, 1, descFWrite|descFNext, 1)
			d.putDesc(tDesc, 1, tData, 16, 0, 0)
		}, ErrBadChain},
		{"indirect with NEXT", func(d *driver) {
			d.putDesc(tDesc, 0, tData, 32, descFIndirect|descFNext, 1)
		}, ErrBadChain},
		{"indirect table of odd size", func(d *driver) {
			d.putDesc(tDesc, 0, tData, 17, descFIndirect, 0)
		}, ErrBadChain},
		{"nested indirect", func(d *driver) {
			d.putDesc(tData, 0, tData, 16, descFIndirect, 0)
			d.putDesc(tDesc, 0, tData, 16, descFIndirect, 0)
		}, ErrBadChain},
		{"indirect loop", func(d *driver) {
			d.putDesc(tData, 0, tData+0x100, 16, descFNext, 1)
			d.putDesc(tData, 1, tData+0x100, 16, descFNext, 0)
			d.putDesc(tDesc, 0, tData, 32, descFIndirect, 0)
		}, ErrBadChain},
		{"head out of the table", func(d *driver) {
			d.mem.PutUint16(tAvail+4, 999)
			d.mem.PutUint16(tAvail+2, 1)
		}, ErrBadChain},
		{"avail index far ahead", func(d *driver) {
			d.mem.PutUint16(tAvail+2, 1000)
		}, ErrBadQueue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			disk := newDisk(4)
			d := newDriver(t, NewBlk(disk, int64(len(disk.b)), true, "x"), blkFeatures)
			tt.setup(d)
			if idx, _ := d.mem.Uint16(tAvail + 2); idx == 0 {
				d.mem.PutUint16(tAvail+4, 0)
				d.mem.PutUint16(tAvail+2, 1)
			}
			d.w(regQueueNotify, 0)
			if d.r(regStatus)&StatusNeedsReset == 0 {
				t.Fatalf("status %#x lacks NEEDS_RESET", d.r(regStatus))
			}
			if got := d.r(regInterruptStat); got&intConfigChange == 0 {
				t.Errorf("interrupt status = %#x, want config change", got)
			}
			if err := d.mmio.Err(); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if used, _ := d.mem.Uint16(tUsed + 2); used != 0 {
				t.Errorf("used index = %d after a malformed chain", used)
			}
			// A reset brings the device back.
			d.w(regStatus, 0)
			if got := d.r(regStatus); got != 0 {
				t.Errorf("status after reset = %#x", got)
			}
		})
	}
}

func TestIndirectRefusedWithoutFeature(t *testing.T) {
	disk := newDisk(4)
	d := newDriver(t, NewBlk(disk, int64(len(disk.b)), true, "x"), blkFeatures&^FeatureIndirectDesc)
	table := d.alloc(3 * descSize)
	d.layout(table, []buf{{in: hdr(BlkTIn, 0)}, {write: 512}, {write: 1}})
	d.putDesc(tDesc, 0, table, 3*descSize, descFIndirect, 0)
	d.publish(0)
	if d.r(regStatus)&StatusNeedsReset == 0 {
		t.Errorf("indirect descriptor without the feature accepted")
	}
}

func TestManyRequestsWrapTheRing(t *testing.T) {
	disk := newDisk(8)
	d := newDriver(t, NewBlk(disk, int64(len(disk.b)), true, "x"), blkFeatures)
	for i := 0; i < 3*tQSize; i++ {
		d.data = tData
		n, out := d.submit([]buf{{in: hdr(BlkTIn, uint64(i%8))}, {write: 512}, {write: 1}})
		if n != 513 || out[1][0] != BlkSOK || !bytes.Equal(out[0], disk.b[i%8*SectorSize:][:SectorSize]) {
			t.Fatalf("request %d: len %d status %d", i, n, out[1][0])
		}
	}
}

func TestNotifyBeforeDriverOK(t *testing.T) {
	disk := newDisk(4)
	d := newDriver(t, NewBlk(disk, int64(len(disk.b)), true, "x"), blkFeatures)
	d.w(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK) // not DRIVER_OK
	d.layout(tDesc, []buf{{in: hdr(BlkTIn, 0)}, {write: 512}, {write: 1}})
	d.mem.PutUint16(tAvail+4, 0)
	d.mem.PutUint16(tAvail+2, 1)
	d.w(regQueueNotify, 0)
	if used, _ := d.mem.Uint16(tUsed + 2); used != 0 {
		t.Errorf("device processed a queue before DRIVER_OK")
	}
}

// chaser is a device whose every completion publishes one more request,
// as a guest can arrange by pointing a writable buffer at its own avail
// ring.
type chaser struct {
	mem interface{ PutUint16(uint64, uint16) error }
	idx *uint16
}

func (c chaser) Type() uint32     { return DeviceBlock }
func (c chaser) Features() uint64 { return FeatureVersion1 }
func (c chaser) Queues() int      { return 1 }
func (c chaser) Config() []byte   { return nil }
func (c chaser) Process(int, Chain) (uint32, error) {
	*c.idx++
	return 0, c.mem.PutUint16(tAvail+2, *c.idx)
}

// TestNotifyIsBounded: one notify handles at most a queue's worth of
// chains, so a guest cannot keep a vCPU thread in the device forever (and
// out of reach of the VMM's stop).
func TestNotifyIsBounded(t *testing.T) {
	var idx uint16
	c := &chaser{idx: &idx}
	d := newDriver(t, c, FeatureVersion1)
	c.mem = d.mem
	d.putDesc(tDesc, 0, d.alloc(1), 1, descFWrite, 0)
	done := make(chan struct{})
	go func() {
		idx = 1
		d.publish(0)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("notify did not return")
	}
	if idx != tQSize+1 {
		t.Errorf("processed %d chains in one notify, want %d", idx-1, tQSize)
	}
}
