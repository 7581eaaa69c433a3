package virtio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/hugelgupf/p9/linux"
	"github.com/hugelgupf/p9/p9"
	"golang.org/x/sys/unix"
)

func walk(t *testing.T, root p9.File, names ...string) p9.File {
	t.Helper()
	_, f, err := root.Walk(names)
	if err != nil {
		t.Fatalf("walk %q: %v", names, err)
	}
	return f
}

func readAll(t *testing.T, f p9.File) string {
	t.Helper()
	if _, _, err := f.Open(p9.ReadOnly); err != nil {
		t.Fatalf("open: %v", err)
	}
	b := make([]byte, 4096)
	n, err := f.ReadAt(b, 0)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b[:n])
}

func wantErrno(t *testing.T, what string, err error, want linux.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
}

// TestP9Share reads a host file through the device, and writes files
// and directories the host then sees.
func TestP9Share(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("from the host\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	root, _ := p9Client(t, dir, false)

	if got := readAll(t, walk(t, root, "hello.txt")); got != "from the host\n" {
		t.Errorf("read %q", got)
	}

	sub := walk(t, root, "sub")
	f, _, _, err := sub.Create("new.txt", p9.WriteOnly, 0o640, p9.NoUID, p9.NoGID)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := f.WriteAt([]byte("from the guest"), 0); err != nil {
		t.Fatalf("write: %v", err)
	}
	f.Close()
	if b, err := os.ReadFile(filepath.Join(dir, "sub", "new.txt")); err != nil || string(b) != "from the guest" {
		t.Errorf("host reads %q, %v", b, err)
	}
	if _, err := root.Mkdir("made", 0o700, p9.NoUID, p9.NoGID); err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "made")); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("host stat made: %v, %v", fi, err)
	}
	if err := walk(t, root, "sub").RenameAt("new.txt", root, "moved.txt"); err != nil {
		t.Fatalf("rename: %v", err)
	}
	if err := root.SetAttr(p9.SetAttrMask{}, p9.SetAttr{}); err != nil {
		t.Errorf("empty setattr: %v", err)
	}
	moved := walk(t, root, "moved.txt")
	if err := moved.SetAttr(p9.SetAttrMask{Size: true, Permissions: true}, p9.SetAttr{Size: 4, Permissions: 0o600}); err != nil {
		t.Fatalf("setattr: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "moved.txt")); err != nil || fi.Size() != 4 || fi.Mode().Perm() != 0o600 {
		t.Errorf("host stat moved.txt: %v, %v", fi, err)
	}

	d := walk(t, root)
	if _, _, err := d.Open(p9.ReadOnly); err != nil {
		t.Fatal(err)
	}
	ents, err := d.Readdir(0, 8192)
	if err != nil {
		t.Fatalf("readdir: %v", err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	sort.Strings(names)
	if got, want := names, []string{"hello.txt", "made", "moved.txt", "sub"}; !equal(got, want) {
		t.Errorf("readdir = %q, want %q", got, want)
	}
	if err := root.UnlinkAt("made", unix.AT_REMOVEDIR); err != nil {
		t.Errorf("rmdir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "made")); !os.IsNotExist(err) {
		t.Errorf("made still there: %v", err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestP9Confined tries the ways out of a share: "..", a path in one
// name, symbolic links to outside (walked through, opened, created
// through, renamed through), a hard link to outside, a host FIFO and
// device nodes.
func TestP9Confined(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	os.WriteFile(secret, []byte("host secret"), 0o644)
	dir := filepath.Join(outside, "share")
	os.Mkdir(dir, 0o755)
	os.Symlink(outside, filepath.Join(dir, "up"))
	os.Symlink(secret, filepath.Join(dir, "secret-link"))
	os.Symlink("..", filepath.Join(dir, "dotdot"))
	if err := unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, _ := p9Client(t, dir, false)

	for _, names := range [][]string{{".."}, {"up", "secret"}, {"dotdot", "secret"}, {"../secret"}, {"."}, {""}} {
		if _, _, err := root.Walk(names); err == nil {
			t.Errorf("walk %q: no error", names)
		}
	}
	link := walk(t, root, "secret-link")
	if _, _, err := link.Open(p9.ReadOnly); err == nil {
		t.Errorf("opened a symbolic link")
	}
	if target, err := link.Readlink(); err != nil || target != secret {
		t.Errorf("readlink = %q, %v", target, err)
	}
	up := walk(t, root, "up")
	if _, _, _, err := up.Create("planted", p9.WriteOnly, 0o644, p9.NoUID, p9.NoGID); err == nil {
		t.Errorf("created a file through a link to outside")
	}
	if _, err := up.Mkdir("planted-dir", 0o755, p9.NoUID, p9.NoGID); err == nil {
		t.Errorf("made a directory through a link to outside")
	}
	if err := root.RenameAt("secret-link", up, "moved"); err == nil {
		t.Errorf("renamed into a link to outside")
	}
	if err := up.SetAttr(p9.SetAttrMask{Permissions: true}, p9.SetAttr{Permissions: 0o777}); err == nil {
		t.Errorf("chmod through a link to outside")
	}
	if err := link.SetAttr(p9.SetAttrMask{Size: true}, p9.SetAttr{}); err == nil {
		t.Errorf("truncated through a link to outside")
	}
	if err := root.Link(link, "hard"); err != nil {
		t.Logf("hard link to the symlink itself: %v", err) // allowed: it names the link, not its target
	}
	if _, _, err := walk(t, root, "fifo").Open(p9.ReadOnly); err == nil {
		t.Errorf("opened a host FIFO")
	}
	if _, err := root.Mknod("dev", p9.ModeCharacterDevice|0o666, 1, 3, p9.NoUID, p9.NoGID); err == nil {
		t.Errorf("made a device node")
	}
	for _, name := range []string{"planted", "planted-dir", "moved"} {
		if _, err := os.Lstat(filepath.Join(outside, name)); err == nil {
			t.Errorf("%s appeared outside the share", name)
		}
	}
	if fi, _ := os.Stat(outside); fi.Mode().Perm() == 0o777 {
		t.Errorf("outside's mode changed")
	}
	if b, _ := os.ReadFile(secret); string(b) != "host secret" {
		t.Errorf("secret changed: %q", b)
	}
}

// TestP9ReadOnly: nothing changes a read-only share.
func TestP9ReadOnly(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644)
	root, _ := p9Client(t, dir, true)
	f := walk(t, root, "f")
	_, _, err := f.Open(p9.ReadWrite)
	wantErrno(t, "open rw", err, linux.EROFS)
	_, _, _, err = root.Create("g", p9.WriteOnly, 0o644, p9.NoUID, p9.NoGID)
	wantErrno(t, "create", err, linux.EROFS)
	_, err = root.Mkdir("d", 0o755, p9.NoUID, p9.NoGID)
	wantErrno(t, "mkdir", err, linux.EROFS)
	wantErrno(t, "unlink", root.UnlinkAt("f", 0), linux.EROFS)
	wantErrno(t, "rename", root.RenameAt("f", root, "h"), linux.EROFS)
	wantErrno(t, "setattr", f.SetAttr(p9.SetAttrMask{Size: true}, p9.SetAttr{}), linux.EROFS)
	_, err = root.Symlink("f", "l", p9.NoUID, p9.NoGID)
	wantErrno(t, "symlink", err, linux.EROFS)
	if got := readAll(t, walk(t, root, "f")); got != "x" {
		t.Errorf("read %q", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); string(b) != "x" {
		t.Errorf("file changed: %q", b)
	}
}

// TestP9Bounds: a message longer than its chain or than msize, a tag
// already in the server and a chain too short for a header are each
// answered, and the device goes on serving.
func TestP9Bounds(t *testing.T) {
	fs, err := OpenShare(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	dev, _ := NewP9(fs, "src")
	g := newP9Guest(t, dev)
	got := make(chan []byte, 8)
	go func() {
		for {
			hdr := make([]byte, 4)
			if _, err := io.ReadFull(g, hdr); err != nil {
				return
			}
			n := binary.LittleEndian.Uint32(hdr)
			body := make([]byte, n-4)
			if _, err := io.ReadFull(g, body); err != nil {
				return
			}
			got <- append(hdr, body...)
		}
	}()
	msg := func(size uint32, typ byte, tag uint16, n int) []byte {
		b := make([]byte, n)
		binary.LittleEndian.PutUint32(b, size)
		b[4] = typ
		binary.LittleEndian.PutUint16(b[5:], tag)
		return b
	}
	for _, c := range []struct {
		name string
		msg  []byte
		want unix.Errno
	}{
		{"longer than its chain", msg(100, 110, 1, 20), unix.EMSGSIZE},
		{"longer than msize", msg(P9MsizeMax+1, 118, 2, 16), unix.EMSGSIZE},
		{"shorter than a header", msg(3, 118, 3, 8), unix.EMSGSIZE},
	} {
		g.post(c.msg, 64)
		r := <-got
		if r[4] != p9Rlerror || binary.LittleEndian.Uint32(r[7:]) != uint32(c.want) {
			t.Errorf("%s: answer %x, want Rlerror %v", c.name, r, c.want)
		}
	}
	// Too short to carry a tag: completed with nothing written, and the
	// device still answers the next request.
	g.post([]byte{1, 2, 3}, 64)
	g.post(msg(11, 120, 4, 11), 64) // Tclunk of a fid never attached: EBADF
	r := <-got
	if binary.LittleEndian.Uint16(r[5:]) != 4 {
		t.Errorf("answer %x, want tag 4", r)
	}
	if dev.Features()&p9FMountTag == 0 || string(dev.Config()[2:]) != "src" {
		t.Errorf("config %q", dev.Config())
	}
}

// TestShareClosed: once the share is closed its root's descriptor is
// gone for good; a request still in the server fails with EBADF rather
// than resolve from a number another open may have reused.
func TestShareClosed(t *testing.T) {
	fs, err := OpenShare(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := fs.Attach()
	if _, _, _, err := root.GetAttr(p9.AttrMaskAll); err != nil {
		t.Fatal(err)
	}
	fs.Close()
	_, _, _, err = root.GetAttr(p9.AttrMaskAll)
	wantErrno(t, "getattr after close", err, linux.EBADF)
	_, err = root.StatFS()
	wantErrno(t, "statfs after close", err, linux.EBADF)
	if err := fs.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

// TestP9ReaddirPages reads a directory larger than one answer page by
// page, each from the last entry's offset as Linux does, then again
// from an offset in the middle: every entry once, none lost.
func TestP9ReaddirPages(t *testing.T) {
	dir := t.TempDir()
	const n = 300
	for i := range n {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("file-with-a-long-name-%03d", i)), nil, 0o644)
	}
	root, _ := p9Client(t, dir, false)
	d := walk(t, root)
	if _, _, err := d.Open(p9.ReadOnly); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var offsets []uint64
	for off := uint64(0); ; {
		ents, err := d.Readdir(off, 1024)
		if err != nil {
			t.Fatalf("readdir at %d: %v", off, err)
		}
		if len(ents) == 0 {
			break
		}
		for _, e := range ents {
			seen[e.Name]++
			offsets = append(offsets, e.Offset)
		}
		off = ents[len(ents)-1].Offset
	}
	if len(seen) != n {
		t.Errorf("%d names, want %d", len(seen), n)
	}
	for name, c := range seen {
		if c != 1 {
			t.Errorf("%s listed %d times", name, c)
		}
	}
	mid := offsets[n/2-1]
	ents, err := d.Readdir(mid, 1024)
	if err != nil || len(ents) == 0 || ents[0].Offset != mid+1 {
		t.Errorf("readdir from offset %d: first %v, %v", mid, ents, err)
	}
}
