package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// openTerminal returns the far end of a new pseudo-terminal.
func openTerminal(t *testing.T) *os.File {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pts.Close() })
	return pts
}

// -o - refuses to pour an image onto a terminal, and writes nothing.
func TestStdoutTerminal(t *testing.T) {
	tty := openTerminal(t)
	dir := t.TempDir()
	pod := filepath.Join(dir, "pod.hcl")
	os.WriteFile(pod, []byte("pod \"p\" {\n  container \"c\" { image = \"busybox\" }\n}\n"), 0o644)
	tar := filepath.Join(dir, "root.tar")
	os.WriteFile(tar, make([]byte, 1024), 0o644)
	for _, args := range [][]string{{pod, "-o", "-"}, {"mkfs", tar, "-o", "-"}} {
		var stderr bytes.Buffer
		if got := run(args, strings.NewReader(""), tty, &stderr); got != 2 {
			t.Errorf("hyperbuild %q to a terminal: status %d, want 2; stderr:\n%s", args, got, &stderr)
		}
		if !strings.Contains(stderr.String(), "standard output, which is a terminal") {
			t.Errorf("hyperbuild %q: stderr does not say why:\n%s", args, &stderr)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("the directory holds %d entries, want the 2 inputs", len(ents))
	}
}
