package hyperstart

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	noexec := filepath.Join(dir, "noexec")
	os.Mkdir(bin, 0o755)
	os.Mkdir(noexec, 0o755)
	os.WriteFile(filepath.Join(bin, "tool"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(noexec, "tool"), []byte("data"), 0o644)
	os.WriteFile(filepath.Join(noexec, "data"), []byte("data"), 0o644)

	if got, err := lookPath("tool", noexec+":"+bin); err != nil || got != filepath.Join(bin, "tool") {
		t.Errorf("lookPath(tool) = %q, %v", got, err)
	}
	if _, err := lookPath("missing", bin); !errors.Is(err, unix.ENOENT) {
		t.Errorf("lookPath(missing) = %v, want ENOENT", err)
	}
	if _, err := lookPath("data", noexec); !errors.Is(err, unix.EACCES) {
		t.Errorf("lookPath(data) = %v, want EACCES", err)
	}
	if got, err := lookPath("/abs/x", ""); err != nil || got != "/abs/x" {
		t.Errorf("lookPath(/abs/x) = %q, %v", got, err)
	}
}

func TestReportExecError(t *testing.T) {
	tests := []struct {
		err  error
		want int
		msg  string
	}{
		{unix.ENOENT, 127, `container "app": nope: not found (exit 127)`},
		{unix.EACCES, 126, `container "app": nope: cannot execute: permission denied (exit 126)`},
		{unix.ENOEXEC, 126, "cannot execute"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		got := reportExecError(NewLog(&buf, false), "app", "nope", tt.err)
		if got != tt.want || !strings.Contains(buf.String(), tt.msg) {
			t.Errorf("reportExecError(%v) = %d, %q; want %d, %q", tt.err, got, buf.String(), tt.want, tt.msg)
		}
	}
}
