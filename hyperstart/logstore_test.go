package hyperstart

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// A flood keeps only the newest lines, within the ring's bytes, and the
// ring's backing array does not grow with the flood.
func TestLogStoreBounded(t *testing.T) {
	const limit = 64 << 10
	s := NewLogStore(limit)
	line := []byte(strings.Repeat("x", 100))
	for i := 0; i < 100000; i++ { // 10 MB
		s.Add("web", contract.Stdout, append(line, strconv.Itoa(i)...))
	}
	s.Add("web", contract.Stdout, nil) // empty lines cost too
	r := s.rings[logKey{"web", contract.Stdout}]
	if r.bytes > limit {
		t.Errorf("ring holds %d bytes, limit %d", r.bytes, limit)
	}
	if max := 2 * limit / lineOverhead; cap(r.lines) > max {
		t.Errorf("ring's array has room for %d lines, want at most %d", cap(r.lines), max)
	}
	lines, _, _, _ := s.Read(LogQuery{Container: "web"})
	if len(lines) < 2 || lines[len(lines)-2].Line != string(line)+"99999" || lines[len(lines)-1].Line != "" {
		t.Fatalf("last lines %+v, want the flood's last and the empty one", lines[max(0, len(lines)-2):])
	}
	if want := limit / (len(line) + 5 + lineOverhead); len(lines) < want-1 {
		t.Errorf("kept %d lines, want about %d", len(lines), want)
	}
}

func TestLogStoreRead(t *testing.T) {
	s := NewLogStore(1 << 20)
	now := time.Unix(1000, 0)
	s.now = func() time.Time { now = now.Add(time.Second); return now }
	s.Add("a", contract.Stdout, []byte("a1")) // t=1001
	s.Add("b", contract.Stderr, []byte("b1")) // 1002
	s.Add("a", contract.Stderr, []byte("a2")) // 1003
	s.Add("b", contract.Stdout, []byte("b2")) // 1004
	s.Add("a", contract.Stdout, []byte("a3")) // 1005
	str := func(ls []contract.LogEntry) string {
		var out []string
		for _, l := range ls {
			out = append(out, l.Line)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		q    LogQuery
		want string
	}{
		{LogQuery{}, "a1,b1,a2,b2,a3"},
		{LogQuery{Container: "a"}, "a1,a2,a3"},
		{LogQuery{Stderr: true}, "b1,a2"},
		{LogQuery{Stdout: true, Stderr: true}, "a1,b1,a2,b2,a3"},
		{LogQuery{Tail: 2}, "b2,a3"},
		{LogQuery{Tail: 10}, "a1,b1,a2,b2,a3"},
		{LogQuery{Since: time.Unix(1003, 0)}, "a2,b2,a3"},
		{LogQuery{After: 4}, "a3"},
		{LogQuery{Container: "nope"}, ""},
	}
	for _, tt := range tests {
		got, next, _, closed := s.Read(tt.q)
		if str(got) != tt.want || next != 5 || closed {
			t.Errorf("Read(%+v) = %q, next %d, closed %v; want %q, 5, false", tt.q, str(got), next, closed, tt.want)
		}
	}
	_, _, wake, _ := s.Read(LogQuery{})
	s.Add("a", contract.Stdout, []byte("a4"))
	select {
	case <-wake:
	default:
		t.Error("Add did not wake the reader")
	}
	_, _, wake, _ = s.Read(LogQuery{})
	s.Close()
	s.Add("a", contract.Stdout, []byte("after close"))
	got, _, _, closed := s.Read(LogQuery{After: 5})
	select {
	case <-wake:
	default:
		t.Error("Close did not wake the reader")
	}
	if str(got) != "a4" || !closed {
		t.Errorf("after Close: %q, closed %v; want a4, true", str(got), closed)
	}
}
