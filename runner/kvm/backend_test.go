package kvm

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/runner"
	"github.com/hyperbuild/hyper/runner/kvm/virtio"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		b    runner.Boot
		want error
	}{
		{"plain", runner.Boot{Net: "user"}, nil},
		{"no network", runner.Boot{Net: "none"}, nil},
		{"ports", runner.Boot{Ports: []contract.Port{{Host: 8080, Guest: 80}}}, nil},
		{"ports, user net", runner.Boot{Net: "user", Ports: []contract.Port{{Host: 8080, Guest: 80}}}, nil},
		{"ports on a tap", runner.Boot{Net: "tap:tap0", Ports: []contract.Port{{Host: 8080, Guest: 80}}}, ErrPorts},
		{"ports without a network", runner.Boot{Net: "none", Ports: []contract.Port{{Host: 8080, Guest: 80}}}, ErrPorts},
		{"tap", runner.Boot{Net: "tap:tap0"}, nil},
		{"bad net", runner.Boot{Net: "bridge"}, runner.ErrBadNet},
	}
	for _, tt := range tests {
		err := (&Backend{}).Check(tt.b)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: Check = %v, want %v", tt.name, err, tt.want)
		}
		if tt.want == ErrPorts && !errors.Is(err, runner.ErrUnsupported) {
			t.Errorf("%s: Check = %v, want it to match runner.ErrUnsupported", tt.name, err)
		}
	}
}

func TestRegistered(t *testing.T) {
	be, err := runner.Lookup("kvm")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := be.(*Backend); !ok {
		t.Errorf("runner's kvm backend is %T", be)
	}
}

// TestAgent: the machine's agent port opens at once, one end at a time,
// and says the VM stopped once it has, even when it never started.
func TestAgent(t *testing.T) {
	ctx := context.Background()
	con, err := virtio.NewConsole(contract.AgentPort)
	if err != nil {
		t.Fatal(err)
	}
	m := &vm{agent: con}
	rwc, err := m.Agent(ctx)
	if err != nil {
		t.Fatalf("Agent = %v", err)
	}
	if _, err := m.Agent(ctx); !errors.Is(err, virtio.ErrPortBusy) {
		t.Errorf("second Agent = %v, want ErrPortBusy", err)
	}
	rwc.Close()
	if rwc, err = m.Agent(ctx); err != nil {
		t.Fatalf("Agent after Close = %v", err)
	}
	con.Stop()
	if _, err := rwc.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("Read after the VM stopped = %v, want EOF", err)
	}

	be := &Backend{}
	vmm, err := be.Start(ctx, runner.Boot{Kernel: filepath.Join(t.TempDir(), "missing"), Net: "none", CPUs: 1, MemoryMiB: 256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vmm.Wait(); err == nil {
		t.Fatal("a VM without a kernel ran")
	}
	if _, err := vmm.Agent(ctx); !errors.Is(err, runner.ErrStopped) {
		t.Errorf("Agent of a VM that never ran = %v, want ErrStopped", err)
	}
}
