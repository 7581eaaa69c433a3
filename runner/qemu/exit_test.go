package qemu

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/hyperbuild/hyper/runner"
)

// exitErr runs a shell that exits with code, for a real *exec.ExitError.
func exitErr(t *testing.T, script string) error {
	t.Helper()
	err := exec.Command("/bin/sh", "-c", script).Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return err
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		name    string
		ex      exit
		want    int
		wantErr string // substring; "" means no error
		noSt    bool   // the error is ErrNoStatus
	}{
		{name: "status 3", ex: exit{err: exitErr(t, "exit 7")}, want: 3},
		{name: "status 0 through the port", ex: exit{err: exitErr(t, "exit 1")}, want: 0},
		{name: "137 keeps 7 bits", ex: exit{err: exitErr(t, "exit 19")}, want: 9},
		{name: "warning is not an error", ex: exit{err: exitErr(t, "exit 7"), stderr: "qemu-system-x86_64: warning: host doesn't support requested feature\n"}, want: 3},
		{name: "power off", ex: exit{}, wantErr: "guest powered off without reporting a status", noSt: true},
		{name: "reset", ex: exit{reason: "guest-reset"}, wantErr: "guest reset without reporting a status", noSt: true},
		{name: "reset that -no-reboot missed", ex: exit{reset: true, err: exitErr(t, "kill -9 $$")}, wantErr: "guest reset without reporting a status", noSt: true},
		{name: "panic", ex: exit{reason: "guest-panic"}, wantErr: "guest panicked", noSt: true},
		{name: "killed after grace", ex: exit{killed: true, grace: 10e9, err: exitErr(t, "kill -9 $$")}, wantErr: "did not stop within 10s", noSt: true},
		{name: "qemu failed", ex: exit{err: exitErr(t, "exit 1"), stderr: "qemu: could not open kernel file 'x': No such file or directory\n"}, wantErr: "could not open kernel file 'x'"},
		{name: "qemu option error", ex: exit{err: exitErr(t, "exit 1"), stderr: "qemu-system-x86_64: -drive file=x: Could not open 'x'\n"}, wantErr: "Could not open 'x'"},
		{name: "even code", ex: exit{err: exitErr(t, "exit 2")}, wantErr: "qemu exited with status 2"},
		{name: "signal", ex: exit{err: exitErr(t, "kill -9 $$"), stderr: "oops"}, wantErr: "qemu killed by killed: oops"},
	}
	for _, tt := range tests {
		got, err := tt.ex.status()
		if tt.wantErr == "" {
			if err != nil || got != tt.want {
				t.Errorf("%s: status() = %d, %v; want %d", tt.name, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, runner.ErrNoStatus) != tt.noSt {
			t.Errorf("%s: status() = %d, %v; want an error with %q (ErrNoStatus: %v)", tt.name, got, err, tt.wantErr, tt.noSt)
		}
	}
}
