package hyperstart

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFirstEthernet(t *testing.T) {
	tests := []struct {
		name  string
		links map[string]string // name -> /sys/class/net/NAME/type
		want  string
	}{
		{"no card, IPv6 kernel", map[string]string{"lo": "772", "sit0": "776"}, ""},
		{"card", map[string]string{"lo": "772", "sit0": "776", "eth0": "1"}, "eth0"},
		{"tunnel sorts first", map[string]string{"lo": "772", "a-sit": "776", "enp0s2": "1"}, "enp0s2"},
		{"no type file", map[string]string{"lo": "772", "eth0": ""}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, typ := range tt.links {
				if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
					t.Fatal(err)
				}
				if typ != "" {
					if err := os.WriteFile(filepath.Join(dir, name, "type"), []byte(typ+"\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			if got := firstEthernet(dir); got != tt.want {
				t.Errorf("firstEthernet = %q, want %q", got, tt.want)
			}
		})
	}
	if got := firstEthernet(filepath.Join(t.TempDir(), "missing")); got != "" {
		t.Errorf("firstEthernet of a missing directory = %q, want none", got)
	}
}
