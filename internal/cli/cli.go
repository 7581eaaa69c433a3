package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Exit statuses shared by the commands.
const (
	// StatusError is a failure of the tool itself (hyperboot uses
	// StatusBootError instead, so that it never looks like a pod status).
	StatusError = 1
	// StatusUsage is a bad command line or a bad pod file.
	StatusUsage = 2
	// StatusBootError is hyperboot's own failure, like docker run's 125.
	StatusBootError = 125
)

// ExitError carries the status a command should exit with. Silent errors
// have already been reported (e.g. HCL diagnostics).
type ExitError struct {
	Status int
	Err    error
	Silent bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Status)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Usage wraps err as a usage error (status 2).
func Usage(err error) error { return &ExitError{Status: StatusUsage, Err: err} }

// Report prints err (unless silent) as "prog: err" and returns the status
// to exit with; def is the status for errors that carry none.
func Report(stderr io.Writer, prog string, err error, def int) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if !ee.Silent && ee.Err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, ee.Err)
		}
		return ee.Status
	}
	fmt.Fprintf(stderr, "%s: %v\n", prog, err)
	return def
}

// IsTTY reports whether w is a terminal (progress bars redraw only there).
func IsTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
