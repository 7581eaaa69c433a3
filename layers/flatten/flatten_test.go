package flatten

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	ti "github.com/hyperbuild/hyper/internal/testimage"
)

func TestFlatten(t *testing.T) {
	type E = []ti.Entry
	tests := []struct {
		name   string
		layers []E
		files  []contract.File
		want   []string
	}{
		{
			name: "whiteouts and opaque dirs",
			layers: []E{
				{ti.Dir("a", 0o755), ti.File("a/x", 0o644, "x"), ti.File("a/y", 0o644, "y"),
					ti.Dir("b", 0o755), ti.File("b/z", 0o644, "z"), ti.File("c", 0o644, "c")},
				{ti.Whiteout("a/x"), ti.Dir("b", 0o700), ti.Opaque("b"), ti.File("b/new", 0o600, "n"),
					ti.Whiteout("c"), ti.Whiteout("nothing/here")},
			},
			want: []string{"a/ 5 755", "b/ 5 700", "a/y 0 644 y", "b/new 0 600 n"},
		},
		{
			name: "whiteout then re-add in the same layer",
			layers: []E{
				{ti.Dir("d", 0o755), ti.File("d/old", 0o644, "o")},
				{ti.Dir("d", 0o755), ti.File("d/new", 0o644, "n"), ti.Whiteout("d")},
			},
			want: []string{"d/ 5 755", "d/new 0 644 n"},
		},
		{
			name: "hard links",
			layers: []E{
				{ti.Dir("bin", 0o755), ti.File("bin/busybox", 0o755, "bb"),
					ti.Hardlink("bin/sh", "bin/busybox"), ti.Hardlink("bin/ls", "./bin/../bin/busybox")},
			},
			want: []string{"bin/ 5 755", "bin/busybox 0 755 bb", "bin/ls 1 755 -> bin/busybox", "bin/sh 1 755 -> bin/busybox"},
		},
		{
			name: "link keeps the old inode when its target is replaced",
			layers: []E{
				{ti.File("f", 0o644, "old")},
				{ti.Hardlink("g", "f")},
				{ti.File("f", 0o644, "new")},
			},
			want: []string{"g 0 644 old", "f 0 644 new"},
		},
		{
			name: "link target whited out",
			layers: []E{
				{ti.File("f", 0o644, "data"), ti.Hardlink("z", "f")},
				{ti.Whiteout("f")},
			},
			want: []string{"z 0 644 data"},
		},
		{
			name: "types, modes, devices",
			layers: []E{
				{ti.Dir("dev", 0o755), ti.Device("dev/null", tar.TypeChar, 1, 3), ti.Device("dev/sda", tar.TypeBlock, 8, 0),
					ti.File("su", 0o4755, "s"), ti.Dir("tmp", 0o1777), ti.Symlink("lnk", "/does/not/exist"),
					{Header: tar.Header{Name: "fifo", Typeflag: tar.TypeFifo, Mode: 0o644}}},
			},
			want: []string{"dev/ 5 755", "tmp/ 5 1777", "dev/null 3 660", "dev/sda 4 660", "su 0 4755 s", "lnk 2 777 -> /does/not/exist", "fifo 6 644"},
		},
		{
			name: "hostile names are confined",
			layers: []E{
				{ti.File("../../etc/x", 0o644, "x"), ti.File("/abs", 0o644, "a"), ti.File("./a/../../b", 0o644, "b"),
					ti.Hardlink("out", "../../../etc/passwd"), ti.Hardlink("in", "../../abs"),
					ti.Symlink("sym", "../../../../etc/shadow")},
			},
			want: []string{"etc/ 5 755", "etc/x 0 644 x", "abs 0 644 a", "b 0 644 b", "sym 2 777 -> ../../../../etc/shadow", "in 1 644 -> abs"},
		},
		{
			name: "duplicated path: the last one wins",
			layers: []E{
				{ti.File("d", 0o644, "one"), ti.File("d", 0o600, "two"), ti.Dir("e", 0o755), ti.File("e", 0o644, "file")},
			},
			want: []string{"d 0 600 two", "e 0 644 file"},
		},
		{
			name: "directories through symlinks resolve inside the root",
			layers: []E{
				{ti.Dir("usr", 0o755), ti.Dir("usr/bin", 0o755), ti.Symlink("bin", "usr/bin"), ti.Symlink("up", "../../..")},
				{ti.File("bin/foo", 0o755, "f"), ti.File("up/etc/y", 0o644, "y")},
			},
			want: []string{"etc/ 5 755", "usr/ 5 755", "usr/bin/ 5 755", "bin 2 777 -> usr/bin", "up 2 777 -> ../../..", "usr/bin/foo 0 755 f", "etc/y 0 644 y"},
		},
		{
			name:   "spec files replace and create",
			layers: []E{{ti.Dir("etc", 0o755), ti.File("etc/hosts", 0o644, "image")}},
			files: []contract.File{
				{Path: "/etc/hosts", Content: []byte("spec"), Mode: 0o600, UID: 1, GID: 2},
				{Path: "/opt/app/conf", Content: []byte("c")},
			},
			want: []string{"etc/ 5 755", "opt/ 5 755", "opt/app/ 5 755", "etc/hosts 0 600 spec", "opt/app/conf 0 644 c"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, err := flatten(t, tt.files, layersOf(t, tt.layers...)...)
			if err != nil {
				t.Fatal(err)
			}
			if got := lines(entries); !slices.Equal(got, tt.want) {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestMetadataPreserved(t *testing.T) {
	cap := "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	ping := ti.File("bin/ping", 0o755, "p").With(func(h *tar.Header) {
		h.Uid, h.Gid, h.Uname, h.Gname = 1000, 1001, "u", "g"
		h.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": cap, "comment": "dropped"}
		h.AccessTime = ti.Epoch.Add(time.Second)
	})
	entries, err := flatten(t, nil, layersOf(t, []ti.Entry{ti.Dir("bin", 0o755), ping})...)
	if err != nil {
		t.Fatal(err)
	}
	h := entries[1].hdr
	if h.Uid != 1000 || h.Gid != 1001 || h.Uname != "u" || h.Gname != "g" {
		t.Errorf("owner = %d:%d %s:%s", h.Uid, h.Gid, h.Uname, h.Gname)
	}
	if got := h.PAXRecords["SCHILY.xattr.security.capability"]; got != cap {
		t.Errorf("capability xattr = %q", got)
	}
	if _, ok := h.PAXRecords["comment"]; ok {
		t.Error("a non-xattr PAX record survived")
	}
	if !h.ModTime.Equal(ti.Epoch) || !h.AccessTime.Equal(ti.Epoch.Add(time.Second)) {
		t.Errorf("times = %v, %v; want %v with nanoseconds", h.ModTime, h.AccessTime, ti.Epoch)
	}
}

func TestBadLayers(t *testing.T) {
	loop := []ti.Entry{ti.Symlink("a", "b"), ti.Symlink("b", "a"), ti.File("a/x", 0o644, "x")}
	notDir := []ti.Entry{ti.File("f", 0o644, "x"), ti.File("f/x", 0o644, "x")}
	tests := []struct {
		name  string
		layer Layer
		want  error
	}{
		{"2 GiB size claim with little data", rawLayer(ti.SizeClaim("big", 2<<30, []byte("tiny"))), ErrCorrupt},
		{"GNU sparse file claiming 2 GiB", rawLayer(gnuSparse(t, 2<<30)), ErrSparse},
		{"garbage", rawLayer(bytes.Repeat([]byte("x"), 1500)), ErrCorrupt},
		{"symlink loop", layersOf(t, loop)[0], ErrSymlinkLoop},
		{"file below a file", layersOf(t, notDir)[0], ErrNotDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := flatten(t, nil, tt.layer)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDigestMismatch(t *testing.T) {
	l := layersOf(t, []ti.Entry{ti.File("a", 0o644, "x")})[0]
	l.DiffID = "sha256:" + string(bytes.Repeat([]byte("0"), 64))
	if _, err := flatten(t, nil, l); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("err = %v, want ErrDigestMismatch", err)
	}
}

func TestDeterministic(t *testing.T) {
	ls := layersOf(t,
		[]ti.Entry{ti.Dir("z", 0o755), ti.File("z/1", 0o644, "1"), ti.File("a", 0o644, "a"), ti.Hardlink("b", "a")},
		[]ti.Entry{ti.File("m", 0o644, "m"), ti.Hardlink("c", "a")},
	)
	var one, two bytes.Buffer
	if err := Flatten(context.Background(), &one, ls, nil); err != nil {
		t.Fatal(err)
	}
	if err := Flatten(context.Background(), &two, ls, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(one.Bytes(), two.Bytes()) {
		t.Error("two runs differ")
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Flatten(ctx, &bytes.Buffer{}, layersOf(t, []ti.Entry{ti.File("a", 0o644, "a")}), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// gnuSparse is an old-GNU sparse entry (type S) with an empty sparse map
// whose real size is size over 4 bytes of data.
func gnuSparse(t *testing.T, size int64) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "sparse", Typeflag: tar.TypeReg, Size: 4, Format: tar.FormatGNU}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte("data"))
	tw.Close()
	b := buf.Bytes()
	b[156] = tar.TypeGNUSparse
	copy(b[483:495], fmt.Sprintf("%011o\x00", size))
	for i := 148; i < 156; i++ {
		b[i] = ' '
	}
	var sum int64
	for _, c := range b[:512] {
		sum += int64(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}
