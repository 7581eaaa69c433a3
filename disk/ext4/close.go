package ext4

import (
	"fmt"
	"slices"
)

// geometry is the group layout decided at Close.
type geometry struct {
	groups     uint64
	bpg        uint64 // blocks per group
	ipg        uint64 // inodes per group
	itb        uint64 // inode table blocks per group
	blocks     uint64 // total blocks
	dataStart  uint64 // first block after the reserved descriptors
	metaStart  uint64 // first block bitmap; inode bitmaps and tables follow
	metaEnd    uint64
	gdtBlocks  uint64 // descriptor blocks in use
	usedInodes uint64
}

func (g *geometry) blockBitmap(i uint64) uint64 { return g.metaStart + i }
func (g *geometry) inodeBitmap(i uint64) uint64 { return g.metaStart + g.groups + i }
func (g *geometry) inodeTable(i uint64) uint64  { return g.metaStart + 2*g.groups + i*g.itb }

// Close writes directories, bitmaps, inode tables, group descriptors and the
// superblock, and returns the image's statistics.
func (w *Writer) Close() (Stats, error) {
	if w.err != nil {
		return Stats{}, w.err
	}
	st, err := w.close()
	if err != nil {
		w.err = fmt.Errorf("closing ext4 image: %w", err)
		return Stats{}, w.err
	}
	w.err = ErrClosed
	return st, nil
}

func (w *Writer) close() (Stats, error) {
	dataBlocks := w.a.next - (1 + w.gdtBlocks)
	for ino := uint32(1); ino <= w.inodes.len(); ino++ {
		if in := w.inodes.get(ino); in.dir != nil {
			if err := w.writeDir(ino, in); err != nil {
				return Stats{}, fmt.Errorf("writing directories: %w", err)
			}
		}
	}
	g, err := w.layout()
	if err != nil {
		return Stats{}, err
	}
	descs := make([]byte, g.gdtBlocks*blockSize)
	if err := w.writeBitmaps(g, descs); err != nil {
		return Stats{}, err
	}
	if err := w.writeInodeTables(g, descs); err != nil {
		return Stats{}, err
	}
	if err := w.a.flush(); err != nil {
		return Stats{}, err
	}
	for i := uint64(0); i < g.groups; i++ {
		d := descs[i*descSize : (i+1)*descSize]
		c := crc32c(crc32cLE32(w.seed, uint32(i)), d) // bg_checksum still zero
		le16(d[descSize-2:], uint16(c))
	}
	if w.a.end < g.blocks {
		// Give the image its full length: free blocks and unused inode
		// table blocks are otherwise unwritten.
		if err := w.a.writeAt(zeroBlock[:], g.blocks-1); err != nil {
			return Stats{}, err
		}
	}
	if err := w.a.writeAt(descs, 1); err != nil {
		return Stats{}, err
	}
	w.a.sum.Write(descs)
	w.a.sum.Write([]byte(w.o.label))
	uuid := w.uuid()
	free := g.blocks - (1 + g.gdtBlocks) - (g.metaEnd - g.dataStart) + uint64(len(w.freed))
	sb := make([]byte, blockSize)
	w.superblock(sb[1024:2048], g, uuid, free)
	if err := w.finishJournal(sb[1024:2048], uuid); err != nil {
		return Stats{}, err
	}
	le32(sb[1024+0x3FC:], crc32c(^uint32(0), sb[1024:1024+0x3FC]))
	if err := w.a.writeAt(sb, 0); err != nil {
		return Stats{}, err
	}
	return Stats{
		Size:        int64(g.blocks) * blockSize,
		Blocks:      g.blocks,
		FreeBlocks:  free,
		Inodes:      uint32(g.groups * g.ipg),
		UsedInodes:  uint32(g.usedInodes),
		BlockSize:   blockSize,
		UUID:        uuid,
		DataBlocks:  dataBlocks,
		MetaBlocks:  g.metaEnd - g.dataStart - dataBlocks,
		ReservedGDT: w.gdtBlocks - g.gdtBlocks,
	}, nil
}

func (w *Writer) uuid() [16]byte {
	if w.o.uuid != nil {
		return *w.o.uuid
	}
	var u [16]byte
	copy(u[:], w.a.sum.Sum(nil))
	u[6] = u[6]&0x0f | 0x80 // version 8: custom (content hash)
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u
}

// layout chooses the number of groups and inodes per group so that the
// content, its metadata and the requested free space fit.
func (w *Writer) layout() (*geometry, error) {
	if w.o.size > 0 {
		return w.fixedLayout()
	}
	used := uint64(w.inodes.len())
	want := used + max(16, uint64(w.o.freeBytes)/16384)
	if want > maxInodes {
		return nil, ErrTooManyInodes
	}
	dataEnd := w.a.next
	free := (uint64(w.o.freeBytes) + blockSize - 1) / blockSize
	for groups := uint64(1); ; groups++ {
		ipg := (want + groups - 1) / groups
		ipg = max(16, (ipg+15)&^15) // whole bitmap bytes, whole table blocks
		if ipg > 8*blockSize {
			continue
		}
		itb := ipg * inodeSize / blockSize
		metaEnd := dataEnd + groups*(2+itb)
		total := metaEnd + free
		if need := (total + blocksPerGroup - 1) / blocksPerGroup; need > groups {
			continue
		}
		// When the inodes, not the blocks, need this many groups, shrink
		// the groups rather than pad the image to fill the last one; each
		// group must still hold its inode table and bitmaps (e2fsck).
		bpg := uint64(blocksPerGroup)
		if groups > 1 {
			bpg = min(bpg, max(((total+groups-1)/groups+7)&^7, (itb+4+7)&^7))
		}
		total = max(total, (groups-1)*bpg+1)
		g := &geometry{
			groups: groups, ipg: ipg, itb: itb, blocks: total, bpg: bpg,
			dataStart: 1 + w.gdtBlocks, metaStart: dataEnd, metaEnd: metaEnd,
			gdtBlocks:  (groups + descsPerBlock - 1) / descsPerBlock,
			usedInodes: used,
		}
		if g.gdtBlocks > w.gdtBlocks || total > w.a.limit || groups*ipg > maxInodes {
			return nil, fmt.Errorf("%d blocks in %d groups: %w (raise WithMaxSize)", total, groups, ErrTooLarge)
		}
		return g, nil
	}
}

// fixedLayout is layout for an image of exactly WithSize bytes: full
// groups (the last one shorter), one inode per 16 KiB of free space.
func (w *Writer) fixedLayout() (*geometry, error) {
	used := uint64(w.inodes.len())
	total := uint64(w.o.size) / blockSize
	dataEnd := w.a.next
	if dataEnd >= total {
		return nil, fmt.Errorf("content of %d blocks in an image of %d: %w", dataEnd, total, ErrTooLarge)
	}
	groups := (total + blocksPerGroup - 1) / blocksPerGroup
	want := min(used+max(16, (total-dataEnd)*blockSize/16384), maxInodes)
	ipg := (want + groups - 1) / groups
	ipg = min(8*blockSize, max(16, (ipg+15)&^15))
	itb := ipg * inodeSize / blockSize
	metaEnd := dataEnd + groups*(2+itb)
	switch {
	case groups*ipg < used:
		return nil, fmt.Errorf("%d inodes in %d groups: %w", used, groups, ErrTooManyInodes)
	case metaEnd > total:
		return nil, fmt.Errorf("content and metadata of %d blocks in an image of %d: %w", metaEnd, total, ErrTooLarge)
	}
	g := &geometry{
		groups: groups, ipg: ipg, itb: itb, blocks: total, bpg: blocksPerGroup,
		dataStart: 1 + w.gdtBlocks, metaStart: dataEnd, metaEnd: metaEnd,
		gdtBlocks:  (groups + descsPerBlock - 1) / descsPerBlock,
		usedInodes: used,
	}
	if g.gdtBlocks > w.gdtBlocks {
		return nil, fmt.Errorf("%d blocks in %d groups: %w (raise WithMaxSize)", total, groups, ErrTooLarge)
	}
	return g, nil
}

// writeBitmaps appends the block bitmaps then the inode bitmaps, and fills
// in their part of the group descriptors.
func (w *Writer) writeBitmaps(g *geometry, descs []byte) error {
	slices.Sort(w.freed)
	b := w.buf[:blockSize]
	for i := uint64(0); i < g.groups; i++ {
		clear(b)
		first := i * g.bpg
		var free uint64
		for bit := uint64(0); bit < 8*blockSize; bit++ {
			blk := first + bit
			if bit >= g.bpg || blk >= g.blocks || w.blockUsed(g, blk) {
				b[bit/8] |= 1 << (bit % 8)
			} else {
				free++
			}
		}
		d := descs[i*descSize:]
		le32(d[0x00:], uint32(g.blockBitmap(i)))
		le32(d[0x04:], uint32(g.inodeBitmap(i)))
		le32(d[0x08:], uint32(g.inodeTable(i)))
		le16(d[0x0C:], uint16(free))
		le16(d[0x18:], uint16(crc32c(w.seed, b[:g.bpg/8])))
		if _, err := w.a.append(b); err != nil {
			return err
		}
	}
	for i := uint64(0); i < g.groups; i++ {
		clear(b)
		var free uint64
		for bit := uint64(0); bit < 8*blockSize; bit++ {
			ino := i*g.ipg + bit + 1
			if bit >= g.ipg || ino <= g.usedInodes {
				b[bit/8] |= 1 << (bit % 8)
			} else {
				free++
			}
		}
		d := descs[i*descSize:]
		le16(d[0x0E:], uint16(free))
		le16(d[0x1A:], uint16(crc32c(w.seed, b[:g.ipg/8])))
		if _, err := w.a.append(b); err != nil {
			return err
		}
	}
	return nil
}

func (w *Writer) blockUsed(g *geometry, blk uint64) bool {
	switch {
	case blk <= g.gdtBlocks: // superblock and descriptors
		return true
	case blk < g.dataStart || blk >= g.metaEnd:
		return false
	}
	_, found := slices.BinarySearch(w.freed, blk)
	return !found
}

// writeInodeTables appends every group's inode table. Only the blocks up to
// the group's last used inode are written; the rest are left unwritten
// (holes in a new file) and marked unused in the descriptor, which the
// kernel and e2fsck honour with metadata_csum, so large free space does not
// cost writing zeros.
func (w *Writer) writeInodeTables(g *geometry, descs []byte) error {
	const perChunk = appendBuf / inodeSize
	const perBlock = blockSize / inodeSize
	for i := uint64(0); i < g.groups; i++ {
		first := i * g.ipg
		used := min(g.ipg, g.usedInodes-min(g.usedInodes, first))
		written := (used + perBlock - 1) / perBlock * perBlock
		var dirs uint16
		for off := uint64(0); off < written; off += perChunk {
			n := min(perChunk, written-off)
			b := w.buf[:n*inodeSize]
			clear(b)
			for j := uint64(0); j < n && off+j < used; j++ {
				ino := uint32(first + off + j + 1)
				in := w.inodes.get(ino)
				if in.mode == 0 {
					continue // reserved inode
				}
				if in.isDir() {
					dirs++
				}
				in.encode(b[j*inodeSize:(j+1)*inodeSize], ino, w.seed)
			}
			if _, err := w.a.append(b); err != nil {
				return err
			}
		}
		if err := w.a.skip((g.ipg - written) / perBlock); err != nil {
			return err
		}
		d := descs[i*descSize:]
		le16(d[0x10:], dirs)
		le16(d[0x1C:], uint16(g.ipg-used)) // bg_itable_unused
		if written == g.ipg {
			le16(d[0x12:], 0x4) // EXT4_BG_INODE_ZEROED
		}
	}
	return nil
}

// superblock fills the 1024-byte superblock.
func (w *Writer) superblock(b []byte, g *geometry, uuid [16]byte, free uint64) {
	t := makeTimestamp(w.o.time)
	le32(b[0x00:], uint32(g.groups*g.ipg))
	le32(b[0x04:], uint32(g.blocks))
	le32(b[0x0C:], uint32(free))
	le32(b[0x10:], uint32(g.groups*g.ipg-g.usedInodes))
	le32(b[0x14:], 0) // first data block
	le32(b[0x18:], 2) // log2(block size) - 10
	le32(b[0x1C:], 2)
	le32(b[0x20:], uint32(g.bpg))
	le32(b[0x24:], uint32(g.bpg))
	le32(b[0x28:], uint32(g.ipg))
	le32(b[0x2C:], uint32(t.sec)) // mtime
	le32(b[0x30:], uint32(t.sec)) // wtime
	le16(b[0x36:], 0xFFFF)        // max mount count: no forced checks
	le16(b[0x38:], 0xEF53)
	le16(b[0x3A:], 1) // clean
	le16(b[0x3C:], 1) // errors: continue
	le32(b[0x40:], uint32(t.sec))
	le32(b[0x4C:], 1) // dynamic revision
	le32(b[0x54:], firstIno)
	le16(b[0x58:], inodeSize)
	le32(b[0x5C:], compatExtAttr|compatDirIndex|compatSparseSuper2)
	le32(b[0x60:], incompatFiletype|incompatExtents|incompatFlexBG|incompatCsumSeed)
	ro := uint32(roCompatSparseSuper | roCompatLargeFile | roCompatHugeFile |
		roCompatDirNlink | roCompatExtraIsize | roCompatMetadataCsum)
	if w.o.readOnly {
		ro |= roCompatReadonly
	}
	le32(b[0x64:], ro)
	copy(b[0x68:0x78], uuid[:])
	copy(b[0x78:0x88], w.o.label)
	for i, v := range w.hashSeed {
		le32(b[0xEC+4*i:], v)
	}
	b[0xFC] = 1                    // half_md4
	le32(b[0x108:], uint32(t.sec)) // mkfs time
	le16(b[0x15C:], extraIsize)
	le16(b[0x15E:], extraIsize)
	le32(b[0x160:], 1) // signed directory hash, as on x86
	b[0x174] = 4       // 16 groups per flex group
	b[0x175] = 1       // crc32c
	le32(b[0x270:], w.seed)
	hi := uint8(uint64(t.sec) >> 32)
	if t.sec < 0 {
		hi = 0
	}
	b[0x274], b[0x275], b[0x276], b[0x277] = hi, hi, hi, hi // wtime, mtime, mkfs, lastcheck
	le32(b[0x3FC:], crc32c(^uint32(0), b[:0x3FC]))
}
