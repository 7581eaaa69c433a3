package ext4

import (
	"archive/tar"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// meta is what a tar header says about an inode besides its type and data.
type meta struct {
	perm                uint16
	uid, gid            uint32
	atime, ctime, mtime timestamp
	xattrs              []xattr
}

const paxXattr = "SCHILY.xattr."

func headerMeta(h *tar.Header) (meta, error) {
	if h.Uid < 0 || h.Uid > math.MaxUint32 || h.Gid < 0 || h.Gid > math.MaxUint32 {
		return meta{}, fmt.Errorf("uid/gid %d/%d out of range: %w", h.Uid, h.Gid, ErrUnsupported)
	}
	m := meta{
		perm: uint16(h.Mode & 0o7777),
		uid:  uint32(h.Uid), gid: uint32(h.Gid),
		mtime: makeTimestamp(h.ModTime),
	}
	m.atime, m.ctime = m.mtime, m.mtime
	if !h.AccessTime.IsZero() {
		m.atime = makeTimestamp(h.AccessTime)
	}
	if !h.ChangeTime.IsZero() {
		m.ctime = makeTimestamp(h.ChangeTime)
	}
	var names []string
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, paxXattr) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		x, err := makeXattr(strings.TrimPrefix(k, paxXattr), []byte(h.PAXRecords[k]))
		if err != nil {
			return meta{}, err
		}
		m.xattrs = append(m.xattrs, x)
	}
	return m, nil
}

// setMeta applies m to in; extended attributes that do not fit in the inode
// go to a new block, and a block set before is released.
func (w *Writer) setMeta(in *inode, m meta) error {
	in.mode = in.mode&sIFMT | m.perm
	in.uid, in.gid = m.uid, m.gid
	in.atime, in.ctime, in.mtime, in.crtime = m.atime, m.ctime, m.mtime, m.mtime
	if in.xattrBlock != 0 {
		w.freed = append(w.freed, uint64(in.xattrBlock))
		in.xattrBlock = 0
		in.blocks--
	}
	in.xattrs = nil
	if len(m.xattrs) == 0 {
		return nil
	}
	inline, block, err := encodeXattrs(m.xattrs)
	if err != nil {
		return err
	}
	in.xattrs = inline
	if block != nil {
		blk := w.a.next
		finishXattrBlock(block, blk, w.seed)
		if _, err := w.a.append(block); err != nil {
			return err
		}
		in.xattrBlock = uint32(blk)
		in.blocks++
	}
	return nil
}

func (w *Writer) addEntry(prefix string, h *tar.Header, r io.Reader) error {
	p, err := cleanPath(h.Name)
	if err != nil {
		return err
	}
	full := joinPath(prefix, p)
	if err := checkNames(full); err != nil {
		return err
	}
	if h.Typeflag == tar.TypeLink {
		return w.addLink(prefix, full, h.Linkname)
	}
	m, err := headerMeta(h)
	if err != nil {
		return err
	}
	if h.Typeflag == tar.TypeDir {
		return w.addDir(full, m)
	}
	if full == "" {
		return fmt.Errorf("the root must be a directory: %w", ErrBadPath)
	}
	if _, ok := w.paths[full]; ok {
		return ErrDuplicate
	}
	in := inode{links: 1}
	switch h.Typeflag {
	case tar.TypeReg, '\x00', tar.TypeGNUSparse, tar.TypeCont: // contiguous files are regular files
		in.mode = sIFREG
		if h.Mode&sIFMT == sIFSOCK && h.Size == 0 {
			in.mode = sIFSOCK
		}
	case tar.TypeSymlink:
		in.mode = sIFLNK
	case tar.TypeChar, tar.TypeBlock:
		in.mode = sIFCHR
		if h.Typeflag == tar.TypeBlock {
			in.mode = sIFBLK
		}
		if h.Devmajor < 0 || h.Devmajor > 0xfff || h.Devminor < 0 || h.Devminor > 0xfffff {
			return fmt.Errorf("device %d:%d out of range: %w", h.Devmajor, h.Devminor, ErrUnsupported)
		}
		encodeDevice(&in.block, uint32(h.Devmajor), uint32(h.Devminor))
	case tar.TypeFifo:
		in.mode = sIFIFO
	default:
		return fmt.Errorf("type %q: %w", h.Typeflag, ErrUnsupported)
	}
	parent, _ := splitPath(full)
	pino, err := w.mkdirAll(parent)
	if err != nil {
		return err
	}
	ino, err := w.newInode(in)
	if err != nil {
		return err
	}
	ip := w.inodes.get(ino)
	if err := w.setMeta(ip, m); err != nil {
		return err
	}
	switch in.mode {
	case sIFREG:
		err = w.writeFile(ino, ip, r, h.Size)
	case sIFLNK:
		err = w.writeSymlink(ino, ip, h.Linkname)
	}
	if err != nil {
		return err
	}
	w.link(full, pino, ino)
	return nil
}

// addDir creates a directory or, when it exists, updates its metadata.
func (w *Writer) addDir(full string, m meta) error {
	if ino, ok := w.paths[full]; ok {
		in := w.inodes.get(ino)
		if !in.isDir() {
			return ErrDuplicate
		}
		return w.setMeta(in, m)
	}
	parent, _ := splitPath(full)
	pino, err := w.mkdirAll(parent)
	if err != nil {
		return err
	}
	_, err = w.mkdir(full, pino, m.perm, m)
	return err
}

func (w *Writer) addLink(prefix, full, target string) error {
	t, err := cleanPath(target)
	if err != nil {
		return fmt.Errorf("link target %q: %w", target, err)
	}
	tino, ok := w.paths[joinPath(prefix, t)]
	if !ok || w.inodes.get(tino).isDir() {
		return fmt.Errorf("link target %q: %w", target, ErrLinkTarget)
	}
	if full == "" {
		return fmt.Errorf("the root must be a directory: %w", ErrBadPath)
	}
	if _, ok := w.paths[full]; ok {
		return ErrDuplicate
	}
	if w.inodes.get(tino).links >= maxLinks {
		return fmt.Errorf("link target %q has %d links: %w", target, maxLinks, ErrUnsupported)
	}
	parent, _ := splitPath(full)
	pino, err := w.mkdirAll(parent)
	if err != nil {
		return err
	}
	w.inodes.get(tino).links++
	w.link(full, pino, tino)
	return nil
}

// encodeDevice stores a device number the way the kernel does: the old
// 16-bit form in i_block[0] when it fits, else the new form in i_block[1].
func encodeDevice(b *[60]byte, major, minor uint32) {
	if major < 256 && minor < 256 {
		le32(b[0:], major<<8|minor)
		return
	}
	le32(b[4:], minor&0xff|major<<8|(minor&^0xff)<<12)
}
