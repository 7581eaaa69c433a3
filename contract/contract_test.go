package contract

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		name string
		num  int
		ok   bool
	}{
		{"SIGTERM", "SIGTERM", 15, true},
		{"term", "SIGTERM", 15, true},
		{"9", "SIGKILL", 9, true},
		{"40", "40", 40, true},
		{"SIGFOO", "", 0, false},
		{"0", "", 0, false},
		{"65", "", 0, false},
	}
	for _, tt := range tests {
		name, num, err := ParseSignal(tt.in)
		if (err == nil) != tt.ok || name != tt.name || num != tt.num {
			t.Errorf("ParseSignal(%q) = %q, %d, %v; want %q, %d, ok=%v", tt.in, name, num, err, tt.name, tt.num, tt.ok)
		}
	}
}

func TestExitLine(t *testing.T) {
	for _, s := range []int{0, 3, 137, 255} {
		got, ok := ParseExitLine("\r" + ExitLine(s) + "\r\n")
		if !ok || got != s {
			t.Errorf("ParseExitLine(ExitLine(%d)) = %d, %v", s, got, ok)
		}
	}
	for _, l := range []string{"hello", ExitLinePrefix + "x", ExitLinePrefix + "300"} {
		if _, ok := ParseExitLine(l); ok {
			t.Errorf("ParseExitLine(%q) accepted", l)
		}
	}
}

func TestDurationJSON(t *testing.T) {
	b, err := json.Marshal(Duration(90 * time.Second))
	if err != nil || string(b) != `"1m30s"` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var d Duration
	if err := json.Unmarshal([]byte(`"10s"`), &d); err != nil || time.Duration(d) != 10*time.Second {
		t.Fatalf("Unmarshal = %v, %v", d, err)
	}
	if err := json.Unmarshal([]byte(`"ten"`), &d); err == nil {
		t.Fatal("Unmarshal accepted \"ten\"")
	}
}

func TestValidate(t *testing.T) {
	ok := Pod{Version: Version, Name: "p", Containers: []Container{{Name: "a", Restart: RestartNever}}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []Pod{
		{Version: 2, Containers: ok.Containers},
		{Version: Version},
		{Version: Version, Containers: []Container{{Name: "a/b", Restart: RestartNever}}},
		{Version: Version, Containers: []Container{{Name: "a", Restart: RestartNever}, {Name: "a", Restart: RestartNever}}},
		{Version: Version, Containers: []Container{{Name: "a", Restart: "sometimes"}}},
	}
	for i, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("bad[%d] accepted", i)
		}
	}
}
