package ext4

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	t2100 = time.Date(2100, 1, 1, 0, 0, 0, 123456789, time.UTC)
	t1960 = time.Date(1960, 6, 1, 12, 0, 0, 0, time.UTC)
	tBase = time.Date(2024, 3, 1, 10, 0, 0, 500, time.UTC)
)

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// fragmented returns n data blocks, each followed by a hole block.
func fragmented(n int) []byte {
	b := make([]byte, 2*n*blockSize)
	for i := 0; i < n; i++ {
		copy(b[2*i*blockSize:], fmt.Sprintf("block %d", i))
	}
	return b
}

// vfsACL encodes a POSIX ACL the way tar carries it (xattr version 2).
func vfsACL(entries ...[3]uint32) string {
	b := binary.LittleEndian.AppendUint32(nil, 2)
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint16(b, uint16(e[0]))
		b = binary.LittleEndian.AppendUint16(b, uint16(e[1]))
		b = binary.LittleEndian.AppendUint32(b, e[2])
	}
	return string(b)
}

// testACL is user::rwx user:1000:r-x group::r-x mask::r-x other::---, as
// the kernel reports it (ACL_UNDEFINED_ID for entries without an id).
var testACL = vfsACL([3]uint32{1, 7, ^uint32(0)}, [3]uint32{2, 5, 1000}, [3]uint32{4, 5, ^uint32(0)}, [3]uint32{0x10, 5, ^uint32(0)}, [3]uint32{0x20, 0, ^uint32(0)})

// capability is a VFS_CAP_REVISION_2 security.capability granting
// CAP_NET_BIND_SERVICE.
var capability = string([]byte{0, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})

type want struct {
	typ      string // debugfs "Type:"
	mode     string // debugfs "Mode:", e.g. "04755"
	uid, gid int
	links    int
	size     int64
	data     []byte // regular file content (compared by sha256)
	target   string // symlink target
	dev      string // "major:minor" in debugfs hex form
	mtime    string // raw "0xLO:EXTRA" from debugfs
	xattrs   []string
	etb      string // extent tree block marker expected in stat
}

func fixture() ([]entry, map[string]want) {
	big := randBytes(1, 300_000)
	holes := append(append(randBytes(2, 3*blockSize), make([]byte, 20*blockSize)...), randBytes(3, 100)...)
	frag1 := fragmented(100)  // 100 extents: one leaf block
	frag2 := fragmented(1500) // more than 4 leaves: depth 2
	long100 := strings.Repeat("a/", 50)
	long60 := strings.Repeat("b", 60)
	fast59 := strings.Repeat("c", 59)
	bigXattr := strings.Repeat("x", 600)
	m := func(name string, typ byte, mode int64, data []byte) entry {
		return entry{hdr: tar.Header{Name: name, Typeflag: typ, Mode: mode, ModTime: tBase}, data: data}
	}
	es := []entry{
		m("bin/", tar.TypeDir, 0o755, nil),
		m("bin/su", tar.TypeReg, 0o4755, []byte("#!/bin/su\n")),
		m("bin/sg", tar.TypeReg, 0o2711, []byte("sg")),
		m("tmp/", tar.TypeDir, 0o1777, nil),
		m("home/user/file", tar.TypeReg, 0o600, big), // implicit parents
		m("etc/empty", tar.TypeReg, 0o644, nil),
		m("etc/holes", tar.TypeReg, 0o644, holes),
		m("data/frag1", tar.TypeReg, 0o644, frag1),
		m("data/frag2", tar.TypeReg, 0o644, frag2),
		{hdr: tar.Header{Name: "etc/owned", Mode: 0o640, Uid: 100000, Gid: 4000000000, ModTime: tBase}, data: []byte("owned")},
		{hdr: tar.Header{Name: "etc/future", Mode: 0o644, ModTime: t2100}, data: []byte("2100")},
		{hdr: tar.Header{Name: "etc/past", Mode: 0o644, ModTime: t1960}, data: []byte("1960")},
		{hdr: tar.Header{Name: "lib", Typeflag: tar.TypeSymlink, Linkname: "usr/lib", ModTime: tBase, Mode: 0o777}},
		{hdr: tar.Header{Name: "slow100", Typeflag: tar.TypeSymlink, Linkname: long100, ModTime: tBase, Mode: 0o777}},
		{hdr: tar.Header{Name: "slow60", Typeflag: tar.TypeSymlink, Linkname: long60, ModTime: tBase, Mode: 0o777}},
		{hdr: tar.Header{Name: "fast59", Typeflag: tar.TypeSymlink, Linkname: fast59, ModTime: tBase, Mode: 0o777}},
		{hdr: tar.Header{Name: "bin/su2", Typeflag: tar.TypeLink, Linkname: "bin/su"}},
		{hdr: tar.Header{Name: "etc/owned-a", Typeflag: tar.TypeLink, Linkname: "etc/owned"}},
		{hdr: tar.Header{Name: "tmp/owned-b", Typeflag: tar.TypeLink, Linkname: "./etc/owned"}},
		{hdr: tar.Header{Name: "dev/null", Typeflag: tar.TypeChar, Mode: 0o666, Devmajor: 1, Devminor: 3, ModTime: tBase}},
		{hdr: tar.Header{Name: "dev/sda", Typeflag: tar.TypeBlock, Mode: 0o660, Gid: 6, Devmajor: 8, Devminor: 0, ModTime: tBase}},
		{hdr: tar.Header{Name: "dev/big", Typeflag: tar.TypeChar, Mode: 0o600, Devmajor: 259, Devminor: 65537, ModTime: tBase}},
		{hdr: tar.Header{Name: "run/fifo", Typeflag: tar.TypeFifo, Mode: 0o620, ModTime: tBase}},
		{hdr: tar.Header{Name: "run/sock", Typeflag: tar.TypeReg, Mode: 0o140755, ModTime: tBase}},
		{hdr: tar.Header{Name: "bin/ping", Mode: 0o755, ModTime: tBase, PAXRecords: map[string]string{
			"SCHILY.xattr.security.capability": capability,
			"SCHILY.xattr.user.note":           "hello",
			"SCHILY.xattr.user.café":           "crème", // hashed with bytes >= 0x80
		}}, data: []byte("ping")},
		{hdr: tar.Header{Name: "bin/fat", Mode: 0o755, ModTime: tBase, PAXRecords: map[string]string{
			"SCHILY.xattr.user.big":   bigXattr,
			"SCHILY.xattr.user.small": "s",
			"SCHILY.xattr.trusted.t":  "tv",
		}}, data: []byte("fat")},
		{hdr: tar.Header{Name: "bin/acl", Mode: 0o750, ModTime: tBase, PAXRecords: map[string]string{
			"SCHILY.xattr.system.posix_acl_access": testACL,
		}}, data: []byte("acl")},
		m("bin/", tar.TypeDir, 0o750, nil), // repeated directory: metadata update
	}
	hex := func(tm time.Time) string {
		lo, extra := makeTimestamp(tm).encode()
		return fmt.Sprintf("0x%08x:%08x", lo, extra)
	}
	ws := map[string]want{
		"/":               {typ: "directory", mode: "0755", links: 10},
		"/lost+found":     {typ: "directory", mode: "0700", links: 2},
		"/bin":            {typ: "directory", mode: "0750", links: 2, mtime: hex(tBase)},
		"/tmp":            {typ: "directory", mode: "01777", links: 2},
		"/home":           {typ: "directory", mode: "0755", links: 3},
		"/bin/su":         {typ: "regular", mode: "04755", links: 2, data: []byte("#!/bin/su\n")},
		"/bin/su2":        {typ: "regular", mode: "04755", links: 2, data: []byte("#!/bin/su\n")},
		"/bin/sg":         {typ: "regular", mode: "02711", links: 1, data: []byte("sg")},
		"/home/user/file": {typ: "regular", mode: "0600", links: 1, data: big},
		"/etc/empty":      {typ: "regular", mode: "0644", links: 1, data: []byte{}},
		"/etc/holes":      {typ: "regular", mode: "0644", links: 1, data: holes},
		"/data/frag1":     {typ: "regular", mode: "0644", links: 1, data: frag1, etb: "(ETB0)"},
		"/data/frag2":     {typ: "regular", mode: "0644", links: 1, data: frag2, etb: "(ETB1)"},
		"/etc/owned":      {typ: "regular", mode: "0640", uid: 100000, gid: 4000000000, links: 3, data: []byte("owned")},
		"/tmp/owned-b":    {typ: "regular", mode: "0640", uid: 100000, gid: 4000000000, links: 3, data: []byte("owned")},
		"/etc/future":     {typ: "regular", mode: "0644", links: 1, mtime: hex(t2100), data: []byte("2100")},
		"/etc/past":       {typ: "regular", mode: "0644", links: 1, mtime: hex(t1960), data: []byte("1960")},
		"/lib":            {typ: "symlink", mode: "0777", links: 1, target: "usr/lib"},
		"/slow100":        {typ: "symlink", mode: "0777", links: 1, target: long100},
		"/slow60":         {typ: "symlink", mode: "0777", links: 1, target: long60},
		"/fast59":         {typ: "symlink", mode: "0777", links: 1, target: fast59},
		"/dev/null":       {typ: "character special", mode: "0666", links: 1, dev: "01:03"},
		"/dev/sda":        {typ: "block special", mode: "0660", gid: 6, links: 1, dev: "08:00"},
		"/dev/big":        {typ: "character special", mode: "0600", links: 1, dev: "259:65537"},
		"/run/fifo":       {typ: "FIFO", mode: "0620", links: 1},
		"/run/sock":       {typ: "socket", mode: "0755", links: 1},
		"/bin/ping": {typ: "regular", mode: "0755", links: 1, data: []byte("ping"), xattrs: []string{
			`security.capability (20) = 00 00 00 02 00 04 00 00`, `user.note (5) = "hello"`, `75 73 65 72 2e 63 61 66 c3 a9  (6) = 63 72 c3 a8 6d 65`}}, // debugfs: user.café = crème in hex
		"/bin/fat": {typ: "regular", mode: "0755", links: 1, data: []byte("fat"), xattrs: []string{
			`user.big (600)`, `user.small (1) = "s"`, `trusted.t (2) = "tv"`}},
		"/bin/acl": {typ: "regular", mode: "0750", links: 1, data: []byte("acl"), xattrs: []string{
			// ext4's on-disk ACL form: version 1, short entries but for user 1000.
			`system.posix_acl_access (28) = 01 00 00 00 01 00 07 00 02 00 05 00 e8 03 00 00 04 00 05 00 10 00 05 00 20 00 00 00`}},
	}
	return es, ws
}

func TestFixture(t *testing.T) {
	needTools(t)
	es, ws := fixture()
	tb := makeTar(t, es...)
	img, st := buildImage(t, func(w *Writer) error { return w.AddTar("", bytes.NewReader(tb)) }, WithLabel("hyper-test"))
	t.Logf("stats: %+v", st)
	fsck(t, img)
	if got := field(debugfs(t, img, "stats"), "Filesystem volume name:"); got != "hyper-test" {
		t.Errorf("label = %q, want hyper-test", got)
	}
	for p, w := range ws {
		checkEntry(t, img, p, w)
	}
}

func checkEntry(t *testing.T, img, p string, w want) {
	t.Helper()
	os.Setenv("TZ", "GMT")
	st := debugfs(t, img, "stat "+p)
	if st == "" {
		t.Errorf("%s: debugfs stat printed nothing", p)
		return
	}
	kv := func(key string) string {
		f := strings.Fields(field(st, key))
		if len(f) == 0 {
			return ""
		}
		return f[0]
	}
	check := func(what, got, want string) {
		if got != want {
			t.Errorf("%s: %s = %q, want %q", p, what, got, want)
		}
	}
	check("type", strings.TrimSpace(strings.SplitN(field(st, "Type:"), "Mode:", 2)[0]), w.typ)
	check("mode", kv("Mode:"), w.mode)
	check("uid", fmt.Sprint(uint32(atoi(kv("User:")))), fmt.Sprint(w.uid))
	check("gid", fmt.Sprint(uint32(atoi(kv("Group:")))), fmt.Sprint(w.gid))
	check("links", kv("Links:"), fmt.Sprint(w.links))
	if w.mtime != "" {
		check("mtime", kv("mtime:"), w.mtime)
	}
	if w.dev != "" {
		check("device", kv("Device major/minor number:"), w.dev)
	}
	if w.etb != "" && !strings.Contains(st, w.etb) {
		t.Errorf("%s: stat shows no %s extent tree block:\n%s", p, w.etb, st)
	}
	if w.data != nil {
		check("size", kv("Size:"), fmt.Sprint(len(w.data)))
		got := catFile(t, img, p)
		if sha256.Sum256(got) != sha256.Sum256(w.data) {
			t.Errorf("%s: content differs (got %d bytes, want %d)", p, len(got), len(w.data))
		}
	}
	if w.target != "" {
		check("size", kv("Size:"), fmt.Sprint(len(w.target)))
		got := field(st, "Fast link dest:")
		if got == "" {
			got = `"` + string(catFile(t, img, p)) + `"`
		}
		check("symlink target", got, `"`+w.target+`"`)
	}
	if w.xattrs != nil {
		ea := debugfs(t, img, "ea_list "+p)
		for _, x := range w.xattrs {
			if !strings.Contains(ea, x) {
				t.Errorf("%s: xattrs lack %q:\n%s", p, x, ea)
			}
		}
	}
}

// atoi parses debugfs's signed 32-bit ids.
func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func catFile(t *testing.T, img, p string) []byte {
	t.Helper()
	dp, _ := lookTool("debugfs")
	out, err := exec.Command(dp, "-R", "cat "+p, img).Output()
	if err != nil {
		t.Fatalf("debugfs cat %s: %v", p, err)
	}
	return out
}
