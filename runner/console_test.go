package runner

import (
	"bytes"
	"strings"
	"testing"
)

func TestConsole(t *testing.T) {
	one, two := []string{"web"}, []string{"web", "db"}
	tests := []struct {
		name       string
		names      []string // the pod's containers
		in         string
		trace      bool
		out, err   string // what reaches stdout and stderr
		wantStatus int
		wantOK     bool
		wantEvents []string
	}{
		// Without container names, every line is the kernel's or hyperstart's: stderr.
		{name: "plain", in: "hello\nworld\n", err: "hello\nworld\n"},
		{name: "exit line removed", in: "hello\r\nHYPER-POD-EXIT status=137\r\n", err: "hello\n", wantStatus: 137, wantOK: true},
		{name: "exit line without newline at the end", in: "a\nHYPER-POD-EXIT status=3", err: "a\n", wantStatus: 3, wantOK: true},
		{name: "exit line after carriage return", in: "a\n\rHYPER-POD-EXIT status=0\n", err: "a\n", wantStatus: 0, wantOK: true},
		{name: "exit line glued to output", in: "no newline HYPER-POD-EXIT status=7\r\n", err: "no newline HYPER-POD-EXIT status=7\n", wantStatus: 7, wantOK: true},
		{name: "not an exit line", in: "HYPER-POD-EXIT status=x\n", err: "HYPER-POD-EXIT status=x\n"},
		{name: "prefix look-alike", in: "HYPER-POD\nHYPER\n", err: "HYPER-POD\nHYPER\n"},
		{name: "last line without newline", in: "a\nprompt> ", err: "a\nprompt> "},
		{name: "held start of a last line", in: "a\nHYPER-PO", err: "a\nHYPER-PO"},
		{name: "empty lines", in: "\n\r\n\n", err: "\n\n\n"},
		{name: "carriage returns inside a line kept", in: "50%\r60%\r\n\r\r\n", err: "50%\r60%\n\r\n"},
		{name: "carriage return at the end", in: "x\r", err: "x\r"},
		{name: "firmware noise", in: "\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS\r\n\x1bc\x1b[?7l\x1b[2Jhello\r\n", err: "\x1b[0mSeaBIOS\nhello\n"},
		{name: "colours kept", in: "\x1b[31mred\x1b[0m\n", err: "\x1b[31mred\x1b[0m\n"},
		{name: "escape then noise", in: "\x1b\x1bcx\n", err: "\x1bx\n"},
		{name: "escape at the end", in: "x\x1b[?7", err: "x\x1b[?7"},
		{name: "debug line kept without trace", in: "hyperstart: [   0.100s] mounted /proc\n", err: "hyperstart: [   0.100s] mounted /proc\n"},
		{
			name: "debug lines to the timeline", trace: true, names: one,
			in:         "hyperstart: [   0.100s] mounted /proc\r\nweb | app line\r\nhyperstart: [   0.200s] started web\nhyperstart: web: not found\r\nHYPER-POD-EXIT status=1\n",
			out:        "app line\n",
			err:        "hyperstart: web: not found\n",
			wantStatus: 1, wantOK: true,
			wantEvents: []string{"console: first output", "hyperstart: [   0.100s] mounted /proc", "hyperstart: [   0.200s] started web", "pod exited with status 1"},
		},
		{
			name: "kernel noise and power-off dropped", trace: true,
			in:         "[    0.824732] PCI: Fatal: No config space access function found\r\nhi\r\n[    1.000000] oom-kill: something\r\nHYPER-POD-EXIT status=0\r\n[    8.180287] reboot: Power down\r\n",
			err:        "hi\n[    1.000000] oom-kill: something\n",
			wantStatus: 0, wantOK: true,
			wantEvents: []string{"console: first output", "kernel: PCI: Fatal: No config space access function found", "pod exited with status 0", "after exit: [    8.180287] reboot: Power down"},
		},
		{
			name: "kernel noise without timestamps", trace: true,
			in:         "PCI: Fatal: No config space access function found\r\nkvm: no hardware support for 'kvm_intel'\r\nPCI: other\r\nHYPER-POD-EXIT status=4\r\nreboot: Power down\r\n",
			err:        "PCI: other\n",
			wantStatus: 4, wantOK: true,
			wantEvents: []string{"console: first output", "kernel: PCI: Fatal: No config space access function found", "kernel: kvm: no hardware support for 'kvm_intel'", "pod exited with status 4", "after exit: reboot: Power down"},
		},
		// Containers' lines: stdout to stdout, stderr to stderr; the
		// prefix is shown ("NAME | ") only when the pod has several.
		{name: "one container", names: one, in: "web | hello\r\nweb ! oops\r\n[    1.2] kernel\r\nhyperstart: restarting web\r\n", out: "hello\n", err: "oops\nkernel\nhyperstart: restarting web\n"[0:0] + "oops\n[    1.2] kernel\nhyperstart: restarting web\n"},
		{name: "two containers", names: two, in: "web | a\r\ndb ! b\r\nweb ! c\r\ndb | d\r\n", out: "web | a\ndb | d\n", err: "db | b\nweb | c\n"},
		{name: "unknown container", names: one, in: "api | x\r\nweb|y\r\nweb  | z\r\n | w\r\n", err: "api | x\nweb|y\nweb  | z\n | w\n"},
		{name: "a name that starts another", names: []string{"web", "webapp"}, in: "webapp | x\nweb | y\nwebap | z\n", out: "webapp | x\nweb | y\n", err: "webap | z\n"},
		{name: "prompt without newline", names: one, in: "web | Password: ", out: "Password: "},
		{name: "empty container lines", names: two, in: "web | \r\ndb ! \n", out: "web | \n", err: "db | \n"},
		{name: "carriage returns in a container line", names: one, in: "web | 50%\r60%\r\r\n", out: "50%\r60%\r\n"},
		{name: "a container cannot fake the exit line", names: one, in: "web | HYPER-POD-EXIT status=0\r\nstill running\r\nHYPER-POD-EXIT status=4\r\n", out: "HYPER-POD-EXIT status=0\n", err: "still running\n", wantStatus: 4, wantOK: true},
		{name: "a container named like hyperstart", names: []string{"hyperstart"}, in: "hyperstart | x\nhyperstart: y\n", out: "x\n", err: "hyperstart: y\n"},
		{
			name: "container debug lines", trace: true, names: two,
			in:         "web ! hyperstart: [   2.576s] make / private (rec)\r\nweb | hello\r\nweb|x\r\nweb ! hyperstart: oops\r\nweb | hyperstart: [ 1.0s] from stdout\nplain\r\n",
			out:        "web | hello\n",
			err:        "web|x\nweb | hyperstart: oops\nplain\n",
			wantEvents: []string{"console: first output", "web ! hyperstart: [   2.576s] make / private (rec)", "web | hyperstart: [ 1.0s] from stdout"},
		},
		{name: "container debug lines kept without trace", names: one, in: "web ! hyperstart: [   2.576s] x\n", err: "hyperstart: [   2.576s] x\n"},
		{name: "bracketed app lines kept", in: "[INFO] x\n[1] y\n[1.5]z\n[ 1.5] w\n[\n", err: "[INFO] x\n[1] y\n[1.5]z\n[ 1.5] w\n[\n"},
		{name: "long line", in: strings.Repeat("x", 10000) + "\n", err: strings.Repeat("x", 10000) + "\n"},
		{name: "long container line", names: one, in: "web | " + strings.Repeat("x", 10000) + "\r\n", out: strings.Repeat("x", 10000) + "\n"},
		{name: "long held line", in: "hyperstart:" + strings.Repeat("y", 5000) + "\n", trace: true, err: "hyperstart:" + strings.Repeat("y", 5000) + "\n", wantEvents: []string{"console: first output"}},
		{name: "long debug line of a container", names: two, in: "db ! hyperstart: [" + strings.Repeat("y", 5000) + "\r\n", trace: true, err: "db | hyperstart: [" + strings.Repeat("y", 5000) + "\n", wantEvents: []string{"console: first output"}},
	}
	for _, tt := range tests {
		// Every way of splitting the input into two writes, and byte by byte.
		splits := [][]string{splitEvery(tt.in, 1)}
		for i := 0; i <= len(tt.in) && i < 64; i++ {
			splits = append(splits, []string{tt.in[:i], tt.in[i:]})
		}
		for _, chunks := range splits {
			var out, errs bytes.Buffer
			var tl *Timeline
			if tt.trace {
				tl = NewTimeline(nil)
			}
			c := NewConsole(&out, &errs, tt.names, tl)
			for _, ch := range chunks {
				if n, err := c.Write([]byte(ch)); n != len(ch) || err != nil {
					t.Fatalf("%s: Write = %d, %v", tt.name, n, err)
				}
			}
			c.Close()
			if got := out.String(); got != tt.out {
				t.Errorf("%s (%d chunks, first %q): stdout %q, want %q", tt.name, len(chunks), chunks[0], got, tt.out)
			}
			if got := errs.String(); got != tt.err {
				t.Errorf("%s (%d chunks, first %q): stderr %q, want %q", tt.name, len(chunks), chunks[0], got, tt.err)
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

// TestConsoleOrder: with one writer for both streams (a terminal, one
// log), lines keep the order the guest printed them in.
func TestConsoleOrder(t *testing.T) {
	in := "[    0.5] kernel\r\nweb | a\r\nweb ! b\r\nhyperstart: c\r\nweb | d\r\n"
	for _, n := range []int{1, 3, len(in)} {
		var both bytes.Buffer
		c := NewConsole(&both, nil, []string{"web"}, nil)
		for _, ch := range splitEvery(in, n) {
			c.Write([]byte(ch))
		}
		c.Close()
		if want := "[    0.5] kernel\na\nb\nhyperstart: c\nd\n"; both.String() != want {
			t.Errorf("writes of %d: %q, want %q", n, both.String(), want)
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
	c := NewConsole(fw, fw, nil, nil)
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
// changes what the user sees on either stream, the status, or the
// timeline, that nothing is added, and that in a pod of several
// containers every stdout line carries its container's name.
func FuzzConsole(f *testing.F) {
	f.Add([]byte("hi\r\nHYPER-POD-EXIT status=3\r\nreboot: Power down\r\n"), uint8(3), true, uint8(0))
	f.Add([]byte("\x1bc\x1b[?7l\x1b[2Jweb ! hyperstart: [ 1.0s] x\nPCI: Fatal: No config space access function found\n"), uint8(7), true, uint8(1))
	f.Add([]byte("[    1.000] kvm: no hardware support for 'kvm_amd'\n[INFO]\nHYPER-POD-EXIT status=1"), uint8(1), false, uint8(2))
	f.Add([]byte("web | a\r\ndb ! b\r\nweb ! c\rd\r\r\ndb | HYPER-POD-EXIT status=0\nwe"), uint8(2), false, uint8(2))
	pods := [][]string{nil, {"web"}, {"web", "db"}}
	f.Fuzz(func(t *testing.T, in []byte, step uint8, trace bool, pod uint8) {
		names := pods[int(pod)%len(pods)]
		run := func(n int) (string, string, int, bool, []string) {
			var out, errs bytes.Buffer
			var tl *Timeline
			if trace {
				tl = NewTimeline(nil)
			}
			c := NewConsole(&out, &errs, names, tl)
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
			return out.String(), errs.String(), st, ok, ev
		}
		o1, r1, s1, ok1, e1 := run(len(in) + 1)
		o2, r2, s2, ok2, e2 := run(int(step%16) + 1)
		if o1 != o2 || r1 != r2 || s1 != s2 || ok1 != ok2 || strings.Join(e1, "\n") != strings.Join(e2, "\n") {
			t.Fatalf("one write: %q %q %d %v %q\nsplit by %d: %q %q %d %v %q", o1, r1, s1, ok1, e1, step%16+1, o2, r2, s2, ok2, e2)
		}
		if len(o1)+len(r1) > len(in) {
			t.Fatalf("output longer than input: %q + %q from %q", o1, r1, in)
		}
		if len(names) == 0 && o1 != "" {
			t.Fatalf("stdout %q without containers", o1)
		}
		if len(names) > 1 {
			for _, l := range strings.SplitAfter(o1, "\n") {
				if l != "" && !strings.HasPrefix(l, "web | ") && !strings.HasPrefix(l, "db | ") {
					t.Fatalf("stdout line %q names no container (input %q)", l, in)
				}
			}
		}
	})
}
