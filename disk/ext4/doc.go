// Package ext4 writes an ext4 filesystem image from tar streams in one pass.
//
// It is hyper's replacement for "tar -x && mke2fs -d": rootless, streaming
// and deterministic. File data is copied from the tar straight to its final
// place in the image while the tar is read; everything whose size is only
// known at the end (directories, inode tables, bitmaps, group descriptors,
// superblock) is written by Close. Memory grows with the number of entries
// (a few hundred bytes each plus their names), never with file sizes.
//
//	w, err := ext4.NewWriter(f, ext4.WithLabel("hyper-pod"))
//	err = w.AddTar("containers/web/rootfs", tarStream)
//	st, err := w.Close() // st.Size is the image size in bytes
//
// The image has 4 KiB blocks, 256-byte inodes, extents, flex_bg, no journal
// unless WithJournal (then an empty jbd2 journal in inode 8, for images the
// guest writes: data disks), sparse_super2 without backup superblocks, metadata checksums
// (metadata_csum with csum_seed) and hashed directories (dir_index,
// half-MD4) for directories larger than one block. Layout: superblock,
// group descriptors (space reserved for up to WithMaxSize), file data in tar
// order, then directories, bitmaps and inode tables, then free space. Free
// blocks and unused inode-table blocks are not written: give NewWriter a new
// (empty) file, which then ends up sparse and exactly Stats.Size long.
// WithSize fixes that length (a data disk of a given size); otherwise the
// image is as small as its content and WithFreeSpace allow.
//
// Tar semantics: every entry lands under the AddTar prefix; missing parent
// directories are created 0755 root:root. A directory entry repeated (or
// naming an implicit or already present directory) updates its metadata and
// keeps its children, like tar -x; any other repeated path is an error
// (ErrDuplicate), as is a hard link to a missing or directory target
// (ErrLinkTarget): the input is expected flattened, targets before links.
// Full blocks of zeros are not stored (files stay or become sparse; holes
// of tar sparse entries are read as zeros, so a huge sparse entry costs
// time, not space). Extended attributes come from PAX records
// "SCHILY.xattr.NAME", in the inode when they fit, else in one extra block;
// POSIX ACLs there are converted to ext4's on-disk ACL format. A socket is
// an entry whose mode carries S_IFSOCK (tar has no socket type). Errors name
// the entry and wrap one of the Err values; after one the Writer is done.
//
// Timestamps keep nanoseconds and use ext4's extra epoch bits, so dates
// from 1901 to 2310 are stored exactly (later ones are clamped: e2fsck reads
// 2310-2378 as mis-encoded pre-1970 dates).
package ext4
