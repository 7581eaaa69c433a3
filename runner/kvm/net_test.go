package kvm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/runner"
)

// TestAutoChoosesKVMForPorts: with KVM working (a fake probe), --backend
// auto boots a pod that publishes ports on kvm; without it, kvm says why.
func TestAutoChoosesKVMForPorts(t *testing.T) {
	defer func(p func() error) { kvmUsable = p }(kvmUsable)
	b := runner.Boot{Ports: []contract.Port{{Host: 8080, Guest: 80, Protocol: "tcp"}}}

	kvmUsable = func() error { return nil }
	var v bytes.Buffer
	be, err := runner.Choose(runner.BackendAuto, b, &v)
	if err != nil {
		t.Fatalf("Choose(auto) with KVM = %v", err)
	}
	if be.Name() != runner.BackendKVM {
		t.Errorf("Choose(auto) with KVM = %s, want kvm", be.Name())
	}
	if !strings.Contains(v.String(), "backend kvm") {
		t.Errorf("verbose %q does not say kvm", v.String())
	}

	kvmUsable = func() error { return errors.New("fake: /dev/kvm missing") }
	be, err = runner.Choose(runner.BackendAuto, b, &v)
	if err == nil && be.Name() == runner.BackendKVM {
		t.Errorf("Choose(auto) without KVM = kvm")
	}
	if err != nil && !strings.Contains(err.Error(), "fake: /dev/kvm missing") {
		t.Errorf("Choose(auto) without KVM = %v, want the probe's reason", err)
	}
}

func TestUserNetCmdline(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"console=ttyS0", "console=ttyS0 hyper.ip=10.0.2.15/24 hyper.gw=10.0.2.2 hyper.dns=10.0.2.3"},
		{"hyper.ip=192.168.1.5/24 quiet", "hyper.ip=192.168.1.5/24 quiet hyper.gw=10.0.2.2 hyper.dns=10.0.2.3"},
		{"", "hyper.ip=10.0.2.15/24 hyper.gw=10.0.2.2 hyper.dns=10.0.2.3"},
	} {
		if got := userNetCmdline(tt.in); got != tt.want {
			t.Errorf("userNetCmdline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStartPublishes: Start listens on the published port before the VM
// runs, refuses a busy one with the runner's error, and lets the port go
// once Wait has returned (here a VM that fails for want of a kernel).
func TestStartPublishes(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := func(l net.Listener) contract.Port {
		return contract.Port{Host: l.Addr().(*net.TCPAddr).Port, Guest: 80, Protocol: "tcp"}
	}
	boot := runner.Boot{Kernel: filepath.Join(t.TempDir(), "missing"), CPUs: 1, MemoryMiB: 256, Net: "user"}

	b := boot
	b.Ports = []contract.Port{port(busy)}
	if _, err := (&Backend{}).Start(context.Background(), b); !errors.Is(err, runner.ErrPortBusy) {
		t.Errorf("Start with a busy port = %v, want ErrPortBusy", err)
	}

	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := port(free)
	free.Close()
	b = boot
	b.Ports = []contract.Port{p}
	m, err := (&Backend{}).Start(context.Background(), b)
	if err != nil {
		t.Fatalf("Start = %v", err)
	}
	if _, err := m.Wait(); err == nil {
		t.Fatal("a VM without a kernel ran")
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p.Host))
	if err != nil {
		t.Errorf("the published port is still held after Wait: %v", err)
	} else {
		l.Close()
	}
}
