package ext4

import "fmt"

// An extent maps up to maxExtentLen logical blocks to physical ones.
type extent struct {
	lblk uint32
	len  uint16
	pblk uint64
}

const (
	maxExtentLen     = 32768
	extentMagic      = 0xF30A
	extentsPerBlock  = (blockSize - 12 - 4) / 12 // header and checksum tail
	extentsPerInode  = 4
	extentHeaderSize = 12
)

type extents []extent

// add maps n blocks at lblk to pblk, extending the last extent when both
// are contiguous.
func (e *extents) add(lblk uint32, pblk uint64, n uint32) {
	for n > 0 {
		if k := len(*e); k > 0 {
			last := &(*e)[k-1]
			if last.lblk+uint32(last.len) == lblk && last.pblk+uint64(last.len) == pblk && last.len < maxExtentLen {
				m := min(n, maxExtentLen-uint32(last.len))
				last.len += uint16(m)
				lblk, pblk, n = lblk+m, pblk+uint64(m), n-m
				continue
			}
		}
		m := min(n, maxExtentLen)
		*e = append(*e, extent{lblk: lblk, len: uint16(m), pblk: pblk})
		lblk, pblk, n = lblk+m, pblk+uint64(m), n-m
	}
}

// treeEntry is one 12-byte extent or index entry with its first block.
type treeEntry struct {
	lblk uint32
	raw  [12]byte
}

// finishExtents stores the extent tree of inode ino: up to four extents sit
// in i_block; more go to leaf blocks (and index blocks above them), written
// now, after the data, so the tree is as shallow and narrow as possible.
func (w *Writer) finishExtents(ino uint32, in *inode, ext extents) error {
	entries := make([]treeEntry, len(ext))
	var data uint64
	for i, x := range ext {
		e := &entries[i]
		e.lblk = x.lblk
		le32(e.raw[0:], x.lblk)
		le16(e.raw[4:], x.len)
		le16(e.raw[6:], uint16(x.pblk>>32))
		le32(e.raw[8:], uint32(x.pblk))
		data += uint64(x.len)
	}
	in.blocks += data
	depth := 0
	seed := inodeSeed(w.seed, ino)
	for len(entries) > extentsPerInode {
		var up []treeEntry
		for i := 0; i < len(entries); i += extentsPerBlock {
			chunk := entries[i:min(i+extentsPerBlock, len(entries))]
			b := w.buf[:blockSize]
			clear(b)
			putExtentNode(b, chunk, extentsPerBlock, depth)
			tail := extentHeaderSize + 12*extentsPerBlock
			le32(b[tail:], crc32c(seed, b[:tail]))
			pblk, err := w.a.append(b)
			if err != nil {
				return err
			}
			in.blocks++
			var ix treeEntry
			ix.lblk = chunk[0].lblk
			le32(ix.raw[0:], chunk[0].lblk)
			le32(ix.raw[4:], uint32(pblk))
			le16(ix.raw[8:], uint16(pblk>>32))
			up = append(up, ix)
		}
		entries = up
		depth++
		if depth > 5 {
			return fmt.Errorf("extent tree too deep: %w", ErrTooLarge)
		}
	}
	putExtentNode(in.block[:], entries, extentsPerInode, depth)
	return nil
}

func putExtentNode(b []byte, entries []treeEntry, max, depth int) {
	le16(b[0:], extentMagic)
	le16(b[2:], uint16(len(entries)))
	le16(b[4:], uint16(max))
	le16(b[6:], uint16(depth))
	for i, e := range entries {
		copy(b[extentHeaderSize+12*i:], e.raw[:])
	}
}
