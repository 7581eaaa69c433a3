package spec

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"0", 0, nil},
		{"4096", 4096, nil},
		{"512B", 512, nil},
		{"256MiB", 256 << 20, nil},
		{"256mib", 256 << 20, nil},
		{"64M", 64 << 20, nil},
		{"64m", 64 << 20, nil},
		{"1G", 1 << 30, nil},
		{"1.5GiB", 3 << 29, nil},
		{"2k", 2048, nil},
		{"1 TiB", 1 << 40, nil},
		{"100MB", 100_000_000, nil},
		{"1KB", 1000, nil},
		{"", 0, ErrSize},
		{"MiB", 0, ErrSize},
		{"-1M", 0, ErrSize},
		{"1.2.3M", 0, ErrSize},
		{"1.5B", 0, ErrSize},
		{"10 parsecs", 0, ErrSize},
		{"99999999999T", 0, ErrSize},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("parseSize(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  error
	}{
		{"10s", 10 * time.Second, nil},
		{"1m30s", 90 * time.Second, nil},
		{"500ms", 500 * time.Millisecond, nil},
		{"0s", 0, nil},
		{"10", 0, ErrDuration},
		{"-5s", 0, ErrDuration},
		{"soon", 0, ErrDuration},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in   string
		want uint32
		ok   bool
	}{
		{"0644", 0o644, true},
		{"755", 0o755, true},
		{"04755", 0o4755, true},
		{"0", 0, true},
		{"", 0, false},
		{"0984", 0, false},
		{"17777", 0, false},
		{"rw-r--r--", 0, false},
	}
	for _, tt := range tests {
		got, err := parseMode(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parseMode(%q) = %o, %v; want %o, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestCheckUser(t *testing.T) {
	for _, ok := range []string{"0", "1000", "1000:1000", "nobody", "www-data:www-data", "app:100", "4294967294", "_apt", "machine$"} {
		if err := checkUser(ok); err != nil {
			t.Errorf("checkUser(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", ":", "1000:", ":1000", "a:b:c", "4294967295", "1:4294967295", "99999999999999999999", "0:99999999999999999999", "has space", "-dash"} {
		if err := checkUser(bad); !errors.Is(err, ErrUser) {
			t.Errorf("checkUser(%q) = %v, want ErrUser", bad, err)
		}
	}
}

func TestParseOwner(t *testing.T) {
	tests := []struct {
		in       string
		uid, gid int
		ok       bool
	}{
		{"0", 0, 0, true},
		{"1000", 1000, 1000, true},
		{"1000:100", 1000, 100, true},
		{"root", 0, 0, false},
		{"1000:", 0, 0, false},
		{"99999999999", 0, 0, false},
	}
	for _, tt := range tests {
		uid, gid, err := parseOwner(tt.in)
		if uid != tt.uid || gid != tt.gid || (err == nil) != tt.ok {
			t.Errorf("parseOwner(%q) = %d, %d, %v; want %d, %d, ok=%v", tt.in, uid, gid, err, tt.uid, tt.gid, tt.ok)
		}
	}
}

func TestCheckName(t *testing.T) {
	long := "a123456789012345678901234567890123456789012345678901234567890bc"
	for _, ok := range []string{"web", "a", "0", "my-pod", "my_pod", "v1.2", long} {
		if err := checkName(ok); err != nil {
			t.Errorf("checkName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Web", "-web", ".web", "_web", "a/b", "a b", "..", long + "d"} {
		if err := checkName(bad); !errors.Is(err, ErrName) {
			t.Errorf("checkName(%q) = %v, want ErrName", bad, err)
		}
	}
}

func TestCheckHostname(t *testing.T) {
	for _, ok := range []string{"web", "Web-1", "a.b.c", "x"} {
		if err := checkHostname(ok); err != nil {
			t.Errorf("checkHostname(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-web", "web-", "a..b", "a_b", "a b", string(make([]byte, 65))} {
		if err := checkHostname(bad); !errors.Is(err, ErrHostname) {
			t.Errorf("checkHostname(%q) = %v, want ErrHostname", bad, err)
		}
	}
}

func TestCheckAbsPath(t *testing.T) {
	for _, ok := range []string{"/a", "/www/index.html"} {
		if err := checkAbsPath(ok); err != nil {
			t.Errorf("checkAbsPath(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "/", "a", "/a/", "/a/../b", "/a//b", "/a\x00"} {
		if err := checkAbsPath(bad); !errors.Is(err, ErrPath) {
			t.Errorf("checkAbsPath(%q) = %v, want ErrPath", bad, err)
		}
	}
}

func TestParseRestart(t *testing.T) {
	tests := []struct {
		in   string
		want contract.RestartPolicy
		hint string
	}{
		{"never", contract.RestartNever, ""},
		{"on-failure", contract.RestartOnFailure, ""},
		{"always", contract.RestartAlways, ""},
		{"on-falure", "", `did you mean "on-failure"?`},
		{"onfailure", "", `did you mean "on-failure"?`},
		{"Always", "", `did you mean "always"?`},
		{"sometimes", "", ""},
	}
	for _, tt := range tests {
		got, err := parseRestart(tt.in)
		if got != tt.want {
			t.Errorf("parseRestart(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if tt.want == "" && (err == nil || !errors.Is(err, ErrRestart) || (tt.hint != "" && !strings.Contains(err.Error(), tt.hint))) {
			t.Errorf("parseRestart(%q) error = %v, want one with %q", tt.in, err, tt.hint)
		}
	}
	if got, err := parseHyperRestart("onFailure"); got != contract.RestartOnFailure || err != nil {
		t.Errorf("parseHyperRestart(onFailure) = %q, %v", got, err)
	}
}

func TestParsePortAddress(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true}, // contract.DefaultPortAddress
		{"0.0.0.0", "0.0.0.0", true},
		{"192.168.1.10", "192.168.1.10", true},
		{"::", "", false}, // QEMU 7.2 forwards from IPv4 only
		{"2001:DB8::1", "", false},
		{"::ffff:10.0.0.1", "10.0.0.1", true},
		{"localhost", "", false},
		{"fe80::1%eth0", "", false},
		{"10.0.0.1/24", "", false},
		{"10.0.0.1:80", "", false},
		{"256.0.0.1", "", false},
	}
	for _, tt := range tests {
		got, err := parsePortAddress(tt.in)
		if got != tt.want || (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrAddress)) {
			t.Errorf("parsePortAddress(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestMakeUlimit(t *testing.T) {
	n := func(v uint64) *uint64 { return &v }
	tests := []struct {
		name       string
		soft, hard *uint64
		want       contract.Ulimit
		ok         bool
	}{
		{"nofile", n(1024), n(4096), contract.Ulimit{Name: "nofile", Soft: 1024, Hard: 4096}, true},
		{"nofile", n(1024), nil, contract.Ulimit{Name: "nofile", Soft: 1024, Hard: 1024}, true},
		{"core", nil, n(0), contract.Ulimit{Name: "core", Soft: 0, Hard: 0}, true},
		{"memlock", n(contract.Unlimited), nil, contract.Ulimit{Name: "memlock", Soft: contract.Unlimited, Hard: contract.Unlimited}, true},
		{"nproc", n(2), n(1), contract.Ulimit{}, false},
		{"nofile", nil, n(contract.Unlimited), contract.Ulimit{}, false},
		{"nofile", nil, n(contract.MaxNofile + 1), contract.Ulimit{}, false},
	}
	for _, tt := range tests {
		got, err := makeUlimit(tt.name, tt.soft, tt.hard)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrUlimit)) || (tt.ok && got != tt.want) {
			t.Errorf("makeUlimit(%s) = %+v, %v; want %+v, ok=%v", tt.name, got, err, tt.want, tt.ok)
		}
	}
	for in, want := range map[string]uint64{"0": 0, "65536": 65536, "unlimited": contract.Unlimited, "18446744073709551615": contract.Unlimited} {
		if got, err := parseLimit(in); got != want || err != nil {
			t.Errorf("parseLimit(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.5", "infinity", "Unlimited", "18446744073709551616"} {
		if _, err := parseLimit(in); !errors.Is(err, ErrUlimit) {
			t.Errorf("parseLimit(%q) = %v, want ErrUlimit", in, err)
		}
	}
	if err := checkUlimitName("nofiles"); !errors.Is(err, ErrUlimit) || !strings.Contains(err.Error(), `"nofile"`) {
		t.Errorf("checkUlimitName(nofiles) = %v, want a suggestion of nofile", err)
	}
}
