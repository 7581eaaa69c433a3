package ext4

import (
	"encoding/binary"
	"fmt"
)

// The journal (jbd2) of a filesystem the kernel writes to: inode 8, its
// blocks contiguous right after the group descriptors, a version 2
// journal superblock in the first block and zeros (holes) after it. The
// journal is empty (s_start 0), so the first mount replays nothing; after
// a crash the kernel, or e2fsck, replays what the guest committed.
const (
	journalIno        = 8
	compatHasJournal  = 0x4
	jbd2Magic         = 0xC03B3998
	jbd2SuperblockV2  = 4
	jnlBackupBlocks   = 1 // s_jnl_backup_type: s_jnl_blocks holds i_block
	minJournalBlocks  = 1024
	maxJournalBlocks  = 1 << 18 // 1 GiB, mke2fs's largest default
	journalFirstBlock = 1
)

// DefaultJournalBlocks is mke2fs's journal size for a filesystem of size
// bytes with 4 KiB blocks: 4 MiB up to 128 MiB, growing to 1 GiB from
// 128 GiB up. It is 0 for filesystems too small for a journal (8 MiB).
func DefaultJournalBlocks(size int64) int {
	blocks := size / blockSize
	switch {
	case blocks < 2048:
		return 0
	case blocks < 32768:
		return 1024
	case blocks < 256*1024:
		return 4096
	case blocks < 512*1024:
		return 8192
	case blocks < 4096*1024:
		return 16384
	case blocks < 8192*1024:
		return 32768
	case blocks < 16384*1024:
		return 65536
	case blocks < 32768*1024:
		return 131072
	}
	return maxJournalBlocks
}

// WithJournal gives the filesystem a journal of n blocks (1024 to 262144;
// DefaultJournalBlocks picks mke2fs's size), for images the kernel mounts
// read-write and must find consistent after a crash (data disks). Without
// it the image has no journal, as a read-only pod filesystem needs none.
func WithJournal(blocks int) Option {
	return func(o *options) error {
		if blocks < minJournalBlocks || blocks > maxJournalBlocks {
			return fmt.Errorf("journal of %d blocks: want %d to %d: %w", blocks, minJournalBlocks, maxJournalBlocks, ErrBadOption)
		}
		o.journalBlocks = blocks
		return nil
	}
}

// addJournal allocates the journal's blocks, writes its superblock and
// makes inode 8 map them. Close rewrites the superblock with the
// filesystem's UUID once it is known.
func (w *Writer) addJournal(n uint64) error {
	jsb := w.journalSuperblock(n, [16]byte{})
	first, err := w.a.append(jsb)
	if err != nil {
		return fmt.Errorf("allocating the journal: %w", err)
	}
	if err := w.a.skip(n - 1); err != nil {
		return fmt.Errorf("allocating the journal: %w", err)
	}
	t := makeTimestamp(w.o.time)
	in := w.inodes.get(journalIno)
	*in = inode{
		mode: sIFREG | 0o600, links: 1, size: n * blockSize, flags: flagExtents,
		atime: t, ctime: t, mtime: t, crtime: t,
	}
	var ext extents
	ext.add(0, first, uint32(n))
	if err := w.finishExtents(journalIno, in, ext); err != nil {
		return fmt.Errorf("mapping the journal: %w", err)
	}
	w.journal = first
	return nil
}

// journalSuperblock is the first journal block (big-endian, as jbd2 has
// it): mke2fs's fields for an internal journal, nothing to replay.
func (w *Writer) journalSuperblock(n uint64, uuid [16]byte) []byte {
	b := make([]byte, blockSize)
	be := binary.BigEndian
	be.PutUint32(b[0x00:], jbd2Magic)
	be.PutUint32(b[0x04:], jbd2SuperblockV2)
	be.PutUint32(b[0x0C:], blockSize)
	be.PutUint32(b[0x10:], uint32(n)) // s_maxlen
	be.PutUint32(b[0x14:], journalFirstBlock)
	be.PutUint32(b[0x18:], 1) // s_sequence
	// s_start 0: the journal is empty.
	copy(b[0x30:0x40], uuid[:])
	be.PutUint32(b[0x40:], 1) // s_nr_users
	return b
}

// finishJournal rewrites the journal superblock with the filesystem's
// UUID, and fills in the superblock's journal fields (in b, the
// 1024-byte superblock).
func (w *Writer) finishJournal(b []byte, uuid [16]byte) error {
	if w.o.journalBlocks == 0 {
		return nil
	}
	n := uint64(w.o.journalBlocks)
	if err := w.a.writeAt(w.journalSuperblock(n, uuid), w.journal); err != nil {
		return err
	}
	le32(b[0x5C:], binary.LittleEndian.Uint32(b[0x5C:])|compatHasJournal)
	le32(b[0xE0:], journalIno)
	b[0xFD] = jnlBackupBlocks
	in := w.inodes.get(journalIno)
	for i := 0; i < 15; i++ {
		le32(b[0x10C+4*i:], binary.LittleEndian.Uint32(in.block[4*i:]))
	}
	le32(b[0x10C+4*15:], uint32(in.size>>32))
	le32(b[0x10C+4*16:], uint32(in.size))
	return nil
}
