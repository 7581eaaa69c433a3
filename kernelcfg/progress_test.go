package kernelcfg

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

const makeOutput = `  SYNC    include/config/auto.conf
  HOSTCC  scripts/basic/fixdep
  CC      init/main.o
  CC      init/version.o
  AS      arch/x86/entry/entry_64.o
  AR      init/built-in.a
  LD      vmlinux.o
  CC      kernel/fork.o
`

func TestProgressCounts(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(0, 0)
	p := &progress{w: &out, now: func() time.Time { return clock }, start: clock, last: clock}
	// Split mid-line: counting must not depend on how make's output is chunked.
	p.Write([]byte(makeOutput[:50]))
	p.Write([]byte(makeOutput[50:]))
	if p.objects != 4 {
		t.Errorf("objects = %d, want 4 (3 CC + 1 AS)", p.objects)
	}
	if out.Len() != 0 {
		t.Errorf("printed %q before %s passed", out.String(), progressEvery)
	}
	clock = clock.Add(progressEvery)
	p.Write([]byte("  CC      mm/slub.o\n"))
	p.Close()
	want := "kernel: 5 objects compiled (30s)\nkernel: 5 objects compiled (30s)\n"
	if got := out.String(); got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

func TestProgressTerminal(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(0, 0)
	p := &progress{w: &out, tty: true, now: func() time.Time { return clock }, start: clock}
	clock = clock.Add(time.Second)
	p.Write([]byte("  CC      a.o\n"))
	p.Close()
	got := out.String()
	if !strings.HasPrefix(got, "\rkernel: 1 objects compiled") || !strings.HasSuffix(got, "\n") || strings.Count(got, "\n") != 1 {
		t.Errorf("terminal output %q: want \\r-updated lines and one final newline", got)
	}
}
