package flatten

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
)

type link struct {
	name string
	ino  *inode
}

// emit writes the tree: directories in path order, then each layer's
// winning entries with their data in layer order, then spec files, then
// the extra names of hard-linked inodes.
func (f *flattener) emit(ctx context.Context, w io.Writer) error {
	tw := tar.NewWriter(w)
	var names []link // every non-directory, in path order
	err := walk(f.tree.root, "", func(name string, n *node) error {
		if n.isDir() {
			h := *n.hdr
			h.Name = name + "/"
			return writeHeader(tw, &h)
		}
		names = append(names, link{name, n.ino})
		if name == n.ino.orig {
			n.ino.primary = name
		}
		return nil
	})
	if err != nil {
		return err
	}
	// An inode is written under the path it was created at when that
	// still names it, else under its first name; its other names link to it.
	byLayer := make([][]*inode, len(f.layers)+1)
	var links []link
	for _, l := range names {
		switch {
		case l.ino.primary == "":
			l.ino.primary = l.name
		case l.ino.primary != l.name:
			links = append(links, l)
			continue
		}
		byLayer[l.ino.layer] = append(byLayer[l.ino.layer], l.ino)
	}
	for i, l := range f.layers {
		if err := f.copyLayer(ctx, tw, l, byLayer[i]); err != nil {
			return fmt.Errorf("copying layer %d: %w", i, err)
		}
	}
	for _, ino := range byLayer[len(f.layers)] {
		h := *ino.hdr
		h.Name = ino.primary
		if err := writeHeader(tw, &h); err != nil {
			return err
		}
		if _, err := tw.Write(ino.data); err != nil {
			return fmt.Errorf("writing %s: %w", h.Name, err)
		}
	}
	for _, l := range links {
		h := *l.ino.hdr
		h.Name, h.Typeflag, h.Linkname, h.Size = l.name, tar.TypeLink, l.ino.primary, 0
		h.Devmajor, h.Devminor = 0, 0
		if err := writeHeader(tw, &h); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("closing tar: %w", err)
	}
	return nil
}

func writeHeader(tw *tar.Writer, h *tar.Header) error {
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("writing %s: %w", h.Name, err)
	}
	return nil
}

// walk calls fn for every node below n in path order, parents first.
func walk(n *node, prefix string, fn func(string, *node) error) error {
	names := make([]string, 0, len(n.kids))
	for k := range n.kids {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		kid := n.kids[k]
		name := prefix + k
		if err := fn(name, kid); err != nil {
			return err
		}
		if kid.isDir() {
			if err := walk(kid, name+"/", fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyLayer writes the entries of want with their data, taken at the
// offsets the first read found. With a DiffID the layer is read in full,
// once, and checked; without, only the wanted data is read.
func (f *flattener) copyLayer(ctx context.Context, tw *tar.Writer, l Layer, want []*inode) error {
	if len(want) == 0 && l.DiffID == "" {
		return nil
	}
	slices.SortFunc(want, func(a, b *inode) int { return a.index - b.index })
	var sum hash.Hash
	var ra *readAhead
	if l.DiffID != "" {
		sum = sha256.New()
		ra = newReadAhead(io.NewSectionReader(l.R, 0, l.Size), l.Size, sum)
		defer ra.Close()
	}
	var pos int64
	for k, ino := range want {
		if k%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		h := *ino.hdr
		h.Name = ino.primary
		if err := writeHeader(tw, &h); err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg || h.Size == 0 {
			continue
		}
		var n int64
		var err error
		if ra == nil {
			n, err = io.Copy(ctxWriter{ctx, tw}, io.NewSectionReader(l.R, ino.off, h.Size))
		} else if err = ra.skip(ino.off - pos); err == nil {
			n, err = ra.copyTo(ctxWriter{ctx, tw}, h.Size)
		}
		pos = ino.off + n
		if err == nil && n < h.Size {
			err = io.ErrUnexpectedEOF
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrCorrupt, h.Name, err)
		}
	}
	if ra == nil {
		return nil
	}
	if err := ra.skip(l.Size - pos); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if got := "sha256:" + hex.EncodeToString(sum.Sum(nil)); !strings.EqualFold(got, l.DiffID) {
		return fmt.Errorf("%w: got %s, want %s", ErrDigestMismatch, got, l.DiffID)
	}
	return nil
}

// ctxWriter stops a long copy when ctx is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
