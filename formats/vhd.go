package formats

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"time"
)

// vhdEpoch is when a VHD footer's timestamp counts from.
var vhdEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// vhd writes a fixed VHD: the raw disk (sparse where it is zero), then a
// 512-byte footer. Azure wants fixed VHDs whose virtual size is a whole
// number of MiB, which hyper's raw images are.
func (o options) vhd(ctx context.Context, raw, out string) error {
	src, err := os.Open(raw)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(out)
	if err != nil {
		return err
	}
	defer dst.Close()
	h := sha256.New()
	size, err := copySparse(ctx, dst, src, h)
	if err != nil {
		return err
	}
	if size%(1<<20) != 0 {
		return fmt.Errorf("%s is %d bytes, not a whole number of MiB as Azure requires", raw, size)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	footer := vhdFooter(size, o.epoch, sum)
	if _, err := dst.WriteAt(footer[:], size); err != nil {
		return err
	}
	return dst.Close()
}

// vhdFooter is the footer of a fixed disk of size bytes (Microsoft's
// Virtual Hard Disk Image Format Specification), its unique ID derived
// from content. The creator is "qem2", as qemu-img writes with
// force_size, so that QEMU reads the size from the footer rather than
// from the CHS geometry.
func vhdFooter(size int64, epoch time.Time, content [32]byte) [512]byte {
	var b [512]byte
	be := binary.BigEndian
	copy(b[0:8], "conectix")
	be.PutUint32(b[8:12], 2)           // features: reserved bit, always set
	be.PutUint32(b[12:16], 0x00010000) // format version 1.0
	be.PutUint64(b[16:24], ^uint64(0)) // data offset: none, a fixed disk
	ts := epoch.Sub(vhdEpoch) / time.Second
	if ts < 0 {
		ts = 0
	}
	be.PutUint32(b[24:28], uint32(ts))
	copy(b[28:32], "qem2")
	be.PutUint32(b[32:36], 0x00050003)
	copy(b[36:40], "Wi2k")
	be.PutUint64(b[40:48], uint64(size))
	be.PutUint64(b[48:56], uint64(size))
	c, hd, s := vhdGeometry(size / 512)
	be.PutUint16(b[56:58], c)
	b[58], b[59] = hd, s
	be.PutUint32(b[60:64], 2) // disk type: fixed
	id := sha256.Sum256(append(content[:], "vhd-unique-id"...))
	id[6] = id[6]&0x0f | 0x80 // an RFC 9562 version 8 UUID
	id[8] = id[8]&0x3f | 0x80
	copy(b[68:84], id[:16])
	var sum uint32
	for _, x := range b {
		sum += uint32(x)
	}
	be.PutUint32(b[64:68], ^sum)
	return b
}

// vhdGeometry is the specification's CHS algorithm (appendix A).
func vhdGeometry(sectors int64) (cyl uint16, heads, spt uint8) {
	if sectors > 65535*16*255 {
		sectors = 65535 * 16 * 255
	}
	var s, h, cth int64
	if sectors >= 65535*16*63 {
		s, h = 255, 16
		cth = sectors / s
	} else {
		s = 17
		cth = sectors / s
		h = (cth + 1023) / 1024
		if h < 4 {
			h = 4
		}
		if cth >= h*1024 || h > 16 {
			s, h = 31, 16
			cth = sectors / s
		}
		if cth >= h*1024 {
			s, h = 63, 16
			cth = sectors / s
		}
	}
	return uint16(cth / h), uint8(h), uint8(s)
}
