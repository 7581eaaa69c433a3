package flatten

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/hyperbuild/hyper/contract"
	ti "github.com/hyperbuild/hyper/internal/testimage"
)

// out is one entry of a flattened stream.
type out struct {
	hdr  *tar.Header
	data string
}

// line sums up an entry for table comparisons: "name type mode [-> link] [data]".
func (o out) line() string {
	h := o.hdr
	s := fmt.Sprintf("%s %c %o", h.Name, h.Typeflag, h.Mode)
	if h.Linkname != "" {
		s += " -> " + h.Linkname
	}
	if o.data != "" {
		s += " " + o.data
	}
	return s
}

func layersOf(t testing.TB, stacks ...[]ti.Entry) []Layer {
	t.Helper()
	var ls []Layer
	for _, es := range stacks {
		b, err := ti.Tar(es...)
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, rawLayer(b))
	}
	return ls
}

func rawLayer(b []byte) Layer {
	return Layer{R: bytes.NewReader(b), Size: int64(len(b)), DiffID: fmt.Sprintf("sha256:%x", sha256.Sum256(b))}
}

func flatten(t testing.TB, files []contract.File, ls ...Layer) ([]out, error) {
	t.Helper()
	var buf bytes.Buffer
	if err := Flatten(context.Background(), &buf, ls, files); err != nil {
		return nil, err
	}
	entries, err := check(buf.Bytes())
	if err != nil {
		t.Fatalf("invariants: %v", err)
	}
	return entries, nil
}

func lines(entries []out) []string {
	var s []string
	for _, e := range entries {
		s = append(s, e.line())
	}
	return s
}

// check reads a flattened stream and checks its invariants: clean,
// confined names, each once, parents (directories) first, hard links after
// their (non-directory) targets.
func check(b []byte) ([]out, error) {
	tr := tar.NewReader(bytes.NewReader(b))
	seen := map[string]byte{}
	var entries []out
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries, nil
		}
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(h.Name, "/")
		if name == "" || strings.HasPrefix(name, "/") || strings.Contains("/"+name+"/", "/../") ||
			strings.Contains("/"+name+"/", "/./") || strings.Contains(name, "//") {
			return nil, fmt.Errorf("unclean name %q", h.Name)
		}
		if _, dup := seen[name]; dup {
			return nil, fmt.Errorf("%s twice", name)
		}
		if i := strings.LastIndex(name, "/"); i >= 0 && seen[name[:i]] != tar.TypeDir {
			return nil, fmt.Errorf("%s before its directory", name)
		}
		// (a directory named .wh.X is made when a symlink points there)
		if h.Typeflag != tar.TypeDir && strings.HasPrefix(name[strings.LastIndex(name, "/")+1:], ".wh.") {
			return nil, fmt.Errorf("whiteout %s emitted", name)
		}
		if h.Typeflag == tar.TypeLink {
			if typ, ok := seen[h.Linkname]; !ok || typ == tar.TypeDir || typ == tar.TypeLink {
				return nil, fmt.Errorf("link %s before its target %s", name, h.Linkname)
			}
		}
		seen[name] = h.Typeflag
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		entries = append(entries, out{h, string(data)})
	}
}
