//go:build linux

package ext4

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// mountImage mounts img read-write (so the kernel checks every group
// descriptor checksum) and unmounts it when the test ends. It skips when
// this machine cannot loop-mount a filesystem mke2fs made.
func mountImage(t *testing.T, img string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("loop-mounting needs root")
	}
	mke2fs, err := lookTool("mke2fs")
	if err != nil {
		t.Skipf("mke2fs not installed: %v", err)
	}
	ref := filepath.Join(t.TempDir(), "ref.ext4")
	if out, err := exec.Command(mke2fs, "-q", "-F", "-t", "ext4", ref, "8M").CombinedOutput(); err != nil {
		t.Skipf("mke2fs: %v\n%s", err, out)
	}
	try := func(img string) (string, error) {
		dir := t.TempDir()
		out, err := exec.Command("mount", "-o", "loop", "-t", "ext4", img, dir).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("mount %s: %v: %s", img, err, out)
		}
		t.Cleanup(func() {
			if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
				t.Errorf("umount %s: %v: %s", dir, err, out)
			}
		})
		return dir, nil
	}
	if _, err := try(ref); err != nil {
		t.Skipf("this machine cannot loop-mount ext4: %v", err)
	}
	dir, err := try(img)
	if err != nil {
		t.Fatalf("the kernel refuses the image: %v", err)
	}
	return dir
}

// TestKernelMount checks the fixture through the running kernel's ext4:
// checksums, extent trees, hashed directory lookups, xattrs and times.
func TestKernelMount(t *testing.T) {
	needTools(t)
	es, ws := fixture()
	for i := 0; i < 3000; i++ {
		es = append(es, entry{hdr: tar.Header{Name: fmt.Sprintf("many/entry-%04d", i), Mode: 0o644}, data: []byte(fmt.Sprint(i))})
	}
	r := ws["/"]
	r.links++ // many/
	ws["/"] = r
	img, _ := buildImage(t, addOne(makeTar(t, es...)))
	fsck(t, img)
	root := mountImage(t, img)
	for i := 0; i < 3000; i++ {
		p := filepath.Join(root, fmt.Sprintf("many/entry-%04d", i))
		if b, err := os.ReadFile(p); err != nil || string(b) != fmt.Sprint(i) {
			t.Fatalf("read %s: %q, %v", p, b, err)
		}
	}
	types := map[string]uint32{
		"regular": unix.S_IFREG, "directory": unix.S_IFDIR, "symlink": unix.S_IFLNK, "socket": unix.S_IFSOCK,
		"character special": unix.S_IFCHR, "block special": unix.S_IFBLK, "FIFO": unix.S_IFIFO,
	}
	for name, w := range ws {
		p := filepath.Join(root, name)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			t.Errorf("lstat %s: %v", name, err)
			continue
		}
		var mode uint32
		fmt.Sscanf(w.mode, "%o", &mode)
		if got, want := st.Mode, types[w.typ]|mode; got != want {
			t.Errorf("%s: mode %o, want %o", name, got, want)
		}
		if st.Uid != uint32(w.uid) || st.Gid != uint32(w.gid) || st.Nlink != uint64(w.links) {
			t.Errorf("%s: uid/gid/links %d/%d/%d, want %d/%d/%d", name, st.Uid, st.Gid, st.Nlink, w.uid, w.gid, w.links)
		}
		if w.mtime != "" {
			var lo, extra uint32
			fmt.Sscanf(w.mtime, "0x%08x:%08x", &lo, &extra)
			sec := int64(int32(lo)) + int64(extra&3)<<32
			if st.Mtim.Sec != sec || st.Mtim.Nsec != int64(extra>>2) {
				t.Errorf("%s: mtime %d.%09d, want %d.%09d", name, st.Mtim.Sec, st.Mtim.Nsec, sec, extra>>2)
			}
		}
		if w.dev != "" {
			var maj, min uint32
			fmt.Sscanf(w.dev, "%d:%d", &maj, &min)
			if w.dev[2] == ':' { // debugfs prints old-style numbers in hex
				fmt.Sscanf(w.dev, "%x:%x", &maj, &min)
			}
			if unix.Major(st.Rdev) != maj || unix.Minor(st.Rdev) != min {
				t.Errorf("%s: device %d:%d, want %d:%d", name, unix.Major(st.Rdev), unix.Minor(st.Rdev), maj, min)
			}
		}
		if w.data != nil {
			b, err := os.ReadFile(p)
			if err != nil || sha256.Sum256(b) != sha256.Sum256(w.data) {
				t.Errorf("%s: content differs (%d bytes, %v)", name, len(b), err)
			}
		}
		if w.target != "" {
			if got, err := os.Readlink(p); err != nil || got != w.target {
				t.Errorf("%s: readlink %q, %v; want %q", name, got, err, w.target)
			}
		}
	}
	for _, x := range []struct{ path, name, want string }{
		{"bin/ping", "security.capability", capability},
		{"bin/ping", "user.note", "hello"},
		{"bin/ping", "user.café", "crème"},
		{"bin/fat", "user.big", string(bytes.Repeat([]byte("x"), 600))},
		{"bin/fat", "trusted.t", "tv"},
		{"bin/acl", "system.posix_acl_access", testACL},
	} {
		buf := make([]byte, 4096)
		n, err := unix.Lgetxattr(filepath.Join(root, x.path), x.name, buf)
		if err != nil || string(buf[:n]) != x.want {
			t.Errorf("%s: xattr %s = %q, %v; want %q", x.path, x.name, buf[:max(n, 0)], err, x.want)
		}
	}
}

// TestKernelMountManyInodes mounts an image whose inodes span two groups
// and whose last group is a single block.
func TestKernelMountManyInodes(t *testing.T) {
	needTools(t)
	img, st := manyInodesImage(t)
	root := mountImage(t, img)
	t.Logf("stats: %+v", st)
	for _, p := range []string{"d00/f0000", "d20/f0500", "d39/f0999"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("stat %s: %v", p, err)
		}
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(root, &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Files != uint64(st.Inodes) || fs.Ffree != uint64(st.Inodes-st.UsedInodes) {
		t.Errorf("statfs: %d inodes, %d free; want %d, %d", fs.Files, fs.Ffree, st.Inodes, st.Inodes-st.UsedInodes)
	}
}
