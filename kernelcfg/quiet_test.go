package kernelcfg

import "testing"

func TestIsQuietNoise(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"PCI: Fatal: No config space access function found\r\n", true},
		{"[    0.512345] kvm: no hardware support for 'kvm_intel'", true},
		{"kvm: no hardware support for 'kvm_amd'", true},
		{"hello from the app", false},
		{"Kernel panic - not syncing: Attempted to kill init!", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsQuietNoise(tt.line); got != tt.want {
			t.Errorf("IsQuietNoise(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}
