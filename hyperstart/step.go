package hyperstart

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// A Step is one thing init does: mount, create a directory, a device node,
// a symlink, a file. String describes it for the boot log.
type Step interface {
	Do() error
	String() string
}

// Run executes steps in order, logging each with its time when debugging.
// It stops at the first error, wrapped with the step's description.
func Run(l *Log, steps []Step) error {
	for _, s := range steps {
		l.Debugf("%s", s)
		if err := s.Do(); err != nil {
			if o, ok := s.(Optional); ok {
				l.Printf("%s (optional, skipped): %v", o.Step, err)
				continue
			}
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// Optional is a step whose failure is logged and otherwise ignored (a
// kernel built without cgroups still runs pods).
type Optional struct{ Step }

// Dir creates a directory and its parents.
type Dir struct {
	Path string
	Mode os.FileMode
}

func (d Dir) Do() error      { return os.MkdirAll(d.Path, d.Mode) }
func (d Dir) String() string { return fmt.Sprintf("mkdir %s (%#o)", d.Path, uint32(d.Mode)) }

// Symlink creates Link pointing at Target; an existing link is replaced.
type Symlink struct {
	Target string
	Link   string
}

func (s Symlink) Do() error      { return symlink(s.Target, s.Link) }
func (s Symlink) String() string { return fmt.Sprintf("symlink %s -> %s", s.Link, s.Target) }

func symlink(target, link string) error {
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return err
	}
	if cur, err := os.Readlink(link); err == nil {
		if cur == target {
			return nil
		}
		os.Remove(link)
	}
	return os.Symlink(target, link)
}

// Dev creates a device node (Mode carries the type: unix.S_IFCHR|0666).
type Dev struct {
	Path         string
	Mode         uint32
	Major, Minor uint32
}

func (d Dev) Do() error {
	err := unix.Mknod(d.Path, d.Mode, int(unix.Mkdev(d.Major, d.Minor)))
	if err == unix.EEXIST {
		return nil
	}
	if err != nil {
		return err
	}
	// mknod honours the umask; the node's mode is part of the plan.
	return unix.Chmod(d.Path, d.Mode&0o7777)
}

func (d Dev) String() string {
	kind := "c"
	if d.Mode&unix.S_IFMT == unix.S_IFBLK {
		kind = "b"
	}
	return fmt.Sprintf("mknod %s %s %d:%d (%#o)", d.Path, kind, d.Major, d.Minor, d.Mode&0o7777)
}

// File writes Content to Path, creating parent directories.
type File struct {
	Path    string
	Content string
	Mode    os.FileMode
}

func (f File) Do() error {
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(f.Path, []byte(f.Content), f.Mode)
}

func (f File) String() string { return fmt.Sprintf("write %s (%d bytes)", f.Path, len(f.Content)) }

// Hostname sets the UTS hostname shared by the pod's containers.
type Hostname string

func (h Hostname) Do() error      { return unix.Sethostname([]byte(h)) }
func (h Hostname) String() string { return "hostname " + string(h) }

// Chdir changes the working directory.
type Chdir string

func (c Chdir) Do() error      { return os.Chdir(string(c)) }
func (c Chdir) String() string { return "chdir " + string(c) }

// Remove deletes an empty directory or a file; a missing one is fine.
type Remove string

func (r Remove) Do() error {
	if err := os.Remove(string(r)); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}
func (r Remove) String() string { return "remove " + string(r) }

// joinFlags names mount flags for log lines.
func joinFlags(flags uintptr, names []flagName) string {
	var out []string
	for _, n := range names {
		if flags&n.flag != 0 {
			out = append(out, n.name)
		}
	}
	return strings.Join(out, ",")
}

type flagName struct {
	flag uintptr
	name string
}
