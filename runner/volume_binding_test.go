package runner

import (
	"errors"
	"path"
	"strings"
	"testing"
)

func TestParseVolumeBinding(t *testing.T) {
	tests := []struct {
		in   string
		want VolumeBinding
	}{
		{"data=./data.ext4", VolumeBinding{Target: "data", Path: "./data.ext4"}},
		{"data=/d/x.ext4:ro", VolumeBinding{Target: "data", Path: "/d/x.ext4", ReadOnly: true}},
		{"data=a=b:c", VolumeBinding{Target: "data", Path: "a=b:c"}},
		{"./src:/src", VolumeBinding{Target: "/src", Path: "./src"}},
		{"./src:/src:ro", VolumeBinding{Target: "/src", Path: "./src", ReadOnly: true}},
		{"./src:src:rw", VolumeBinding{Target: "src", Path: "./src"}},
		{"/a:b/c=d:/x", VolumeBinding{Target: "/x", Path: "/a:b/c=d"}},
		{"./x=y:web.data", VolumeBinding{Target: "web.data", Path: "./x=y"}},
	}
	for _, tt := range tests {
		got, err := ParseVolumeBinding(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseVolumeBinding(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "data=", "data=:ro", "./src", "./src:", ":/src", "./src:/", "./src:/a/../b", "./src:Data", "./src::ro", "x\x00:/a", "./src:ro"} {
		if got, err := ParseVolumeBinding(in); !errors.Is(err, ErrBadVolume) {
			t.Errorf("ParseVolumeBinding(%q) = %+v, %v; want ErrBadVolume", in, got, err)
		}
	}
}

// FuzzParseVolumeBinding: any -v value either fails with ErrBadVolume or
// gives a binding with a host path, a target that is a volume name or a
// clean absolute path, and a String that parses back to it.
func FuzzParseVolumeBinding(f *testing.F) {
	for _, s := range []string{"data=./d.ext4", "./src:/src:ro", "/a:b=c:/x", "data=x:ro", "x:y:z:rw", ":", "=", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseVolumeBinding(s)
		if err != nil {
			if !errors.Is(err, ErrBadVolume) {
				t.Fatalf("ParseVolumeBinding(%q) = %v, not ErrBadVolume", s, err)
			}
			return
		}
		if b.Path == "" || b.Target == "" {
			t.Fatalf("ParseVolumeBinding(%q) = %+v: empty part", s, b)
		}
		if b.Target[0] == '/' {
			if path.Clean(b.Target) != b.Target {
				t.Fatalf("ParseVolumeBinding(%q): target %q not clean", s, b.Target)
			}
		} else if !isVolumeName(b.Target) {
			t.Fatalf("ParseVolumeBinding(%q): target %q is not a volume name", s, b.Target)
		}
		name, _, hasEq := strings.Cut(b.Path, "=")
		if b.Target[0] != '/' || !(hasEq && isVolumeName(name)) {
			if again, err := ParseVolumeBinding(b.String()); err != nil || again != b {
				t.Fatalf("ParseVolumeBinding(%q) = %+v; its String %q gives %+v, %v", s, b, b.String(), again, err)
			}
		}
	})
}
