package hyperstart

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/internal/syncbuf"
)

func TestPump(t *testing.T) {
	tests := []struct {
		name, in, prefix, want string
	}{
		{"stdout", "one\ntwo\n", "server | ", "server | one\nserver | two\n"},
		{"stderr", "one\ntwo\n", "server ! ", "server ! one\nserver ! two\n"},
		{"no final newline", "one\ntwo", "a | ", "a | one\na | two\n"},
		{"empty", "", "a | ", ""},
		{"long line split", strings.Repeat("x", maxLine+10) + "\n", "a | ", "a | " + strings.Repeat("x", maxLine) + "\na | " + strings.Repeat("x", 10) + "\n"},
	}
	for _, tt := range tests {
		var out syncbuf.Buffer
		c := NewConsole(&out, 16, time.Second)
		Pump(c, strings.NewReader(tt.in), tt.prefix, nil)
		if !c.Flush(time.Second) {
			t.Fatalf("%s: flush timed out", tt.name)
		}
		if got := out.String(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// blockingWriter is a console nobody reads: writes block until released.
type blockingWriter struct {
	release chan struct{}
	out     syncbuf.Buffer
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	<-b.release
	return b.out.Write(p)
}

func TestConsoleStuckDropsInsteadOfBlocking(t *testing.T) {
	w := &blockingWriter{release: make(chan struct{})}
	c := NewConsole(w, 4, time.Millisecond)
	done := make(chan struct{})
	go func() {
		Pump(c, strings.NewReader(strings.Repeat("line\n", 100)), "", nil)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Pump blocked on a stuck console")
	}
	if c.Flush(10 * time.Millisecond) {
		t.Error("Flush reported success on a stuck console")
	}
	dropped := c.Dropped()
	if dropped == 0 {
		t.Fatal("no line counted as dropped")
	}
	close(w.release)
	if !c.Flush(5 * time.Second) {
		t.Fatal("flush after release timed out")
	}
	c.Write([]byte("after\n"))
	c.Flush(5 * time.Second)
	got := w.out.String()
	if !strings.Contains(got, "lines dropped") || !strings.HasSuffix(got, "after\n") {
		t.Errorf("console output lacks the drop marker or the last line:\n%s", got)
	}
	if n := int64(strings.Count(got, "line\n")); n+dropped != 100 {
		t.Errorf("%d lines written + %d dropped != 100", n, dropped)
	}
}

func TestLogDebug(t *testing.T) {
	var buf bytes.Buffer
	l := NewLog(&buf, false)
	l.now = func() time.Duration { return 12 * time.Millisecond }
	l.Debugf("hidden")
	l.Printf("shown %d", 1)
	l.debug = true
	l.Debugf("mount %s", "proc")
	want := "hyperstart: shown 1\nhyperstart: [  0.012s] mount proc\n"
	if got := buf.String(); got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
	for _, on := range []bool{true, false} {
		buf.Reset()
		l := NewLog(&buf, false)
		l.now = func() time.Duration { return 0 }
		l.Hold()
		l.Debugf("early")
		l.Printf("error")
		l.SetDebug(on)
		l.Debugf("late")
		want := "hyperstart: error\n"
		if on {
			want += "hyperstart: [  0.000s] early\nhyperstart: [  0.000s] late\n"
		}
		if got := buf.String(); got != want {
			t.Errorf("held log, debug %v = %q, want %q", on, got, want)
		}
	}
}

func TestRunSteps(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	l := NewLog(&buf, true)
	err := Run(l, []Step{
		Dir{Path: dir + "/a/b", Mode: 0o755},
		File{Path: dir + "/a/f", Content: "x", Mode: 0o644},
		Optional{Dir{Path: dir + "/a/f/sub", Mode: 0o755}}, // fails: f is a file
		Symlink{Target: "f", Link: dir + "/a/l"},
		Symlink{Target: "f", Link: dir + "/a/l"}, // idempotent
	})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, buf.String())
	}
	if !strings.Contains(buf.String(), "(optional, skipped)") {
		t.Errorf("optional failure not logged:\n%s", buf.String())
	}
	err = Run(l, []Step{Dir{Path: dir + "/a/f/sub", Mode: 0o755}, Dir{Path: dir + "/never", Mode: 0o755}})
	if err == nil || !strings.HasPrefix(err.Error(), "mkdir "+dir+"/a/f/sub (0755): ") {
		t.Errorf("Run error = %v, want it to name the step", err)
	}
	var _ io.Writer = (*Console)(nil)
}
