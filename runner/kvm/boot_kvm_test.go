package kvm_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/runner/kvm"
	"github.com/hyperbuild/hyper/runner/kvm/kvmtest"
)

// TestBootOnKVM boots a kernel on this host's KVM with the same inner
// guest as the nested test. It skips where KVM cannot run Linux (here:
// no /dev/kvm, or one whose guests hang); the nested test covers those
// machines. HYPER_KVM_KERNEL picks the kernel (default: Debian's cloud
// kernel).
func TestBootOnKVM(t *testing.T) {
	kvmtest.RequiresKVM(t)
	kernel := os.Getenv("HYPER_KVM_KERNEL")
	if kernel == "" {
		ks, _ := filepath.Glob("/boot/vmlinuz-*")
		if len(ks) == 0 {
			t.Skip("no kernel: set HYPER_KVM_KERNEL")
		}
		kernel = ks[len(ks)-1]
	}
	dir := t.TempDir()
	bins := buildStatic(t, dir, "testinit")
	initrd := filepath.Join(dir, "initrd")
	writeArchive(t, initrd, map[string]newcFile{
		"dev":         {Dir: true},
		"dev/console": {Major: 5, Minor: 1},
		"init":        {Src: bins["testinit"], Mode: 0o755},
	})
	for _, cpus := range []int{1, 2} {
		var console bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		e, err := kvm.Run(ctx, kvm.Config{
			Kernel: kernel, Initrd: initrd, Cmdline: "console=ttyS0 quiet panic=-1",
			CPUs: cpus, MemoryMiB: 256, Console: &console,
		})
		cancel()
		if err != nil {
			t.Fatalf("%d vCPUs: %v\nconsole:\n%s", cpus, err, console.String())
		}
		if !e.Reported || e.Status != 3 || !strings.Contains(console.String(), innerLine) {
			t.Errorf("%d vCPUs: guest %s, status %d (reported %v); console:\n%s", cpus, e.How, e.Status, e.Reported, console.String())
		}
		t.Logf("%d vCPUs: first vCPU entry after %v; VMM RSS beyond guest RAM %d KiB", cpus, e.FirstEntry, (e.RSS-e.GuestResident)>>10)
	}
}

// TestStopOnCancel checks that a cancelled context ends a running VM and
// Run returns, whatever the guest is doing: it only needs /dev/kvm to
// open, so it also runs on hosts whose KVM hangs Linux guests.
func TestStopOnCancel(t *testing.T) {
	kvmtest.RequiresKVMDevice(t)
	ks, _ := filepath.Glob("/boot/vmlinuz-*")
	if len(ks) == 0 {
		t.Skip("no kernel in /boot")
	}
	tests := []struct {
		name string
		tap  string
	}{
		{"plain", ""},
		{"with a NIC", "hyperstop0"}, // its receive goroutine must end too
	}
	for _, tt := range tests {
		if tt.tap != "" && os.Geteuid() != 0 {
			t.Logf("%s: skipped: creating a tap device needs root", tt.name)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		done := make(chan error, 1)
		go func() {
			_, err := kvm.Run(ctx, kvm.Config{Kernel: ks[len(ks)-1], Cmdline: "console=ttyS0", CPUs: 2,
				MemoryMiB: 128, Console: &bytes.Buffer{}, Tap: tt.tap, StopTimeout: 100 * time.Millisecond})
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s: Run returned nil after its context was cancelled", tt.name)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: Run did not return after its context was cancelled", tt.name)
		}
		cancel()
	}
}
