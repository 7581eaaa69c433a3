package ext4

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Writer builds one ext4 filesystem from any number of tar streams.
type Writer struct {
	o         options
	a         *appender
	seed      uint32    // metadata checksum seed (s_checksum_seed)
	hashSeed  [4]uint32 // directory hash seed (s_hash_seed)
	gdtBlocks uint64    // blocks reserved for group descriptors
	inodes    inodeTable
	paths     map[string]uint32 // cleaned path ("" is the root) -> inode
	freed     []uint64          // allocated blocks given up (replaced xattr blocks)
	journal   uint64            // the journal's first block (WithJournal)
	buf       []byte
	err       error
}

// Stats describes a finished filesystem.
type Stats struct {
	Size        int64  // bytes of the image (blocks * block size)
	Blocks      uint64 // total blocks
	FreeBlocks  uint64
	Inodes      uint32 // total inodes
	UsedInodes  uint32
	BlockSize   int
	UUID        [16]byte
	DataBlocks  uint64 // blocks written while streaming (file data, trees, xattrs)
	MetaBlocks  uint64 // directories, bitmaps and inode tables
	ReservedGDT uint64 // descriptor blocks reserved and left free
}

type dir struct {
	parent  uint32
	entries []dirent
}

type dirent struct {
	name string
	ino  uint32
	ft   uint8
}

// csumSeedInput seeds the metadata checksums when no UUID is given: the
// checksums must be computed while streaming, before the content-derived
// UUID is known, so the seed is stored separately (csum_seed feature).
var csumSeedInput = []byte("hyper ext4 image")

// NewWriter starts a filesystem written to dst from offset 0. dst should be
// empty or about to be truncated to Stats.Size: free blocks are not written.
func NewWriter(dst io.WriterAt, opts ...Option) (*Writer, error) {
	o, err := makeOptions(opts...)
	if err != nil {
		return nil, fmt.Errorf("creating ext4 writer: %w", err)
	}
	maxGroups := (uint64(o.maxSize)/blockSize + blocksPerGroup - 1) / blocksPerGroup
	gdt := (maxGroups + descsPerBlock - 1) / descsPerBlock
	limit := uint64(o.maxSize) / blockSize
	seedIn := csumSeedInput
	if o.uuid != nil {
		seedIn = o.uuid[:]
	}
	w := &Writer{
		o:         o,
		a:         newAppender(dst, 1+gdt, limit),
		seed:      crc32c(^uint32(0), seedIn),
		gdtBlocks: gdt,
		paths:     map[string]uint32{},
		buf:       make([]byte, appendBuf),
	}
	for i := range w.hashSeed {
		w.hashSeed[i] = crc32cLE32(w.seed, uint32(i))
	}
	t := makeTimestamp(o.time)
	// Inodes 1..10 are reserved and stay zero, except the root.
	for i := 1; i < firstIno; i++ {
		w.inodes.add(inode{})
	}
	*w.inodes.get(rootIno) = inode{
		mode: sIFDIR | 0o755, links: 2,
		atime: t, ctime: t, mtime: t, crtime: t,
		dir: &dir{parent: rootIno},
	}
	w.paths[""] = rootIno
	if _, err := w.mkdir("lost+found", rootIno, 0o700, meta{atime: t, ctime: t, mtime: t}); err != nil {
		return nil, err
	}
	if o.journalBlocks > 0 {
		if err := w.addJournal(uint64(o.journalBlocks)); err != nil {
			return nil, fmt.Errorf("creating ext4 writer: %w", err)
		}
	}
	return w, nil
}

// AddTar copies every entry of the tar stream r into the filesystem under
// the directory prefix ("" is the root), creating missing parents of prefix
// as 0755 root directories. An error names the entry; after an error the
// Writer only reports it again.
func (w *Writer) AddTar(prefix string, r io.Reader) error {
	if w.err != nil {
		return w.err
	}
	w.err = w.addTar(prefix, r)
	return w.err
}

func (w *Writer) addTar(prefix string, r io.Reader) error {
	pre, err := cleanPath(prefix)
	if err != nil {
		return fmt.Errorf("prefix %q: %w", prefix, err)
	}
	if err := checkNames(pre); err != nil {
		return fmt.Errorf("prefix %q: %w", prefix, err)
	}
	if _, err := w.mkdirAll(pre); err != nil {
		return fmt.Errorf("prefix %q: %w", prefix, err)
	}
	// archive/tar reads headers 512 bytes at a time: buffer the input.
	br := bufio.NewReaderSize(r, 256<<10)
	tr := tar.NewReader(br)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			// Drain the record padding after the end marker, so that a
			// producer writing into a pipe is not left blocked.
			if _, err := io.Copy(io.Discard, br); err != nil {
				return fmt.Errorf("reading tar: %w", err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", err)
		}
		if err := w.addEntry(pre, hdr, tr); err != nil {
			return fmt.Errorf("tar entry %q: %w", hdr.Name, err)
		}
	}
}

// cleanPath turns a tar name into a slash-separated path relative to the
// root without "." parts; "" is the root. ".." is refused.
func cleanPath(name string) (string, error) {
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", ErrBadPath
		}
	}
	return strings.TrimPrefix(path.Clean("/"+name), "/"), nil
}

func checkNames(p string) error {
	for _, part := range strings.Split(p, "/") {
		if len(part) > 255 {
			return ErrNameTooLong
		}
	}
	return nil
}

func joinPath(prefix, p string) string {
	switch {
	case prefix == "":
		return p
	case p == "":
		return prefix
	}
	return prefix + "/" + p
}

func splitPath(p string) (parent, base string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// mkdirAll returns the directory inode for p, creating missing directories.
func (w *Writer) mkdirAll(p string) (uint32, error) {
	if ino, ok := w.paths[p]; ok {
		if !w.inodes.get(ino).isDir() {
			return 0, fmt.Errorf("%q: %w", p, ErrNotDir)
		}
		return ino, nil
	}
	parent, _ := splitPath(p)
	pino, err := w.mkdirAll(parent)
	if err != nil {
		return 0, err
	}
	t := makeTimestamp(w.o.time)
	return w.mkdir(p, pino, 0o755, meta{atime: t, ctime: t, mtime: t})
}

// newInode appends an inode and returns its number.
func (w *Writer) newInode(in inode) (uint32, error) {
	if w.inodes.len() >= maxInodes {
		return 0, ErrTooManyInodes
	}
	return w.inodes.add(in), nil
}

// link adds the entry p -> ino to its parent directory pino.
func (w *Writer) link(p string, pino, ino uint32) {
	_, base := splitPath(p)
	d := w.inodes.get(pino).dir
	d.entries = append(d.entries, dirent{name: base, ino: ino, ft: fileType(w.inodes.get(ino).mode)})
	w.paths[p] = ino
}

func (w *Writer) mkdir(p string, pino uint32, perm uint16, m meta) (uint32, error) {
	ino, err := w.newInode(inode{mode: sIFDIR | perm, links: 2, dir: &dir{parent: pino}})
	if err != nil {
		return 0, err
	}
	in := w.inodes.get(ino)
	m.perm = perm
	if err := w.setMeta(in, m); err != nil {
		return 0, err
	}
	w.inodes.get(pino).links++
	w.link(p, pino, ino)
	return ino, nil
}
