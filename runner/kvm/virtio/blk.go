package virtio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// virtio-blk request types, status values and features (§5.2).
const (
	BlkTIn    = 0
	BlkTOut   = 1
	BlkTFlush = 4
	BlkTGetID = 8

	BlkSOK     = 0
	BlkSIOErr  = 1
	BlkSUnsupp = 2

	blkFSegMax = 1 << 2
	blkFRO     = 1 << 5
	blkFFlush  = 1 << 9

	SectorSize = 512
	// maxRequest bounds one request's data: buffers may alias each other,
	// so their total is not bounded by guest memory.
	maxRequest = 1 << 30
	blkIDLen   = 20
	blkHdrLen  = 16
)

// Disk is the backing store of a block device.
type Disk interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
}

// Blk is a virtio block device over a Disk. It never syncs on its own:
// a FLUSH from the guest is the only fsync, so a pod doing many small
// writes pays for durability only when it asks for it.
type Blk struct {
	disk     Disk
	size     uint64
	readOnly bool
	id       string
	config   []byte
}

// NewBlk makes a block device of size bytes (rounded down to whole
// sectors). A read-only device advertises VIRTIO_BLK_F_RO and answers
// writes with VIRTIO_BLK_S_IOERR. id is returned to GET_ID (at most 20
// bytes are used).
func NewBlk(disk Disk, size int64, readOnly bool, id string) *Blk {
	b := &Blk{disk: disk, size: uint64(size) / SectorSize * SectorSize, readOnly: readOnly, id: id}
	b.config = make([]byte, 16)
	binary.LittleEndian.PutUint64(b.config[0:], b.size/SectorSize) // capacity
	binary.LittleEndian.PutUint32(b.config[12:], QueueMax-2)       // seg_max
	return b
}

func (b *Blk) Type() uint32   { return DeviceBlock }
func (b *Blk) Queues() int    { return 1 }
func (b *Blk) Config() []byte { return b.config }

func (b *Blk) Features() uint64 {
	f := uint64(FeatureVersion1 | FeatureIndirectDesc | blkFSegMax | blkFFlush)
	if b.readOnly {
		f |= blkFRO
	}
	return f
}

// Process handles one request. The header may be split over several
// buffers and the data over any number; the status is the last writable
// byte. Nothing here returns an error: every request gets a status, and
// one too broken to hold a status byte is completed with nothing written.
func (b *Blk) Process(_ int, c Chain) (uint32, error) {
	wlen := c.WritableLen()
	if wlen == 0 {
		return 0, nil
	}
	data, status := splitStatus(c.Writable)
	var hdr [blkHdrLen]byte
	rest, ok := gather(hdr[:], c.Readable)
	if !ok {
		*status = BlkSIOErr
		return 1, nil
	}
	typ := binary.LittleEndian.Uint32(hdr[0:])
	sector := binary.LittleEndian.Uint64(hdr[8:])
	var n uint64
	var err error
	switch typ {
	case BlkTIn:
		n, err = b.read(sector, data)
	case BlkTOut:
		err = b.write(sector, rest)
	case BlkTFlush:
		if !b.readOnly {
			err = b.disk.Sync()
		}
	case BlkTGetID:
		n = b.getID(data)
	default:
		*status = BlkSUnsupp
		return 1, nil
	}
	*status = BlkSOK
	if err != nil {
		*status, n = BlkSIOErr, 0
	}
	return uint32(n) + 1, nil
}

// ErrRange is a request outside the disk or not a whole number of sectors.
var ErrRange = errors.New("request outside the disk")

// ErrReadOnly is a write to a read-only disk.
var ErrReadOnly = errors.New("disk is read-only")

func (b *Blk) span(sector uint64, bufs [][]byte) (uint64, error) {
	var n uint64
	for _, p := range bufs {
		n += uint64(len(p))
	}
	if n%SectorSize != 0 || n > maxRequest || sector > b.size/SectorSize || n > b.size-sector*SectorSize {
		return 0, fmt.Errorf("%w: sector %d, %d bytes, disk is %d bytes", ErrRange, sector, n, b.size)
	}
	return n, nil
}

func (b *Blk) read(sector uint64, bufs [][]byte) (uint64, error) {
	n, err := b.span(sector, bufs)
	if err != nil {
		return 0, err
	}
	off := int64(sector * SectorSize)
	for _, p := range bufs {
		if _, err := b.disk.ReadAt(p, off); err != nil {
			return 0, fmt.Errorf("reading disk at %d: %w", off, err)
		}
		off += int64(len(p))
	}
	return n, nil
}

func (b *Blk) write(sector uint64, bufs [][]byte) error {
	if b.readOnly {
		return ErrReadOnly
	}
	if _, err := b.span(sector, bufs); err != nil {
		return err
	}
	off := int64(sector * SectorSize)
	for _, p := range bufs {
		if _, err := b.disk.WriteAt(p, off); err != nil {
			return fmt.Errorf("writing disk at %d: %w", off, err)
		}
		off += int64(len(p))
	}
	return nil
}

func (b *Blk) getID(bufs [][]byte) uint64 {
	var id [blkIDLen]byte
	copy(id[:], b.id)
	src := id[:]
	var n uint64
	for _, p := range bufs {
		if len(src) == 0 {
			break
		}
		k := copy(p, src)
		src = src[k:]
		n += uint64(k)
	}
	return n
}

// splitStatus takes the last writable byte (the status) off bufs, which
// must hold at least one byte.
func splitStatus(bufs [][]byte) (data [][]byte, status *byte) {
	last := len(bufs) - 1
	for len(bufs[last]) == 0 {
		last--
	}
	b := bufs[last]
	status = &b[len(b)-1]
	data = append(bufs[:last:last], b[:len(b)-1])
	return data, status
}

// gather fills dst from the front of bufs and returns what is left.
func gather(dst []byte, bufs [][]byte) (rest [][]byte, ok bool) {
	for len(dst) > 0 {
		if len(bufs) == 0 {
			return nil, false
		}
		k := copy(dst, bufs[0])
		dst = dst[k:]
		if k == len(bufs[0]) {
			bufs = bufs[1:]
		} else {
			bufs = append([][]byte{bufs[0][k:]}, bufs[1:]...)
		}
	}
	return bufs, true
}
