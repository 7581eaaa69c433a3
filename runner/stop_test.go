package runner

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/initrd"
)

func TestPodStopTimeout(t *testing.T) {
	dir := t.TempDir()
	initBin := filepath.Join(dir, "init")
	os.WriteFile(initBin, []byte("#!/bin/sh\n"), 0o755)
	tests := []struct {
		name     string
		timeouts []time.Duration
		want     time.Duration
	}{
		{"longest plus margin", []time.Duration{5 * time.Second, 30 * time.Second}, 40 * time.Second},
		{"unset means 10s", []time.Duration{0}, 20 * time.Second},
		{"short", []time.Duration{time.Second}, 11 * time.Second},
	}
	for _, tt := range tests {
		p := &contract.Pod{Version: contract.Version, Name: "p"}
		for i, d := range tt.timeouts {
			p.Containers = append(p.Containers, contract.Container{Name: string(rune('a' + i)), Restart: contract.RestartNever, StopTimeout: contract.Duration(d)})
		}
		path := filepath.Join(dir, tt.name+".cpio")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := initrd.Write(f, initBin, p); err != nil {
			t.Fatal(err)
		}
		f.Close()
		got, err := podStopTimeout(path)
		if err != nil || got != tt.want {
			t.Errorf("%s: podStopTimeout = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("not an initramfs"), 0o644)
	if _, err := podStopTimeout(junk); err == nil {
		t.Error("podStopTimeout on junk succeeded")
	}
}
