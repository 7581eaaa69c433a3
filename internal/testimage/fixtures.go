package testimage

import (
	"archive/tar"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Hostile is a layer of entries a careless extractor would write outside
// its root or trip over: "../../etc/x", an absolute path, a hard link to
// "../../../etc/passwd", a symlink loop, a symlink to the host's
// /etc/shadow, and a path given twice. A correct flattener keeps
// everything inside the root: etc/x, abs, dup (the second one), loop-a,
// loop-b and shadow (symlink targets verbatim), and drops the link.
func Hostile() (v1.Layer, error) {
	return Layer(
		File("../../etc/x", 0o644, "x"),
		File("/abs", 0o644, "abs"),
		Hardlink("escape", "../../../etc/passwd"),
		Symlink("loop-a", "loop-b"),
		Symlink("loop-b", "loop-a"),
		Symlink("shadow", "/etc/shadow"),
		File("dup", 0o644, "first"),
		File("dup", 0o600, "second"),
	)
}

// Special is a layer with what plain files do not cover: a setuid file
// with a security.capability xattr, character and block devices, a FIFO,
// a sticky directory and an owner other than root.
func Special() (v1.Layer, error) {
	return Layer(
		Dir("bin", 0o755),
		File("bin/ping", 0o4755, "ping").With(func(h *tar.Header) {
			h.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}
		}),
		Dir("dev", 0o755),
		Device("dev/null", tar.TypeChar, 1, 3),
		Device("dev/vda", tar.TypeBlock, 254, 0),
		Entry{Header: tar.Header{Name: "dev/fifo", Typeflag: tar.TypeFifo, Mode: 0o600, ModTime: Epoch, Format: tar.FormatPAX}},
		Dir("tmp", 0o1777),
		File("home/user/.profile", 0o600, "export A=1\n").With(func(h *tar.Header) { h.Uid, h.Gid = 1000, 1000 }),
	)
}
