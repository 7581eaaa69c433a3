package runner

import (
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
)

func TestPodStopTimeout(t *testing.T) {
	tests := []struct {
		name     string
		timeouts []time.Duration
		want     time.Duration
	}{
		{"longest plus margin", []time.Duration{5 * time.Second, 30 * time.Second}, 40 * time.Second},
		{"unset means 10s", []time.Duration{0}, 20 * time.Second},
		{"short", []time.Duration{time.Second}, 11 * time.Second},
		{"no containers", nil, 20 * time.Second},
	}
	for _, tt := range tests {
		var m disk.Manifest
		for i, d := range tt.timeouts {
			m.Containers = append(m.Containers, disk.ManifestContainer{Name: string(rune('a' + i)), StopTimeout: contract.Duration(d)})
		}
		if got := podStopTimeout(m); got != tt.want {
			t.Errorf("%s: podStopTimeout = %v; want %v", tt.name, got, tt.want)
		}
	}
}
