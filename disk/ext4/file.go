package ext4

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

func le32(b []byte, v uint32) { binary.LittleEndian.PutUint32(b, v) }
func le16(b []byte, v uint16) { binary.LittleEndian.PutUint16(b, v) }

const maxFileBlocks = 1<<32 - 1 // logical block numbers are 32-bit

var zeroBlock [blockSize]byte

// writeFile streams size bytes of r into newly allocated blocks. Blocks of
// zeros are left unallocated (holes), which also keeps tar sparse files
// sparse: archive/tar reads their holes as zeros.
func (w *Writer) writeFile(ino uint32, in *inode, r io.Reader, size int64) error {
	nblocks := (uint64(size) + blockSize - 1) / blockSize
	if size < 0 || nblocks > maxFileBlocks {
		return fmt.Errorf("file size %d: %w", size, ErrTooLarge)
	}
	var ext extents
	var lblk uint64
	for remaining := size; remaining > 0; {
		n := int64(len(w.buf))
		if remaining < n {
			n = remaining
		}
		chunk := w.buf[:n]
		if _, err := io.ReadFull(r, chunk); err != nil {
			return fmt.Errorf("reading file data: %w", err)
		}
		remaining -= n
		if pad := n % blockSize; pad != 0 {
			chunk = w.buf[:n+blockSize-pad]
			clear(chunk[n:])
		}
		if err := w.storeChunk(&ext, lblk, chunk); err != nil {
			return err
		}
		lblk += uint64(len(chunk) / blockSize)
	}
	in.size = uint64(size)
	in.flags |= flagExtents
	return w.finishExtents(ino, in, ext)
}

// storeChunk writes the non-zero blocks of chunk, which starts at logical
// block lblk, in runs.
func (w *Writer) storeChunk(ext *extents, lblk uint64, chunk []byte) error {
	nb := len(chunk) / blockSize
	for i := 0; i < nb; {
		if bytes.Equal(chunk[i*blockSize:(i+1)*blockSize], zeroBlock[:]) {
			i++
			continue
		}
		j := i + 1
		for j < nb && !bytes.Equal(chunk[j*blockSize:(j+1)*blockSize], zeroBlock[:]) {
			j++
		}
		pblk, err := w.a.append(chunk[i*blockSize : j*blockSize])
		if err != nil {
			return err
		}
		ext.add(uint32(lblk)+uint32(i), pblk, uint32(j-i))
		i = j
	}
	return nil
}

func (w *Writer) writeSymlink(ino uint32, in *inode, target string) error {
	switch {
	case len(target) == 0:
		return fmt.Errorf("empty symlink target: %w", ErrUnsupported)
	case len(target) >= blockSize:
		return fmt.Errorf("symlink target of %d bytes: %w", len(target), ErrSymlinkTooLong)
	}
	in.size = uint64(len(target))
	if len(target) < len(in.block) {
		copy(in.block[:], target) // fast symlink: target in i_block
		return nil
	}
	b := w.buf[:blockSize]
	clear(b)
	copy(b, target)
	pblk, err := w.a.append(b)
	if err != nil {
		return err
	}
	var ext extents
	ext.add(0, pblk, 1)
	in.flags |= flagExtents
	return w.finishExtents(ino, in, ext)
}
