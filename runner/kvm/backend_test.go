package kvm

import (
	"errors"
	"testing"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/runner"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		b    runner.Boot
		want error
	}{
		{"plain", runner.Boot{Net: "user"}, nil},
		{"no network", runner.Boot{Net: "none"}, nil},
		{"ports", runner.Boot{Ports: []contract.Port{{Host: 8080, Guest: 80}}}, ErrPorts},
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
