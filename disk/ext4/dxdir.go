package ext4

import (
	"fmt"
	"sort"
)

// Directories larger than one block get a hashed index (htree): block 0 is
// the dx root, then interior index blocks if one root does not suffice,
// then leaf blocks holding the entries sorted by hash.

const (
	flagIndex     = 0x1000 // EXT4_INDEX_FL
	dxTailSize    = 8
	dxRootLimit   = (blockSize - 32 - dxTailSize) / 8
	dxNodeLimit   = (blockSize - 8 - dxTailSize) / 8
	dxHashVersion = 1 // half MD4
)

type hashedEntry struct {
	major, minor uint32
	e            *dirent
}

// leaf is a run of sorted entries stored in one block.
type leaf struct {
	first, end int
	hash       uint32 // lower bound of the hashes in the leaf
}

// linearBlocks is the number of blocks the entries take unindexed.
func linearBlocks(entries []dirent) int {
	n, off := 1, 12+12 // "." and ".."
	for _, e := range entries {
		rec := pad4(8 + len(e.name))
		if off+rec > blockSize-dirTailSize {
			n, off = n+1, 0
		}
		off += rec
	}
	return n
}

func (w *Writer) writeIndexedDir(ino uint32, in *inode) error {
	hs := make([]hashedEntry, len(in.dir.entries))
	for i := range in.dir.entries {
		e := &in.dir.entries[i]
		hs[i].major, hs[i].minor = dirHash(e.name, &w.hashSeed)
		hs[i].e = e
	}
	sort.Slice(hs, func(i, j int) bool {
		a, b := hs[i], hs[j]
		if a.major != b.major {
			return a.major < b.major
		}
		if a.minor != b.minor {
			return a.minor < b.minor
		}
		return a.e.name < b.e.name
	})
	leaves := packLeaves(hs)
	// Interior nodes when the root cannot point at every leaf.
	var nodes [][]leaf
	levels := 0
	if len(leaves) > dxRootLimit {
		levels = 1
		for i := 0; i < len(leaves); i += dxNodeLimit {
			nodes = append(nodes, leaves[i:min(i+dxNodeLimit, len(leaves))])
		}
		if len(nodes) > dxRootLimit {
			return fmt.Errorf("directory of %d entries: %w", len(hs), ErrTooLarge)
		}
	}
	seed := inodeSeed(w.seed, ino)
	b := make([]byte, blockSize)
	var ext extents
	var nblocks uint32
	emit := func() error {
		pblk, err := w.a.append(b)
		if err != nil {
			return err
		}
		ext.add(nblocks, pblk, 1)
		nblocks++
		clear(b)
		return nil
	}
	firstLeaf := uint32(1 + len(nodes))
	// Root: "." and ".." then dx_root_info and the entries.
	le32(b[0:], ino)
	le16(b[4:], 12)
	b[6], b[7], b[8] = 1, ftDir, '.'
	le32(b[12:], in.dir.parent)
	le16(b[16:], blockSize-12)
	b[18], b[19], b[20], b[21] = 2, ftDir, '.', '.'
	b[24+4] = dxHashVersion
	b[24+5] = 8 // info length
	b[24+6] = uint8(levels)
	if levels == 0 {
		putDxEntries(b, 32, dxRootLimit, leafRefs(leaves, firstLeaf), seed)
	} else {
		var refs []dxRef
		for i, n := range nodes {
			refs = append(refs, dxRef{hash: n[0].hash, block: uint32(1 + i)})
		}
		putDxEntries(b, 32, dxRootLimit, refs, seed)
	}
	if err := emit(); err != nil {
		return err
	}
	next := firstLeaf
	for _, n := range nodes {
		le16(b[4:], blockSize) // empty fake dirent spanning the block
		putDxEntries(b, 8, dxNodeLimit, leafRefs(n, next), seed)
		next += uint32(len(n))
		if err := emit(); err != nil {
			return err
		}
	}
	for _, l := range leaves {
		off, last := 0, 0
		for _, h := range hs[l.first:l.end] {
			rec := pad4(8 + len(h.e.name))
			le32(b[off:], h.e.ino)
			le16(b[off+4:], uint16(rec))
			b[off+6] = uint8(len(h.e.name))
			b[off+7] = h.e.ft
			copy(b[off+8:], h.e.name)
			last, off = off, off+rec
		}
		le16(b[last+4:], uint16(blockSize-dirTailSize-last))
		putDirTail(b, seed)
		if err := emit(); err != nil {
			return err
		}
	}
	in.size = uint64(nblocks) * blockSize
	in.flags |= flagExtents | flagIndex
	in.dir.entries = nil
	return w.finishExtents(ino, in, ext)
}

// packLeaves fills leaf blocks in hash order, never splitting a run of
// equal hashes when a fresh block can hold it, so no leaf needs the
// index's collision bit.
func packLeaves(hs []hashedEntry) []leaf {
	var leaves []leaf
	cur := leaf{}
	off := 0
	for i := 0; i < len(hs); {
		j, size := i, 0
		for j < len(hs) && hs[j].major == hs[i].major {
			size += pad4(8 + len(hs[j].e.name))
			j++
		}
		if off+size > blockSize-dirTailSize && off > 0 {
			cur.end = i
			leaves = append(leaves, cur)
			cur, off = leaf{first: i, hash: hs[i].major}, 0
		}
		// A run larger than a block (absurdly many collisions) spills over.
		for k := i; k < j; k++ {
			rec := pad4(8 + len(hs[k].e.name))
			if off+rec > blockSize-dirTailSize {
				cur.end = k
				leaves = append(leaves, cur)
				cur, off = leaf{first: k, hash: hs[k].major | 1}, 0
			}
			off += rec
		}
		i = j
	}
	cur.end = len(hs)
	leaves = append(leaves, cur)
	leaves[0].hash = 0
	return leaves
}

type dxRef struct{ hash, block uint32 }

func leafRefs(ls []leaf, first uint32) []dxRef {
	refs := make([]dxRef, len(ls))
	for i, l := range ls {
		refs[i] = dxRef{hash: l.hash, block: first + uint32(i)}
	}
	return refs
}

// putDxEntries writes limit, count and the entries at off (the first
// entry's hash slot holds limit and count), then the checksum tail.
func putDxEntries(b []byte, off, limit int, refs []dxRef, seed uint32) {
	le16(b[off:], uint16(limit))
	le16(b[off+2:], uint16(len(refs)))
	for i, r := range refs {
		if i > 0 {
			le32(b[off+8*i:], r.hash)
		}
		le32(b[off+8*i+4:], r.block)
	}
	size := off + 8*len(refs)
	tail := off + 8*limit
	c := crc32c(seed, b[:size])
	c = crc32c(c, b[tail:tail+8]) // dt_reserved and a zero checksum
	le32(b[tail+4:], c)
}

func putDirTail(b []byte, seed uint32) {
	t := blockSize - dirTailSize
	le16(b[t+4:], dirTailSize)
	b[t+7] = 0xDE
	le32(b[t+8:], crc32c(seed, b[:t]))
}
