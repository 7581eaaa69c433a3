package flatten

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hyperbuild/hyper/contract"
)

const (
	whPrefix = ".wh."
	whOpaque = ".wh..wh..opq"
)

type entry struct {
	index int
	off   int64 // of the entry's data
	comps []string
	hdr   *tar.Header
}

// scan reads a layer's headers: whiteouts apart, since they apply first.
func scan(ctx context.Context, l Layer) (adds, whs []entry, err error) {
	sk := newSeeker(l.R, l.Size)
	tr := tar.NewReader(sk)
	for k := 0; ; k++ {
		if k%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return adds, whs, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: entry %d: %v", ErrCorrupt, k, err)
		}
		if isSparse(h) {
			return nil, nil, fmt.Errorf("%w: %s", ErrSparse, h.Name)
		}
		// tar.Reader has read the headers and nothing more.
		e := entry{index: k, off: sk.off, comps: split(h.Name)}
		if n := len(e.comps); n > 0 && strings.HasPrefix(e.comps[n-1], whPrefix) {
			whs = append(whs, e)
			continue
		}
		e.hdr = keep(h)
		adds = append(adds, e)
	}
}

// apply applies layer i to the tree: whiteouts first (they hide what the
// layers below hold), then the layer's own entries in their order, a
// later duplicate replacing an earlier one.
func (f *flattener) apply(i int, adds, whs []entry) error {
	for _, e := range whs {
		f.whiteout(e.comps)
	}
	for _, e := range adds {
		if err := f.add(i, e); err != nil {
			return fmt.Errorf("/%s: %w", strings.Join(e.comps, "/"), err)
		}
	}
	return nil
}

// whiteout removes what comps names (.wh.NAME) or everything in its
// directory (.wh..wh..opq) from the tree built so far.
func (f *flattener) whiteout(comps []string) {
	n := len(comps)
	dir, err := f.tree.dir(comps[:n-1], false)
	if err != nil || dir == nil {
		return // nothing below to hide
	}
	switch base := strings.TrimPrefix(comps[n-1], whPrefix); {
	case comps[n-1] == whOpaque:
		clear(dir.kids)
	case strings.HasPrefix(base, whPrefix), base == "", base == ".", base == "..":
		// other AUFS metadata, or nothing: ignored
	default:
		delete(dir.kids, base)
	}
}

func (f *flattener) add(layer int, e entry) error {
	h := e.hdr
	n := len(e.comps)
	if n == 0 {
		if h.Typeflag == tar.TypeDir {
			f.tree.root.hdr = h
		}
		return nil
	}
	dir, err := f.tree.dir(e.comps[:n-1], true)
	if err != nil {
		return err
	}
	base := e.comps[n-1]
	switch h.Typeflag {
	case tar.TypeDir:
		f.tree.put(dir, base, &node{kids: map[string]*node{}, hdr: h})
	case tar.TypeLink:
		if target := f.linkTarget(h.Linkname); target != nil {
			f.tree.put(dir, base, &node{ino: target})
		}
	case tar.TypeReg, tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		f.tree.put(dir, base, &node{ino: &inode{layer: layer, index: e.index, off: e.off, hdr: h, orig: strings.Join(e.comps, "/")}})
	}
	return nil
}

// linkTarget finds a hard link's target inside the root, as it is now;
// nil when it is missing or a directory (the link is then dropped).
func (f *flattener) linkTarget(name string) *inode {
	comps := split(name)
	n := len(comps)
	if n == 0 {
		return nil
	}
	dir, err := f.tree.dir(comps[:n-1], false)
	if err != nil || dir == nil {
		return nil
	}
	t := dir.kids[comps[n-1]]
	if t == nil || t.isDir() {
		return nil
	}
	return t.ino
}

func (f *flattener) addFile(file contract.File) error {
	comps := split(file.Path)
	n := len(comps)
	if n == 0 {
		return ErrBadFile
	}
	dir, err := f.tree.dir(comps[:n-1], true)
	if err != nil {
		return err
	}
	mode := int64(file.Mode & 0o7777)
	if mode == 0 {
		mode = 0o644
	}
	h := implicitDir()
	h.Typeflag, h.Mode, h.Uid, h.Gid, h.Size = tar.TypeReg, mode, file.UID, file.GID, int64(len(file.Content))
	f.tree.put(dir, comps[n-1], &node{ino: &inode{layer: len(f.layers), hdr: h, data: file.Content, orig: strings.Join(comps, "/")}})
	return nil
}

// keep copies what the output needs from h: no name, no PAX records but
// xattrs.
func keep(h *tar.Header) *tar.Header {
	k := &tar.Header{
		Typeflag: h.Typeflag, Mode: h.Mode & 0o7777,
		Uid: h.Uid, Gid: h.Gid, Uname: h.Uname, Gname: h.Gname,
		ModTime: h.ModTime, AccessTime: h.AccessTime, ChangeTime: h.ChangeTime,
		Format: tar.FormatPAX,
	}
	switch h.Typeflag {
	case tar.TypeReg:
		k.Size = h.Size
	case tar.TypeSymlink, tar.TypeLink:
		k.Linkname = h.Linkname
	case tar.TypeChar, tar.TypeBlock:
		k.Devmajor, k.Devminor = h.Devmajor, h.Devminor
	}
	for key, v := range h.PAXRecords {
		if strings.HasPrefix(key, "SCHILY.xattr.") {
			if k.PAXRecords == nil {
				k.PAXRecords = map[string]string{}
			}
			k.PAXRecords[key] = v
		}
	}
	return k
}

// isSparse reports a GNU sparse file (old format, or PAX 0.x/1.0): its
// header may claim any size over a few bytes of data, and no image tool
// writes one.
func isSparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}
