package ext4

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// memImage is an in-memory io.WriterAt.
type memImage struct{ b []byte }

func (m *memImage) WriteAt(p []byte, off int64) (int, error) {
	if end := off + int64(len(p)); end > int64(len(m.b)) {
		m.b = append(m.b, make([]byte, end-int64(len(m.b)))...)
	}
	return copy(m.b[off:], p), nil
}

// fuzzNames: mostly good names, a few that must fail cleanly.
var fuzzNames = append(strings.Split("a b c d e f g h i j k l m n o p q r s t u v w x y z lost+found .", " "),
	"..", strings.Repeat("L", 256))

// fuzzTar turns fuzz bytes into a tar stream: four bytes per entry choose
// its type, path, size, mode and time. An odd first byte instead feeds the
// bytes as a raw tar stream.
func fuzzTar(data []byte) []byte {
	if len(data) > 0 && data[0]&1 == 1 {
		return data[1:]
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	var names []string
	for len(data) >= 4 {
		op, a, b, c := data[0]>>1, data[1], data[2], data[3]
		data = data[4:]
		parts := []string{fuzzNames[int(a)%len(fuzzNames)]}
		for i := 0; i < int(a>>6); i++ {
			parts = append(parts, fuzzNames[int(b>>(3*(i%2))+byte(i))%len(fuzzNames)])
		}
		h := tar.Header{
			Name: strings.Join(parts, "/"), Mode: int64(c)<<3 | 0o4755&int64(b)<<4,
			Uid: int(b) << 12, Gid: int(c) << 20, Format: tar.FormatPAX,
			ModTime: time.Unix(int64(int8(b))*1<<28+int64(c), int64(a)*1e6),
		}
		var body []byte
		switch op % 9 {
		case 0:
			h.Typeflag = tar.TypeDir
		case 1, 7:
			h.Typeflag = tar.TypeReg
			body = make([]byte, int(c)*613)
			for i := range body {
				if (i/blockSize+int(b))%3 != 0 {
					body[i] = byte(i) | 1
				}
			}
			if op%9 == 7 {
				h.PAXRecords = map[string]string{
					"SCHILY.xattr.user.x":                       strings.Repeat("v", int(b)),
					"SCHILY.xattr.security.s" + fmt.Sprint(c%4): strings.Repeat("s", int(c)*4),
				}
			}
		case 2:
			h.Typeflag = tar.TypeSymlink
			h.Linkname = strings.Repeat("t/", int(c)) + "x"
		case 3:
			h.Typeflag = tar.TypeLink
			h.Linkname = "missing"
			if len(names) > 0 {
				h.Linkname = names[int(c)%len(names)]
			}
		case 4:
			h.Typeflag, h.Devmajor, h.Devminor = tar.TypeChar, int64(b), int64(c)<<10
		case 5:
			h.Typeflag, h.Devmajor, h.Devminor = tar.TypeBlock, int64(c), int64(b)
		case 6:
			h.Typeflag = tar.TypeFifo
		case 8:
			h.Typeflag, h.Mode = tar.TypeReg, h.Mode|sIFSOCK
		}
		h.Size = int64(len(body))
		if tw.WriteHeader(&h) != nil {
			continue
		}
		tw.Write(body)
		names = append(names, h.Name)
	}
	tw.Close()
	return buf.Bytes()
}

// FuzzWriter builds images from random tar streams: no panics, and a
// successful build must be e2fsck-clean (set EXT4_FUZZ_FSCK=0 to skip
// e2fsck for speed).
func FuzzWriter(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{2, 1, 3, 200, 14, 2, 5, 9, 6, 0x41, 7, 3, 0, 0x42, 1, 1})
	f.Add([]byte{4, 0x80, 0x21, 90, 10, 0x43, 2, 3, 16, 0x42, 0, 3, 8, 0xc1, 0x45, 7})
	f.Add([]byte{1, 'n', 'o', 't', ' ', 't', 'a', 'r'})
	es, _ := fixture()
	f.Add(append([]byte{1}, makeTar(f, es[:20]...)...))
	_, haveFsck := lookTool("e2fsck")
	fsckOn := haveFsck == nil && os.Getenv("EXT4_FUZZ_FSCK") != "0"
	f.Fuzz(func(t *testing.T, data []byte) {
		tb := fuzzTar(data)
		if hugeEntry(tb) {
			return // correct but slow: holes of sparse entries are read as zeros
		}
		img := &memImage{}
		st, err := Build(img, bytes.NewReader(tb), WithFreeSpace(0))
		if err != nil {
			if errors.Is(err, ErrClosed) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if int64(len(img.b)) != st.Size {
			t.Fatalf("wrote %d bytes, Stats.Size %d", len(img.b), st.Size)
		}
		if fsckOn {
			p := filepath.Join(t.TempDir(), "fs.ext4")
			if err := os.WriteFile(p, img.b, 0o644); err != nil {
				t.Fatal(err)
			}
			fsck(t, p)
		}
	})
}

// hugeEntry reports whether the tar declares an entry over 16 MiB.
func hugeEntry(tb []byte) bool {
	tr := tar.NewReader(bytes.NewReader(tb))
	for {
		h, err := tr.Next()
		if err != nil {
			return false
		}
		if h.Size > 16<<20 {
			return true
		}
	}
}

var _ io.WriterAt = (*memImage)(nil)
