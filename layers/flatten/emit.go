package flatten

import (
	"archive/tar"
	"bufio"
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
	buf := make([]byte, 256<<10)
	for i, l := range f.layers {
		if err := f.copyLayer(ctx, tw, l, byLayer[i], buf); err != nil {
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

// copyLayer reads layer l in full, once, writing the entries of want (in
// entry order) with their data, and checks the layer's DiffID.
func (f *flattener) copyLayer(ctx context.Context, tw *tar.Writer, l Layer, want []*inode, buf []byte) error {
	if len(want) == 0 && l.DiffID == "" {
		return nil
	}
	slices.SortFunc(want, func(a, b *inode) int { return a.index - b.index })
	var r io.Reader = bufio.NewReaderSize(io.NewSectionReader(l.R, 0, l.Size), 1<<20)
	var sum hash.Hash
	if l.DiffID != "" {
		sum = sha256.New()
		r = io.TeeReader(r, sum)
	}
	tr := tar.NewReader(r)
	for k := 0; len(want) > 0 || sum != nil; k++ {
		if k%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		_, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: entry %d: %v", ErrCorrupt, k, err)
		}
		if len(want) == 0 || want[0].index != k {
			continue
		}
		ino := want[0]
		want = want[1:]
		h := *ino.hdr
		h.Name = ino.primary
		if err := writeHeader(tw, &h); err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		n, err := io.CopyBuffer(ctxWriter{ctx, tw}, io.LimitReader(tr, h.Size), buf)
		if err == nil && n < h.Size {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrCorrupt, h.Name, err)
		}
	}
	if len(want) > 0 {
		return fmt.Errorf("%w: fewer entries than on the first read", ErrCorrupt)
	}
	if sum == nil {
		return nil
	}
	if _, err := io.CopyBuffer(io.Discard, r, buf); err != nil {
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
