package initrd

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

func testPod() *contract.Pod {
	return &contract.Pod{Version: contract.Version, Name: "web", Containers: []contract.Container{
		{Name: "nginx", Image: "nginx:1", Restart: contract.RestartAlways, Env: map[string]string{"B": "2", "A": "1"}},
	}}
}

func fakeInit(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hyperstart")
	if err := os.WriteFile(p, []byte("\x7fELF pretend hyperstart\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func build(t testing.TB, opts ...Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, fakeInit(t), testPod(), opts...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	extra := WithEntries(
		File("/etc/hosts", 0o644, []byte("127.0.0.1 localhost\n")),
		Symlink("/bin/sh", "/init"),
		Entry{Name: "dev/vda", Mode: os.ModeDevice | 0o600, Major: 254, Minor: 0},
		Entry{Name: "run/fifo", Mode: os.ModeNamedPipe | 0o644},
	)
	for _, c := range []Compression{Gzip, Zstd, None} {
		t.Run(c.String(), func(t *testing.T) {
			img := build(t, WithCompression(c), extra)
			got, err := List(bytes.NewReader(img))
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, e := range got {
				lines = append(lines, e.String())
			}
			want := []string{
				"drwxr-xr-x bin",
				"Lrwxrwxrwx bin/sh -> /init",
				"drwxr-xr-x dev",
				"Dcrw------- dev/console 5,1",
				"Dcrw-rw-rw- dev/null 1,3",
				"Drw------- dev/vda 254,0",
				"drwxr-xr-x etc",
				"-rw-r--r-- etc/hosts (20 bytes)",
				"drwxr-xr-x hyper",
				"-rw-r--r-- hyper/pod.json (" + strconv.Itoa(len(podJSON(t))) + " bytes)",
				"-rwxr-xr-x init (24 bytes)",
				"dr-xr-xr-x proc",
				"drwxr-xr-x run",
				"prw-r--r-- run/fifo",
				"dr-xr-xr-x sys",
				"dtrwxrwxrwx tmp",
			}
			if g, w := strings.Join(lines, "\n"), strings.Join(want, "\n"); g != w {
				t.Errorf("List:\n%s\nwant:\n%s", g, w)
			}
			b, err := ReadFile(bytes.NewReader(img), contract.Path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, podJSON(t)) {
				t.Errorf("pod.json = %s", b)
			}
		})
	}
}

func podJSON(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := Write(&buf, fakeInit(t), testPod(), WithCompression(None)); err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(buf.Bytes(), []byte(`{"version"`))
	j := bytes.Index(buf.Bytes()[i:], []byte("}\n"))
	return buf.Bytes()[i : i+j+2]
}

func TestDeterministic(t *testing.T) {
	for _, c := range []Compression{Gzip, Zstd, None} {
		a := build(t, WithCompression(c), WithMTime(time.Unix(1700000000, 0)))
		b := build(t, WithCompression(c), WithMTime(time.Unix(1700000000, 0)))
		if sha256.Sum256(a) != sha256.Sum256(b) {
			t.Errorf("%v: two builds differ", c)
		}
	}
	if bytes.Equal(build(t, WithMTime(time.Unix(1, 0))), build(t, WithMTime(time.Unix(2, 0)))) {
		t.Error("WithMTime has no effect")
	}
}

func TestBadInput(t *testing.T) {
	var buf bytes.Buffer
	tests := []struct {
		name string
		init string
		opts []Option
		want error
	}{
		{"missing init", "/nonexistent/hyperstart", nil, os.ErrNotExist},
		{"init is a dir", t.TempDir(), nil, ErrBadEntry},
		{"replace init", fakeInit(t), []Option{WithEntries(File("/init", 0o755, nil))}, ErrDuplicate},
		{"replace contract", fakeInit(t), []Option{WithEntries(File(contract.Path, 0o644, nil))}, ErrDuplicate},
		{"twice", fakeInit(t), []Option{WithEntries(File("/a", 0o644, nil), File("a", 0o644, nil))}, ErrDuplicate},
		{"under a file", fakeInit(t), []Option{WithEntries(File("/init/x", 0o644, nil))}, ErrBadEntry},
		{"empty name", fakeInit(t), []Option{WithEntries(File("", 0o644, nil))}, ErrBadEntry},
		{"symlink no target", fakeInit(t), []Option{WithEntries(Entry{Name: "l", Mode: os.ModeSymlink})}, ErrBadEntry},
		{"irregular type", fakeInit(t), []Option{WithEntries(Entry{Name: "x", Mode: os.ModeIrregular})}, ErrBadEntry},
		{"bad compression", fakeInit(t), []Option{WithCompression(7)}, nil},
	}
	for _, tt := range tests {
		err := Write(&buf, tt.init, testPod(), tt.opts...)
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if err := Write(&buf, fakeInit(t), testPod(), WithEntries(Dir("/tmp", 0o700))); err != nil {
		t.Errorf("replacing a default: %v", err)
	}
	for _, in := range [][]byte{nil, []byte("hello world"), {0x1f, 0x8b, 0, 0}, []byte("0707019999")} {
		if _, err := List(bytes.NewReader(in)); !errors.Is(err, ErrNotInitramfs) {
			t.Errorf("List(%q) err = %v, want ErrNotInitramfs", in, err)
		}
	}
	if _, err := ReadFile(bytes.NewReader(build(t)), "/nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadFile(/nope) err = %v", err)
	}
}

// TestCpioTool checks the archive with GNU cpio, the reference reader.
func TestCpioTool(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Skip("cpio not installed (Debian package cpio)")
	}
	cmd := exec.Command("cpio", "-t", "-v", "--quiet")
	cmd.Stdin = bytes.NewReader(build(t, WithCompression(None)))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio -tv: %v\n%s", err, out)
	}
	var console, init string
	for _, l := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasSuffix(l, " dev/console"):
			console = l
		case strings.HasSuffix(l, " init"):
			init = l
		}
	}
	if f := strings.Fields(console); len(f) < 6 || f[0] != "crw-------" || f[4] != "5," || f[5] != "1" {
		t.Errorf("cpio -tv dev/console line = %q, want crw------- ... 5, 1", console)
	}
	if f := strings.Fields(init); len(f) < 5 || f[0] != "-rwxr-xr-x" || f[2] != "root" || f[4] != "24" {
		t.Errorf("cpio -tv init line = %q", init)
	}
}

func TestTruncated(t *testing.T) {
	img := build(t, WithCompression(None))
	for _, n := range []int{0, 110, len(img) / 2, len(img) - 124} {
		if _, err := List(bytes.NewReader(img[:n])); !errors.Is(err, ErrNotInitramfs) {
			t.Errorf("List(first %d of %d bytes) err = %v, want ErrNotInitramfs", n, len(img), err)
		}
	}
}

func FuzzList(f *testing.F) {
	f.Add(build(f, WithCompression(None)))
	f.Add([]byte("070701"))
	f.Fuzz(func(t *testing.T, b []byte) {
		List(bytes.NewReader(b))
	})
}
