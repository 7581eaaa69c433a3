package flatten

import (
	"archive/tar"
	"fmt"
	"path"
	"strings"
	"time"
)

// maxHops is how many symlinks a directory lookup may follow (Linux's
// MAXSYMLINKS).
const maxHops = 40

// node is a path in the final tree: a directory (kids != nil) or a name
// for an inode.
type node struct {
	parent *node
	kids   map[string]*node // directories only
	hdr    *tar.Header      // a directory's metadata
	ino    *inode           // everything else
}

// inode is a non-directory entry of a layer (or a spec file); several
// nodes share one when hard-linked.
type inode struct {
	layer, index int   // where it is: layer index, entry ordinal
	off          int64 // where its data starts in the layer
	hdr          *tar.Header
	data         []byte // spec files only
	orig         string // the path it was created at
	primary      string // the path it is emitted under; the others link to it
}

func (n *node) isDir() bool { return n.kids != nil }

func (n *node) isSymlink() bool {
	return n.ino != nil && n.ino.hdr.Typeflag == tar.TypeSymlink
}

type tree struct{ root *node }

func newTree() *tree {
	return &tree{root: &node{kids: map[string]*node{}, hdr: implicitDir()}}
}

// implicitDir is the metadata of a directory no layer describes.
func implicitDir() *tar.Header {
	return &tar.Header{Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
}

// split cleans name into components confined to the root: "../../etc/x"
// and "/etc/x" are both [etc x]; the root itself is nil.
func split(name string) []string {
	p := path.Clean("/" + name)
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

// dir resolves the directory comps names, following symlinks inside the
// root. With create, missing directories are made; without, a missing one
// gives nil.
func (t *tree) dir(comps []string, create bool) (*node, error) {
	cur, hops := t.root, 0
	todo := append([]string(nil), comps...)
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if cur.parent != nil {
				cur = cur.parent
			}
			continue
		}
		n := cur.kids[c]
		switch {
		case n == nil && !create:
			return nil, nil
		case n == nil:
			n = &node{parent: cur, kids: map[string]*node{}, hdr: implicitDir()}
			cur.kids[c] = n
		case n.isSymlink():
			if hops++; hops > maxHops {
				return nil, fmt.Errorf("%w: %s", ErrSymlinkLoop, c)
			}
			target := n.ino.hdr.Linkname
			if strings.HasPrefix(target, "/") {
				cur = t.root
			}
			todo = append(strings.Split(target, "/"), todo...)
			continue
		case !n.isDir():
			return nil, fmt.Errorf("%w: %s", ErrNotDir, c)
		}
		cur = n
	}
	return cur, nil
}

// put places n as name base in dir, replacing what was there (a directory
// replaced by a directory keeps its children).
func (t *tree) put(dir *node, base string, n *node) {
	n.parent = dir
	if old := dir.kids[base]; old != nil && old.isDir() && n.isDir() {
		old.hdr = n.hdr
		return
	}
	dir.kids[base] = n
}
