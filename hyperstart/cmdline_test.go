package hyperstart

import (
	"reflect"
	"testing"
)

func TestParseCmdline(t *testing.T) {
	tests := []struct {
		in   string
		want Cmdline
	}{
		{"console=ttyS0 quiet", Cmdline{}},
		{"quiet hyper.debug", Cmdline{Debug: true}},
		{"hyper.debug=1", Cmdline{Debug: true}},
		{"hyper.debug=0", Cmdline{}},
		{"hyper.ip=10.0.2.15/24 hyper.gw=10.0.2.2 hyper.dns=10.0.2.3,1.1.1.1\n", Cmdline{IP: "10.0.2.15/24", Gateway: "10.0.2.2", DNS: []string{"10.0.2.3", "1.1.1.1"}}},
		{"hyper.dns=1.1.1.1 hyper.dns=8.8.8.8,", Cmdline{DNS: []string{"8.8.8.8"}}},
		{"hyper.ipx=1 xhyper.debug", Cmdline{}},
	}
	for _, tt := range tests {
		if got := ParseCmdline(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseCmdline(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
