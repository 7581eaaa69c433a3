package kernelcfg

import (
	"errors"
	"strings"
	"testing"
)

const sampleConfig = `#
# Automatically generated file; DO NOT EDIT.
CONFIG_64BIT=y
CONFIG_NR_CPUS=64
CONFIG_CMDLINE="console=ttyS0"
# CONFIG_IPV6 is not set
CONFIG_VT=y
# CONFIG_MEMCG_KMEM is not set
`

func TestParseConfig(t *testing.T) {
	got, err := ParseConfig(strings.NewReader(sampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"64BIT": "y", "NR_CPUS": "64", "CMDLINE": `"console=ttyS0"`, "IPV6": "n", "VT": "y", "MEMCG_KMEM": "n"}
	if len(got) != len(want) {
		t.Errorf("got %d options %v, want %d", len(got), got, len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("CONFIG_%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestCheck(t *testing.T) {
	final, err := ParseConfig(strings.NewReader(sampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		want   []Setting
		errHas []string // substrings of the error; nil: no error
		errNot []string
	}{
		{"all kept", []Setting{{"64BIT", "y"}, {"NR_CPUS", "64"}, {"IPV6", "n"}, {"ABSENT", "n"}}, nil, nil},
		{"dropped by a dependency", []Setting{{"64BIT", "y"}, {"MEMCG_KMEM", "y"}},
			[]string{"CONFIG_MEMCG_KMEM=y dropped", "cgroup v2"}, []string{"64BIT"}},
		{"absent (typo)", []Setting{{"VIRTIO_BLKK", "y"}}, []string{"CONFIG_VIRTIO_BLKK=y dropped"}, nil},
		{"trimmed option still on", []Setting{{"VT", "n"}}, []string{"CONFIG_VT=n still on", "trim"}, nil},
		{"value changed", []Setting{{"NR_CPUS", "8"}}, []string{"CONFIG_NR_CPUS=8 changed (got 64)"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(final, tt.want)
			if tt.errHas == nil {
				if err != nil {
					t.Fatalf("Check: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrOptionDropped) {
				t.Fatalf("Check: %v, want ErrOptionDropped", err)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			for _, s := range tt.errNot {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q names %q, which was kept", err, s)
				}
			}
		})
	}
}

// TestCheckFragmentAgainstItself: a .config that is exactly the fragment
// satisfies the check (the two spell options the same way).
func TestCheckFragmentAgainstItself(t *testing.T) {
	final, err := ParseConfig(strings.NewReader(Fragment()))
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(final, Settings()); err != nil {
		t.Fatal(err)
	}
}
