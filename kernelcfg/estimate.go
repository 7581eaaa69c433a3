package kernelcfg

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// fileObjects is the number of objects the entry's build compiled (the
// CC and AS lines): the exact total a later build of the same fragment
// shows in its progress.
const fileObjects = "objects"

// topDirs are the directories whose objects vmlinux links (the top-level
// Makefile's core-y, drivers-y, libs-y and arch/x86's), where the count
// of objects to compile starts.
var topDirs = []string{"init", "usr", "arch/x86", "kernel", "certs", "mm", "fs", "ipc", "security", "crypto", "block", "io_uring", "drivers", "sound", "net", "lib", "virt", "arch/x86/boot", "arch/x86/boot/compressed"}

// assignRE matches kbuild list assignments: obj-y += a.o b/,
// obj-$(CONFIG_X) := c.o, foo-objs = d.o.
var assignRE = regexp.MustCompile(`^([A-Za-z0-9_.-]+?)-(y|objs|\$\(CONFIG_([A-Z0-9_]+)\))\s*[:+]?=\s*(.*)$`)

// estimateObjects is roughly how many objects `make bzImage` compiles in
// the configured tree src: it follows each directory's Kbuild or Makefile
// from topDirs through obj-y and enabled obj-$(CONFIG_X) entries, counting
// .o files (a composite object counts its parts). It reads no make logic
// (ifeq, functions), so it is an estimate, shown as ~N; after a build the
// exact count is recorded in the entry (fileObjects).
func estimateObjects(src string, cfg map[string]string) int {
	seen := map[string]bool{}
	n := 0
	for _, d := range topDirs {
		n += countDir(src, d, cfg, seen, 0)
	}
	return n
}

func countDir(src, dir string, cfg map[string]string, seen map[string]bool, depth int) int {
	dir = filepath.Clean(dir)
	if seen[dir] || depth > 32 {
		return 0
	}
	seen[dir] = true
	lists := readLists(src, dir, cfg)
	n := 0
	var count func(obj string, depth int) int
	count = func(obj string, d int) int {
		base := strings.TrimSuffix(obj, ".o")
		if parts, ok := lists[base]; ok && d < 8 && base != "obj" && base != "lib" {
			c := 0
			for _, p := range parts {
				if strings.HasSuffix(p, ".o") {
					c += count(p, d+1)
				}
			}
			return c
		}
		return 1
	}
	for _, name := range []string{"obj", "lib", "setup", "vmlinux-objs"} {
		for _, tok := range lists[name] {
			switch {
			case strings.HasSuffix(tok, "/"):
				n += countDir(src, filepath.Join(dir, tok), cfg, seen, depth+1)
			case strings.HasSuffix(tok, ".o"):
				n += count(tok, 0)
			}
		}
	}
	return n
}

// readLists reads the enabled list assignments of one directory's
// Kbuild (else Makefile): list name -> tokens.
func readLists(src, dir string, cfg map[string]string) map[string][]string {
	lists := map[string][]string{}
	var f *os.File
	for _, name := range []string{"Kbuild", "Makefile"} {
		if ff, err := os.Open(filepath.Join(src, dir, name)); err == nil {
			f = ff
			break
		}
	}
	if f == nil {
		return lists
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var line string
	for sc.Scan() {
		t := sc.Text()
		if strings.HasSuffix(t, "\\") {
			line += strings.TrimSuffix(t, "\\") + " "
			continue
		}
		line += t
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if m := assignRE.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			on := m[2] == "y" || m[2] == "objs" || cfg[m[3]] == "y"
			if on {
				for _, tok := range strings.Fields(m[4]) {
					if !strings.Contains(tok, "$") {
						lists[m[1]] = append(lists[m[1]], tok)
					}
				}
			}
		}
		line = ""
	}
	return lists
}

// recordedObjects is the object count a previous build with the same
// fragment recorded, 0 if none did.
func (o *options) recordedObjects() int {
	des, err := os.ReadDir(o.kernelDir())
	if err != nil {
		return 0
	}
	for _, de := range des {
		dir := o.entryDir(de.Name())
		frag, err := os.ReadFile(filepath.Join(dir, fileFragment))
		if err != nil || string(frag) != Fragment() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, fileObjects))
		if err != nil {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 {
			return n
		}
	}
	return 0
}
