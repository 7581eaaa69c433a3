package qemu

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/runner"
)

// The test binary doubles as a fake QEMU (FAKE_QEMU_MODE set): it serves
// QMP on the -qmp socket and behaves as the mode says, so that the
// backend's supervision is tested without QEMU or a kernel.
func TestMain(m *testing.M) {
	if mode := os.Getenv("FAKE_QEMU_MODE"); mode != "" {
		os.Exit(fakeQEMU(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func fakeQEMU(mode string, args []string) int {
	var sock string
	for i, a := range args {
		if a == "-qmp" && i+1 < len(args) {
			sock = strings.TrimSuffix(strings.TrimPrefix(args[i+1], "unix:"), ",server=on,wait=off")
		}
	}
	if mode == "fail" {
		fmt.Fprintln(os.Stderr, "qemu-system-x86_64: -drive file=x: Could not open 'x': No such file or directory")
		return 1
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		return 2
	}
	fmt.Println("hello from the fake guest")
	c, err := l.Accept()
	if err != nil {
		return 2
	}
	send := func(s string) { c.Write([]byte(s + "\r\n")) }
	send(greeting)
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			select {} // QMP gone: wait to be killed
		}
		var req struct{ Execute string }
		json.Unmarshal(line, &req)
		send(`{"return": {}}`)
		switch {
		case req.Execute == "qmp_capabilities" && mode == "reset":
			send(`{"event": "RESET", "data": {"guest": true, "reason": "guest-reset"}}`)
		case req.Execute == "system_powerdown" && mode == "powerdown":
			send(`{"event": "POWERDOWN"}`)
			fmt.Println("HYPER-POD-EXIT status=5")
			return 5<<1 | 1
		}
	}
}

// backendRun boots b on q alone, without the runner's console: Start,
// Shutdown when ctx is done, Wait.
func backendRun(q *Backend, ctx context.Context, b runner.Boot) (runner.Result, error) {
	m, err := q.Start(ctx, b)
	if err != nil {
		return runner.Result{}, err
	}
	stop := context.AfterFunc(ctx, func() { m.Shutdown() })
	defer stop()
	return m.Wait()
}

func fakeRun(t *testing.T, mode string, ctx context.Context, grace time.Duration) (int, string, error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("FAKE_QEMU_MODE", mode)
	var out bytes.Buffer
	b := runner.Boot{Kernel: "bzImage", Net: "none", Stdout: &out, StopTimeout: grace, Verbose: testLog{t}}
	st, err := runner.BootWith(ctx, &Backend{Binary: exe, Machine: Microvm, Accel: AccelTCG}, b)
	return st, out.String(), err
}

func TestSupervise(t *testing.T) {
	t.Run("reset slips through -no-reboot", func(t *testing.T) {
		_, out, err := fakeRun(t, "reset", testCtx(t), time.Minute)
		if !errors.Is(err, runner.ErrNoStatus) || !strings.Contains(err.Error(), "guest reset") {
			t.Fatalf("BootWith: %v (console %q); want a reset without status", err, out)
		}
	})
	t.Run("power-down reaches the guest", func(t *testing.T) {
		ctx, cancel := context.WithCancel(testCtx(t))
		time.AfterFunc(300*time.Millisecond, cancel)
		st, out, err := fakeRun(t, "powerdown", ctx, time.Minute)
		if err != nil || st != 5 || out != "hello from the fake guest\n" {
			t.Fatalf("BootWith = %d, %v (console %q); want 5", st, err, out)
		}
	})
	t.Run("a guest that ignores it is killed", func(t *testing.T) {
		ctx, cancel := context.WithCancel(testCtx(t))
		time.AfterFunc(300*time.Millisecond, cancel)
		_, out, err := fakeRun(t, "ignore", ctx, 500*time.Millisecond)
		if !errors.Is(err, runner.ErrNoStatus) || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("BootWith: %v (console %q); want killed after the stop timeout", err, out)
		}
	})
	t.Run("Kill ends it at once", func(t *testing.T) {
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("FAKE_QEMU_MODE", "ignore")
		var out bytes.Buffer
		m, err := (&Backend{Binary: exe, Machine: Microvm, Accel: AccelTCG}).Start(testCtx(t), runner.Boot{Kernel: "bzImage", Net: "none", Stdout: &out, StopTimeout: time.Hour, Verbose: testLog{t}})
		if err != nil {
			t.Fatal(err)
		}
		m.Shutdown() // ignored by this guest; Kill does not wait for the hour
		time.AfterFunc(300*time.Millisecond, func() { m.Kill() })
		if _, err := m.Wait(); !errors.Is(err, runner.ErrNoStatus) || !strings.Contains(err.Error(), "guest was killed") {
			t.Fatalf("Wait after Kill: %v (console %q); want the guest killed", err, out.String())
		}
	})
	t.Run("qemu's own error", func(t *testing.T) {
		_, _, err := fakeRun(t, "fail", testCtx(t), time.Minute)
		if err == nil || errors.Is(err, runner.ErrNoStatus) || !strings.Contains(err.Error(), "Could not open 'x'") {
			t.Fatalf("BootWith: %v; want QEMU's error", err)
		}
	})
}
