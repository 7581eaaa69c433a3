package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Interrupted is the cause of a context that SignalContext cancelled.
type Interrupted struct {
	Signal syscall.Signal
}

func (e *Interrupted) Error() string { return fmt.Sprintf("interrupted (%s)", signalName(e.Signal)) }

// Status is 128 plus the signal's number, the status a shell reports for
// a program the signal killed (130 for SIGINT, 143 for SIGTERM).
func (e *Interrupted) Status() int { return 128 + int(e.Signal) }

// SignalContext returns a context cancelled, with an *Interrupted cause,
// by the first SIGINT or SIGTERM. That first signal also gives both their
// default action back, so that a second one ends the program at once,
// whatever its cleanup is doing. stop releases the signals.
func SignalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			cancel(&Interrupted{Signal: s.(syscall.Signal)})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// Interruption returns the signal that cancelled ctx, if one did.
func Interruption(ctx context.Context) (*Interrupted, bool) {
	e, ok := context.Cause(ctx).(*Interrupted)
	return e, ok
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}
