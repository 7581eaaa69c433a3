package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestSignalHelper is not a test: TestSecondSignal runs it in a child
// process whose "cleanup" never ends once the first signal arrives.
func TestSignalHelper(t *testing.T) {
	if os.Getenv("HYPER_TEST_SIGNAL_HELPER") == "" {
		t.Skip("helper process for TestSecondSignal")
	}
	ctx, stop := SignalContext(context.Background())
	defer stop()
	fmt.Println("ready")
	<-ctx.Done()
	sig, _ := Interruption(ctx)
	fmt.Println("cancelled", sig.Status())
	time.Sleep(time.Hour) // a stuck cleanup
}

// The first SIGINT cancels the context with its status; the second kills
// the process at once, however stuck its cleanup is.
func TestSecondSignal(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestSignalHelper$")
	cmd.Env = append(os.Environ(), "HYPER_TEST_SIGNAL_HELPER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(out)
	expect := func(want string) {
		t.Helper()
		if !lines.Scan() || lines.Text() != want {
			t.Fatalf("helper said %q (%v), want %q", lines.Text(), lines.Err(), want)
		}
	}
	expect("ready")
	cmd.Process.Signal(syscall.SIGINT)
	expect("cancelled 130")
	cmd.Process.Signal(syscall.SIGINT)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("helper: %v", err)
		}
		if ws := ee.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGINT {
			t.Errorf("helper ended with %v, want killed by SIGINT", ws)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second SIGINT did not end the helper")
	}
}

func TestInterruptedStatus(t *testing.T) {
	for _, tt := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		if got := (&Interrupted{tt.sig}).Status(); got != tt.want {
			t.Errorf("%v: status %d, want %d", tt.sig, got, tt.want)
		}
	}
}
