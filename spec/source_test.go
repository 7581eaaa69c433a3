package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadSource(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want error
	}{
		{write("ok.hcl", []byte("pod \"p\" {}\n")), nil},
		{write("max.hcl", []byte(strings.Repeat("#", MaxSourceSize))), nil},
		{write("big.hcl", []byte(strings.Repeat("#", MaxSourceSize+1))), ErrTooLarge},
		{write("nul.hcl", []byte("pod\x00")), ErrNotText},
		{write("latin1.hcl", []byte("caf\xe9")), ErrNotText},
		{dir, ErrNotText},
		{fifo, ErrNotText},
	}
	for _, tt := range tests {
		_, err := ReadSource(tt.path)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("ReadSource(%s) = %v, want %v", filepath.Base(tt.path), err, tt.want)
		}
	}
}
