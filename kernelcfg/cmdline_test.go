package kernelcfg

import (
	"bufio"
	"strings"
	"testing"
)

func TestTSCkHz(t *testing.T) {
	tests := []struct {
		cpuinfo string
		want    int // 0: an error
	}{
		{"processor\t: 0\ncpu MHz\t\t: 2596.138\n", 2596138},
		{"cpu MHz : 3000\ncpu MHz : 1200\n", 3000000},
		{"processor : 0\n", 0},
		{"cpu MHz : fast\n", 0},
	}
	for _, tt := range tests {
		got, err := tscKHz(bufio.NewScanner(strings.NewReader(tt.cpuinfo)))
		if (err != nil) != (tt.want == 0) || got != tt.want {
			t.Errorf("tscKHz(%q) = %d, %v; want %d", tt.cpuinfo, got, err, tt.want)
		}
	}
}
