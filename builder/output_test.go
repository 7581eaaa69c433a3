package builder

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// outputFixture is a directory holding one file of each kind CheckOutput
// meets, by name.
type outputFixture struct {
	dir string
}

func newOutputFixture(t *testing.T) outputFixture {
	t.Helper()
	f := outputFixture{dir: t.TempDir()}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(f.path("pod.hcl"), []byte(`pod "p" {}`), 0o644))
	must(os.WriteFile(f.path("notes.txt"), []byte("keep me"), 0o644))
	ext4 := make([]byte, 2048)
	ext4[1024+56], ext4[1024+57] = 0x53, 0xef
	must(os.WriteFile(f.path("old.ext4"), ext4, 0o644))
	must(os.Link(f.path("pod.hcl"), f.path("hardlink.hcl")))
	must(syscall.Mkfifo(f.path("fifo"), 0o644))
	must(os.Mkdir(f.path("dir"), 0o755))
	must(os.Mkdir(f.path("empty"), 0o755))
	must(os.WriteFile(f.path("dir/photo.jpg"), []byte("meow"), 0o644))
	must(os.Mkdir(f.path("pods"), 0o755))
	must(os.WriteFile(f.path("pods/manifest.json"), []byte("{}"), 0o644))
	must(os.Symlink("/dev/null", f.path("to-null")))
	must(os.Symlink("dir", f.path("to-dir")))
	must(os.Symlink("fifo", f.path("to-fifo")))
	must(os.Symlink("pod.hcl", f.path("to-pod.hcl")))
	must(os.Symlink("nowhere", f.path("dangling")))
	must(os.Symlink("notes.txt", f.path("to-notes")))
	l, err := net.Listen("unix", f.path("sock"))
	must(err)
	t.Cleanup(func() { l.Close() })
	return f
}

func (f outputFixture) path(name string) string { return filepath.Join(f.dir, name) }

func TestCheckOutput(t *testing.T) {
	f := newOutputFixture(t)
	inputs := []Input{{"the pod file", f.path("pod.hcl")}, {"a -var-file", f.path("pods/vars.hcl")}}
	tests := []struct {
		out   string
		kind  OutputKind
		force bool
		want  string // "" accepted, else a part of the error
	}{
		{f.path("new.img"), OutputRaw, false, ""},
		{f.path("new.d"), OutputDir, false, ""},
		{f.path("empty"), OutputDir, false, ""},
		{f.path("notes.txt"), OutputRaw, true, ""},
		{f.path("old.ext4"), OutputExt4, false, ""},
		{f.path("to-notes"), OutputRaw, true, ""},

		{"", OutputRaw, false, "no output path"},
		{"-", OutputRaw, false, "standard output"},
		{f.path("missing/x.img"), OutputRaw, false, "output directory"},
		{f.path("notes.txt/x.img"), OutputRaw, false, "not a directory"},
		{"/dev/null", OutputRaw, true, "is a character device"},
		{"/dev/null", OutputExt4, true, "-o - | dd of=/dev/null"},
		{f.path("fifo"), OutputRaw, true, "is a named pipe"},
		{f.path("sock"), OutputRaw, true, "is a socket"},
		{f.path("dir"), OutputRaw, true, "is a directory"},
		{f.path("dir"), OutputExt4, true, "is a directory"},
		{f.path("to-null"), OutputRaw, true, "is a character device"},
		{f.path("to-fifo"), OutputExt4, true, "is a named pipe"},
		{f.path("to-dir"), OutputRaw, true, "is a directory"},
		{f.path("dangling"), OutputRaw, true, "leads nowhere"},
		{f.path("notes.txt"), OutputRaw, false, "add --force"},
		{f.path("notes.txt"), OutputExt4, false, "not an ext4 image"},
		{f.path("old.ext4"), OutputRaw, false, "not a hyper artifact"},
		{f.path("pod.hcl"), OutputRaw, true, "the pod file"},
		{f.path("pod.hcl"), OutputExt4, true, "the pod file"},
		{f.path("hardlink.hcl"), OutputRaw, true, "the pod file"},
		{f.path("to-pod.hcl"), OutputRaw, true, "the pod file"},
		{f.path("dir"), OutputDir, true, "not a hyper artifact"},
		{f.path("notes.txt"), OutputDir, true, "--format dir writes a directory"},
		{f.dir, OutputDir, true, "holds the pod file"},
	}
	for _, tt := range tests {
		before, _ := os.Lstat(tt.out)
		got, err := CheckOutput(tt.out, tt.kind, inputs, tt.force)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckOutput(%s, %d, force=%v): %v", tt.out, tt.kind, tt.force, err)
		case tt.want == "" && got == "":
			t.Errorf("CheckOutput(%s) accepted it but returned no path", tt.out)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckOutput(%s, %d, force=%v) = %q, %v; want an error saying %q", tt.out, tt.kind, tt.force, got, err, tt.want)
		}
		if after, _ := os.Lstat(tt.out); before != nil && (after == nil || !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size()) {
			t.Errorf("CheckOutput(%s) changed it", tt.out)
		}
	}
	if got, _ := CheckOutput(f.path("to-notes"), OutputRaw, nil, true); got != f.path("notes.txt") {
		t.Errorf("a symlink's target is what is written: got %q", got)
	}
	// Every refusal but the parent directory's is ErrOutput (status 2).
	if _, err := CheckOutput(f.path("fifo"), OutputRaw, nil, true); !errors.Is(err, ErrOutput) {
		t.Errorf("err = %v, want ErrOutput", err)
	}
}

// A previous artifact is replaced without --force, the raw one through a
// symlink too; an artifact directory that holds an input is not.
func TestCheckOutputPrevious(t *testing.T) {
	pod, dir := loadExample(t, "hello.hcl", busyboxLayout(t))
	outDir := t.TempDir()
	raw, asDir := filepath.Join(outDir, "hello.img"), filepath.Join(outDir, "hello.d")
	if _, err := Build(context.Background(), pod, dir, raw, buildOpts(t)...); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), pod, dir, asDir, append(buildOpts(t), WithFormat(FormatDir))...); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(outDir, "latest.img")
	os.Symlink("hello.img", link)
	for _, tt := range []struct {
		out  string
		kind OutputKind
		want string
	}{{raw, OutputRaw, raw}, {link, OutputRaw, raw}, {asDir, OutputDir, asDir}} {
		if got, err := CheckOutput(tt.out, tt.kind, nil, false); err != nil || got != tt.want {
			t.Errorf("CheckOutput(%s) = %q, %v; want %q", tt.out, got, err, tt.want)
		}
	}
	vars := filepath.Join(asDir, "vars.hcl")
	os.WriteFile(vars, []byte("image = \"x\"\n"), 0o644)
	if _, err := CheckOutput(asDir, OutputDir, []Input{{"a -var-file", vars}}, true); err == nil || !strings.Contains(err.Error(), "holds a -var-file") {
		t.Errorf("an artifact directory holding an input: err = %v", err)
	}
	// Build itself refuses before any slow step, and leaves nothing.
	if _, err := Build(context.Background(), pod, dir, "/dev/null", buildOpts(t)...); !errors.Is(err, ErrOutput) {
		t.Errorf("Build to /dev/null: err = %v, want ErrOutput", err)
	}
	if _, err := Build(context.Background(), pod, dir, Stdout, append(buildOpts(t), WithFormat(FormatDir), WithStdout(os.Stdout))...); !errors.Is(err, ErrOutput) {
		t.Errorf("Build --format dir to stdout: err = %v, want ErrOutput", err)
	}
}

// FuzzCheckOutput puts a file of a random kind under a random name and
// checks that CheckOutput never panics, never accepts anything but a
// regular file (or for a directory output, a directory) or nothing, and
// never accepts an input.
func FuzzCheckOutput(f *testing.F) {
	f.Add(uint8(0), "pod.img", []byte("x"), false, uint8(0), false)
	f.Add(uint8(1), "d", []byte{}, true, uint8(1), false)
	f.Add(uint8(3), "p", []byte{}, true, uint8(0), false)
	f.Add(uint8(6), "l", []byte("x"), true, uint8(2), true)
	f.Fuzz(func(t *testing.T, what uint8, name string, content []byte, force bool, kind uint8, asInput bool) {
		dir := t.TempDir()
		if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." || len(name) > 64 {
			name = "out"
		}
		p := filepath.Join(dir, name)
		other := filepath.Join(dir, "other-"+name)
		var err error
		switch what % 9 {
		case 0:
			err = os.WriteFile(p, content, 0o644)
		case 1:
			err = os.Mkdir(p, 0o755)
		case 2:
			if err = os.Mkdir(p, 0o755); err == nil {
				err = os.WriteFile(filepath.Join(p, "manifest.json"), content, 0o644)
			}
		case 3:
			err = syscall.Mkfifo(p, 0o644)
		case 4:
			var l net.Listener
			if l, err = net.Listen("unix", p); err == nil {
				defer l.Close()
			}
		case 5:
			err = os.Symlink("/dev/null", p)
		case 6:
			if err = os.WriteFile(other, content, 0o644); err == nil {
				err = os.Symlink(other, p)
			}
		case 7:
			err = os.Symlink(string(content), p)
		case 8:
			// Nothing there.
		}
		if err != nil {
			t.Skip(err) // a name the file system refuses (too long for a socket)
		}
		var inputs []Input
		if asInput {
			inputs = []Input{{"the pod file", p}}
		}
		k := OutputKind(kind % 3)
		got, err := CheckOutput(p, k, inputs, force)
		if err != nil {
			return
		}
		if asInput && what%9 != 8 {
			t.Fatalf("accepted %s, an input (kind %d)", p, what%9)
		}
		fi, err := os.Stat(got)
		if errors.Is(err, os.ErrNotExist) {
			return
		}
		if err != nil {
			t.Fatalf("accepted %s, then: %v", got, err)
		}
		if k == OutputDir && !fi.IsDir() || k != OutputDir && !fi.Mode().IsRegular() {
			t.Fatalf("accepted %s (%v) for output kind %d", got, fi.Mode(), k)
		}
	})
}
