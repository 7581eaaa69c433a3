package contract

import "testing"

func TestCheckUser(t *testing.T) {
	good := []string{"", "0", "1000:1000", "nginx", "nginx:www-data", "4294967294", "0:4294967294"}
	bad := []string{"99999999999999999999", "4294967295", ":", "1000:", ":1000", "a:b:c", "x\x00y", "1:99999999999999999999"}
	for _, s := range good {
		if err := CheckUser(s); err != nil {
			t.Errorf("CheckUser(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range bad {
		if err := CheckUser(s); err == nil {
			t.Errorf("CheckUser(%q) = nil, want an error", s)
		}
	}
}

func TestCheckResources(t *testing.T) {
	for _, n := range []int{0, -1, MaxCPUs + 1, 99} {
		if CheckCPUs(n) == nil {
			t.Errorf("CheckCPUs(%d) = nil", n)
		}
	}
	for _, n := range []int{1, MaxCPUs} {
		if err := CheckCPUs(n); err != nil {
			t.Errorf("CheckCPUs(%d) = %v", n, err)
		}
	}
	for _, n := range []int64{0, 32, MinMemoryMiB - 1, MaxMemoryMiB + 1} {
		if CheckMemoryMiB(n) == nil {
			t.Errorf("CheckMemoryMiB(%d) = nil", n)
		}
	}
	if err := CheckMemoryMiB(MinMemoryMiB); err != nil {
		t.Errorf("CheckMemoryMiB(min) = %v", err)
	}
	for _, tt := range []struct {
		cpus int
		mem  int64
		ok   bool
	}{{1, MinMemoryMiB, true}, {2, MinMemoryMiB, false}, {2, MinMemoryMiB + 1, true}, {64, 96, false}, {64, MinMemoryFor(64), true}, {0, 256, false}, {1, 32, false}} {
		if err := CheckResources(tt.cpus, tt.mem); (err == nil) != tt.ok {
			t.Errorf("CheckResources(%d, %d) = %v, want ok=%v", tt.cpus, tt.mem, err, tt.ok)
		}
	}
}

func TestUlimits(t *testing.T) {
	c := Container{Ulimits: []Ulimit{{Name: "core", Soft: 0, Hard: Unlimited}}}
	got := c.EffectiveUlimits()
	if len(got) != 2 || got[0].Name != "core" || got[1] != (Ulimit{"nofile", MaxNofile, MaxNofile}) {
		t.Errorf("EffectiveUlimits = %+v", got)
	}
	c.Ulimits = []Ulimit{{Name: "nofile", Soft: 1024, Hard: 4096}}
	if got := c.EffectiveUlimits(); len(got) != 1 || got[0].Soft != 1024 {
		t.Errorf("override: %+v", got)
	}
	for _, u := range []Ulimit{{"nofile", 2, 1}, {"bogus", 1, 1}, {"nofile", 1, MaxNofile + 1}, {"nofile", Unlimited, Unlimited}} {
		if u.Check() == nil {
			t.Errorf("%+v.Check() = nil", u)
		}
	}
	if err := (Ulimit{"nproc", 100, Unlimited}).Check(); err != nil {
		t.Error(err)
	}
}

func TestContainerLine(t *testing.T) {
	tests := []struct {
		line, name string
		s          Stream
		text       string
		ok         bool
	}{
		{"web | hello\n", "web", Stdout, "hello\n", true},
		{"web ! oops\n", "web", Stderr, "oops\n", true},
		{"web | \n", "web", Stdout, "\n", true},
		{LinePrefix("db", Stderr) + "x", "db", Stderr, "x", true},
		{"[    0.1] kernel\n", "", 0, "", false},
		{"hyperstart: started\n", "", 0, "", false},
		{" | x", "", 0, "", false},
		{"web", "", 0, "", false},
		{"web |x", "", 0, "", false},
	}
	for _, tt := range tests {
		name, s, text, ok := ParseContainerLine(tt.line)
		if name != tt.name || s != tt.s || text != tt.text || ok != tt.ok {
			t.Errorf("ParseContainerLine(%q) = %q, %d, %q, %v", tt.line, name, s, text, ok)
		}
	}
}
