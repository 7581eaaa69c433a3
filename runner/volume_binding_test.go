package runner

import (
	"errors"
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
