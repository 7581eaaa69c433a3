package ext4

import (
	"archive/tar"
	"bytes"
	"testing"
	"time"
)

func TestSmoke(t *testing.T) {
	needTools(t)
	tb := makeTar(t,
		entry{hdr: tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(1700000000, 5)}},
		entry{hdr: tar.Header{Name: "etc/hosts", Mode: 0o644, ModTime: time.Unix(1700000000, 5)}, data: []byte("127.0.0.1 localhost\n")},
	)
	img, st := buildImage(t, func(w *Writer) error { return w.AddTar("", bytes.NewReader(tb)) })
	t.Logf("%+v", st)
	fsck(t, img)
	t.Log(debugfs(t, img, "stat /etc/hosts"))
}
