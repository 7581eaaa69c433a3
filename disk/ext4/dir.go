package ext4

// Directories are linear: entries packed into blocks in the order they were
// added, each block ending in a checksum tail.

const dirTailSize = 12

// writeDir stores directory ino's entries in consecutive blocks.
func (w *Writer) writeDir(ino uint32, in *inode) error {
	if linearBlocks(in.dir.entries) > 1 {
		return w.writeIndexedDir(ino, in)
	}
	seed := inodeSeed(w.seed, ino)
	b := w.buf[:blockSize]
	clear(b)
	var ext extents
	var nblocks uint32
	off, last := 0, -1
	flush := func() error {
		if last >= 0 {
			le16(b[last+4:], uint16(blockSize-dirTailSize-last))
		}
		putDirTail(b, seed)
		pblk, err := w.a.append(b)
		if err != nil {
			return err
		}
		ext.add(nblocks, pblk, 1)
		nblocks++
		clear(b)
		off, last = 0, -1
		return nil
	}
	put := func(name string, child uint32, ft uint8) error {
		rec := pad4(8 + len(name))
		if off+rec > blockSize-dirTailSize {
			if err := flush(); err != nil {
				return err
			}
		}
		le32(b[off:], child)
		le16(b[off+4:], uint16(rec))
		b[off+6] = uint8(len(name))
		b[off+7] = ft
		copy(b[off+8:], name)
		last, off = off, off+rec
		return nil
	}
	if err := put(".", ino, ftDir); err != nil {
		return err
	}
	if err := put("..", in.dir.parent, ftDir); err != nil {
		return err
	}
	for _, e := range in.dir.entries {
		if err := put(e.name, e.ino, e.ft); err != nil {
			return err
		}
	}
	if err := flush(); err != nil {
		return err
	}
	in.size = uint64(nblocks) * blockSize
	in.flags |= flagExtents
	in.dir.entries = nil
	return w.finishExtents(ino, in, ext)
}
