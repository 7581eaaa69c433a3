package flatten

import (
	"archive/tar"
	"bytes"
	"context"
	"testing"

	ti "github.com/hyperbuild/hyper/internal/testimage"
)

// fuzzNames mixes plain, nested, hostile and whiteout names so that random
// stacks exercise every rule.
var fuzzNames = []string{
	"a", "b", "c", "a/b", "a/c", "a/b/c", "b/a", "../a", "/b/c", "./c/../a/b",
	".wh.a", "a/.wh.b", "a/.wh..wh..opq", ".wh.b", "b/.wh..wh..opq", "a/b/.wh.c",
	"../../../x", "", ".", "c/d/e",
}

// stacks decodes fuzz input into layers: each 3 bytes are an entry (kind,
// name, target); kind 0xff starts a new layer.
func stacks(data []byte) [][]ti.Entry {
	ls := [][]ti.Entry{nil}
	for i := 0; i+2 < len(data); i += 3 {
		kind, name, target := data[i], fuzzNames[int(data[i+1])%len(fuzzNames)], fuzzNames[int(data[i+2])%len(fuzzNames)]
		var e ti.Entry
		switch kind % 7 {
		case 0:
			if kind == 0xff-0xff%7 || len(ls[len(ls)-1]) > 8 {
				ls = append(ls, nil)
			}
			continue
		case 1:
			e = ti.Dir(name, 0o755)
		case 2:
			e = ti.File(name, 0o644, target)
		case 3:
			e = ti.Symlink(name, target)
		case 4:
			e = ti.Hardlink(name, target)
		case 5:
			e = ti.Device(name, tar.TypeChar, 1, 3)
		case 6:
			e = ti.Symlink(name, "/"+target)
		}
		ls[len(ls)-1] = append(ls[len(ls)-1], e)
	}
	return ls
}

func FuzzFlatten(f *testing.F) {
	f.Add([]byte{1, 0, 0, 2, 3, 1, 4, 1, 3, 0, 0, 0, 2, 10, 0, 2, 11, 0})
	f.Add([]byte{3, 0, 1, 3, 1, 0, 2, 3, 0, 1, 2, 2, 0, 0, 0, 13, 1, 1})
	f.Add([]byte{2, 7, 0, 4, 1, 7, 6, 2, 16, 0, 0, 0, 2, 7, 1, 4, 3, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		var ls []Layer
		for _, es := range stacks(data) {
			b, err := ti.Tar(es...)
			if err != nil {
				return // the tar writer refused the entry: not our input
			}
			ls = append(ls, rawLayer(b))
		}
		var buf bytes.Buffer
		if err := Flatten(context.Background(), &buf, ls, nil); err != nil {
			return // a clean error (loops, a file under a file) is fine
		}
		if _, err := check(buf.Bytes()); err != nil {
			t.Fatalf("invariant broken: %v\nlayers: %+v", err, stacks(data))
		}
	})
}

// FuzzFlattenRaw feeds arbitrary bytes as a layer: no panic, no huge
// allocation, and a stream that passes the checks when there is no error.
func FuzzFlattenRaw(f *testing.F) {
	good, _ := ti.Tar(ti.Dir("a", 0o755), ti.File("a/b", 0o644, "x"), ti.Hardlink("c", "a/b"))
	f.Add(good)
	f.Add(ti.SizeClaim("big", 2<<30, []byte("tiny")))
	f.Fuzz(func(t *testing.T, data []byte) {
		var buf bytes.Buffer
		if err := Flatten(context.Background(), &buf, []Layer{{R: bytes.NewReader(data), Size: int64(len(data))}}, nil); err != nil {
			return
		}
		if _, err := check(buf.Bytes()); err != nil {
			t.Fatalf("invariant broken: %v", err)
		}
	})
}
