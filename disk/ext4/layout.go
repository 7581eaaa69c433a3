package ext4

import (
	"encoding/binary"
	"hash/crc32"
	"time"
)

// On-disk geometry. See the kernel's "ext4 Data Structures and Algorithms".
const (
	blockSize      = 4096
	blocksPerGroup = 8 * blockSize // one block bitmap block
	inodeSize      = 256
	extraIsize     = 32 // up to and including i_projid
	firstIno       = 11 // first non-reserved inode
	rootIno        = 2
	descSize       = 32 // no 64bit feature
	descsPerBlock  = blockSize / descSize
	maxBlocks      = 1<<32 - 1
	maxInodes      = 1<<32 - 1
	maxLinks       = 65000
	inlineXattrOff = 128 + extraIsize // start of in-inode xattr area
)

// Feature flags.
const (
	compatExtAttr      = 0x8
	compatDirIndex     = 0x20
	compatSparseSuper2 = 0x200

	incompatFiletype = 0x2
	incompatExtents  = 0x40
	incompatFlexBG   = 0x200
	incompatCsumSeed = 0x2000

	roCompatSparseSuper  = 0x1
	roCompatLargeFile    = 0x2
	roCompatHugeFile     = 0x8
	roCompatDirNlink     = 0x20
	roCompatExtraIsize   = 0x40
	roCompatMetadataCsum = 0x400
	roCompatReadonly     = 0x1000
)

// Inode modes, flags and directory entry file types.
const (
	sIFMT   = 0o170000
	sIFSOCK = 0o140000
	sIFLNK  = 0o120000
	sIFREG  = 0o100000
	sIFBLK  = 0o060000
	sIFDIR  = 0o040000
	sIFCHR  = 0o020000
	sIFIFO  = 0o010000

	flagExtents = 0x80000

	ftReg     = 1
	ftDir     = 2
	ftChr     = 3
	ftBlk     = 4
	ftFifo    = 5
	ftSock    = 6
	ftSymlink = 7
)

func fileType(mode uint16) uint8 {
	switch uint32(mode) & sIFMT {
	case sIFREG:
		return ftReg
	case sIFDIR:
		return ftDir
	case sIFCHR:
		return ftChr
	case sIFBLK:
		return ftBlk
	case sIFIFO:
		return ftFifo
	case sIFSOCK:
		return ftSock
	case sIFLNK:
		return ftSymlink
	}
	return 0
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c is the kernel's crc32c(seed, data): no pre- or post-inversion,
// unlike hash/crc32's Update.
func crc32c(seed uint32, b []byte) uint32 {
	return ^crc32.Update(^seed, castagnoli, b)
}

func crc32cLE32(seed, v uint32) uint32 {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	return crc32c(seed, b[:])
}

// timestamp is seconds and nanoseconds; stored as a 32-bit signed seconds
// field plus an extra word holding nanoseconds<<2 and two epoch bits, which
// extend the range to 2446.
type timestamp struct {
	sec  int64
	nsec uint32
}

// The format reaches 2446, but e2fsck takes times from 2310-04-04 to 2378
// (epoch bits 3 with the sign bit set) for mis-encoded pre-1970 dates, so
// later times are clamped to just before that.
const (
	minTime = -1 << 31
	maxTime = 3<<32 - 1<<31 - 1
)

func makeTimestamp(t time.Time) timestamp {
	if t.IsZero() {
		return timestamp{}
	}
	s := t.Unix()
	switch {
	case s < minTime:
		return timestamp{sec: minTime}
	case s > maxTime:
		return timestamp{sec: maxTime, nsec: 999999999}
	}
	return timestamp{sec: s, nsec: uint32(t.Nanosecond())}
}

func (t timestamp) encode() (lo, extra uint32) {
	lo = uint32(t.sec)
	epoch := uint32((t.sec-int64(int32(lo)))>>32) & 3
	return lo, t.nsec<<2 | epoch
}

// inode is the in-memory form of an inode until Close writes the tables.
type inode struct {
	mode       uint16
	links      uint32
	uid, gid   uint32
	flags      uint32
	xattrBlock uint32
	size       uint64
	blocks     uint64 // filesystem blocks owned (data, tree, xattr)
	atime      timestamp
	ctime      timestamp
	mtime      timestamp
	crtime     timestamp
	block      [60]byte
	xattrs     []byte // in-inode xattr area (after the extra fields), or nil
	dir        *dir
}

func (in *inode) isDir() bool { return uint32(in.mode)&sIFMT == sIFDIR }

// encode writes the on-disk inode ino into b (inodeSize bytes, zeroed).
func (in *inode) encode(b []byte, ino uint32, seed uint32) {
	le := binary.LittleEndian
	le.PutUint16(b[0x0:], in.mode)
	le.PutUint16(b[0x2:], uint16(in.uid))
	le.PutUint32(b[0x4:], uint32(in.size))
	put := func(off, extraOff int, t timestamp) {
		lo, extra := t.encode()
		le.PutUint32(b[off:], lo)
		le.PutUint32(b[extraOff:], extra)
	}
	put(0x08, 0x8C, in.atime)
	put(0x0C, 0x84, in.ctime)
	put(0x10, 0x88, in.mtime)
	put(0x90, 0x94, in.crtime)
	le.PutUint16(b[0x18:], uint16(in.gid))
	links := in.links
	if in.isDir() && links >= maxLinks {
		links = 1 // dir_nlink: "many"
	}
	le.PutUint16(b[0x1A:], uint16(links))
	sectors := in.blocks * (blockSize / 512)
	le.PutUint32(b[0x1C:], uint32(sectors))
	le.PutUint32(b[0x20:], in.flags)
	copy(b[0x28:0x64], in.block[:])
	le.PutUint32(b[0x68:], in.xattrBlock)
	le.PutUint32(b[0x6C:], uint32(in.size>>32))
	le.PutUint16(b[0x74:], uint16(sectors>>32))
	le.PutUint16(b[0x78:], uint16(in.uid>>16))
	le.PutUint16(b[0x7A:], uint16(in.gid>>16))
	le.PutUint16(b[0x80:], extraIsize)
	if in.xattrs != nil {
		copy(b[inlineXattrOff:], in.xattrs)
	}
	c := crc32cLE32(seed, ino)
	c = crc32cLE32(c, 0) // i_generation
	c = crc32c(c, b[:inodeSize])
	le.PutUint16(b[0x7C:], uint16(c))
	le.PutUint16(b[0x82:], uint16(c>>16))
}

// inodeSeed is the checksum seed for metadata owned by inode ino.
func inodeSeed(seed, ino uint32) uint32 {
	return crc32cLE32(crc32cLE32(seed, ino), 0)
}
