package runner

import (
	"bytes"
	"strings"
	"testing"
)

func TestConsole(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		trace      bool
		want       string
		wantStatus int
		wantOK     bool
		wantEvents []string
	}{
		{name: "plain", in: "hello\nworld\n", want: "hello\nworld\n"},
		{name: "exit line removed", in: "hello\r\nHYPER-POD-EXIT status=137\r\n", want: "hello\r\n", wantStatus: 137, wantOK: true},
		{name: "exit line without newline at the end", in: "a\nHYPER-POD-EXIT status=3", want: "a\n", wantStatus: 3, wantOK: true},
		{name: "exit line after carriage return", in: "a\n\rHYPER-POD-EXIT status=0\n", want: "a\n", wantStatus: 0, wantOK: true},
		{name: "exit line glued to output", in: "no newline HYPER-POD-EXIT status=7\r\n", want: "no newline HYPER-POD-EXIT status=7\r\n", wantStatus: 7, wantOK: true},
		{name: "not an exit line", in: "HYPER-POD-EXIT status=x\n", want: "HYPER-POD-EXIT status=x\n"},
		{name: "prefix look-alike", in: "HYPER-POD\nHYPER\n", want: "HYPER-POD\nHYPER\n"},
		{name: "last line without newline", in: "a\nprompt> ", want: "a\nprompt> "},
		{name: "held start of a last line", in: "a\nHYPER-PO", want: "a\nHYPER-PO"},
		{name: "empty lines", in: "\n\r\n\n", want: "\n\r\n\n"},
		{name: "firmware noise", in: "\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS\r\n\x1bc\x1b[?7l\x1b[2Jhello\r\n", want: "\x1b[0mSeaBIOS\r\nhello\r\n"},
		{name: "colours kept", in: "\x1b[31mred\x1b[0m\n", want: "\x1b[31mred\x1b[0m\n"},
		{name: "escape then noise", in: "\x1b\x1bcx\n", want: "\x1bx\n"},
		{name: "escape at the end", in: "x\x1b[?7", want: "x\x1b[?7"},
		{name: "debug line kept without trace", in: "hyperstart: [   0.100s] mounted /proc\n", want: "hyperstart: [   0.100s] mounted /proc\n"},
		{
			name: "debug lines to the timeline", trace: true,
			in:         "hyperstart: [   0.100s] mounted /proc\r\napp line\nhyperstart: [   0.200s] started web\nhyperstart: web: not found\nHYPER-POD-EXIT status=1\n",
			want:       "app line\nhyperstart: web: not found\n",
			wantStatus: 1, wantOK: true,
			wantEvents: []string{"console: first output", "hyperstart: [   0.100s] mounted /proc", "hyperstart: [   0.200s] started web", "pod exited with status 1"},
		},
		{
			name: "kernel noise and power-off dropped", trace: true,
			in:         "[    0.824732] PCI: Fatal: No config space access function found\r\nhi\r\n[    1.000000] oom-kill: something\r\nHYPER-POD-EXIT status=0\r\n[    8.180287] reboot: Power down\r\n",
			want:       "hi\r\n[    1.000000] oom-kill: something\r\n",
			wantStatus: 0, wantOK: true,
			wantEvents: []string{"console: first output", "kernel: PCI: Fatal: No config space access function found", "pod exited with status 0", "after exit: [    8.180287] reboot: Power down"},
		},
		{
			name: "kernel noise without timestamps", trace: true,
			in:         "PCI: Fatal: No config space access function found\r\nkvm: no hardware support for 'kvm_intel'\r\nPCI: other\r\nHYPER-POD-EXIT status=4\r\nreboot: Power down\r\n",
			want:       "PCI: other\r\n",
			wantStatus: 4, wantOK: true,
			wantEvents: []string{"console: first output", "kernel: PCI: Fatal: No config space access function found", "kernel: kvm: no hardware support for 'kvm_intel'", "pod exited with status 4", "after exit: reboot: Power down"},
		},
		{
			name: "container debug lines", trace: true,
			in:         "web | hyperstart: [   2.576s] make / private (rec)\nweb | hello\nweb|x\nweb | hyperstart: oops\nplain\n",
			want:       "web | hello\nweb|x\nweb | hyperstart: oops\nplain\n",
			wantEvents: []string{"console: first output", "web | hyperstart: [   2.576s] make / private (rec)"},
		},
		{name: "container debug lines kept without trace", in: "web | hyperstart: [   2.576s] x\n", want: "web | hyperstart: [   2.576s] x\n"},
		{name: "bracketed app lines kept", in: "[INFO] x\n[1] y\n[1.5]z\n[ 1.5] w\n[\n", want: "[INFO] x\n[1] y\n[1.5]z\n[ 1.5] w\n[\n"},
		{name: "long line", in: strings.Repeat("x", 10000) + "\n", want: strings.Repeat("x", 10000) + "\n"},
		{name: "long held line", in: "hyperstart:" + strings.Repeat("y", 5000) + "\n", trace: true, want: "hyperstart:" + strings.Repeat("y", 5000) + "\n", wantEvents: []string{"console: first output"}},
	}
	for _, tt := range tests {
		// Every way of splitting the input into two writes, and byte by byte.
		splits := [][]string{splitEvery(tt.in, 1)}
		for i := 0; i <= len(tt.in) && i < 64; i++ {
			splits = append(splits, []string{tt.in[:i], tt.in[i:]})
		}
		for _, chunks := range splits {
			var out bytes.Buffer
			var tl *Timeline
			if tt.trace {
				tl = NewTimeline(nil)
			}
			c := NewConsole(&out, tl)
			for _, ch := range chunks {
				if n, err := c.Write([]byte(ch)); n != len(ch) || err != nil {
					t.Fatalf("%s: Write = %d, %v", tt.name, n, err)
				}
			}
			c.Close()
			if got := out.String(); got != tt.want {
				t.Errorf("%s (%d chunks, first %q): output %q, want %q", tt.name, len(chunks), chunks[0], got, tt.want)
			}
			if st, ok := c.Status(); st != tt.wantStatus || ok != tt.wantOK {
				t.Errorf("%s: Status() = %d, %v; want %d, %v", tt.name, st, ok, tt.wantStatus, tt.wantOK)
			}
			if tt.trace {
				var got []string
				for _, e := range tl.Events() {
					got = append(got, e.What)
				}
				if strings.Join(got, "|") != strings.Join(tt.wantEvents, "|") {
					t.Errorf("%s: events %q, want %q", tt.name, got, tt.wantEvents)
				}
			}
		}
	}
}

func splitEvery(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, bytes.ErrTooLarge
}

func TestConsoleOutputErrorDoesNotStall(t *testing.T) {
	fw := &failWriter{}
	c := NewConsole(fw, nil)
	for i := 0; i < 3; i++ {
		if _, err := c.Write([]byte("line\n")); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	c.Write([]byte("HYPER-POD-EXIT status=9\n"))
	if st, ok := c.Status(); !ok || st != 9 {
		t.Errorf("Status() = %d, %v after output errors; want 9, true", st, ok)
	}
	if fw.n != 1 {
		t.Errorf("out written %d times after failing; want 1", fw.n)
	}
}

// FuzzConsole checks that how the serial stream is split into writes never
// changes what the user sees, the status, or the timeline.
func FuzzConsole(f *testing.F) {
	f.Add([]byte("hi\r\nHYPER-POD-EXIT status=3\r\nreboot: Power down\r\n"), uint8(3), true)
	f.Add([]byte("\x1bc\x1b[?7l\x1b[2Jweb | hyperstart: [ 1.0s] x\nPCI: Fatal: No config space access function found\n"), uint8(7), true)
	f.Add([]byte("[    1.000] kvm: no hardware support for 'kvm_amd'\n[INFO]\nHYPER-POD-EXIT status=1"), uint8(1), false)
	f.Fuzz(func(t *testing.T, in []byte, step uint8, trace bool) {
		run := func(n int) (string, int, bool, []string) {
			var out bytes.Buffer
			var tl *Timeline
			if trace {
				tl = NewTimeline(nil)
			}
			c := NewConsole(&out, tl)
			for p := in; len(p) > 0; {
				k := min(n, len(p))
				c.Write(p[:k])
				p = p[k:]
			}
			c.Close()
			st, ok := c.Status()
			var ev []string
			for _, e := range tl.Events() {
				ev = append(ev, e.What)
			}
			return out.String(), st, ok, ev
		}
		o1, s1, ok1, e1 := run(len(in) + 1)
		o2, s2, ok2, e2 := run(int(step%16) + 1)
		if o1 != o2 || s1 != s2 || ok1 != ok2 || strings.Join(e1, "\n") != strings.Join(e2, "\n") {
			t.Fatalf("one write: %q %d %v %q\nsplit by %d: %q %d %v %q", o1, s1, ok1, e1, step%16+1, o2, s2, ok2, e2)
		}
		if len(o1) > len(in) {
			t.Fatalf("output longer than input: %q from %q", o1, in)
		}
	})
}
