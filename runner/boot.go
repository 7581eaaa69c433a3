package runner

import (
	"context"
	"fmt"
	"io"
)

// BootWith runs b on backend be and returns the pod's exit status. It puts
// the console filter between the guest and b.Stdout and b.Stderr (see
// Console); the status comes from
// the console's exit line when the guest printed one (all 8 bits), else
// from the backend's exit port.
func BootWith(ctx context.Context, be Backend, b Boot) (int, error) {
	if b.Verbose == nil {
		b.Verbose = io.Discard
	}
	con := NewConsole(b.Stdout, b.Stderr, b.Containers, b.Trace)
	b.Stdout, b.Stderr = con, nil
	res, err := be.Run(ctx, b)
	con.Close()
	if st, ok := con.Status(); ok {
		if err != nil {
			fmt.Fprintf(b.Verbose, "%s: %v (after the pod reported status %d)\n", be.Name(), err, st)
		}
		return st, nil
	}
	if err != nil {
		return 0, fmt.Errorf("running the pod with the %s backend: %w", be.Name(), err)
	}
	fmt.Fprintf(b.Verbose, "%s: no exit line on the console; status %d from the exit port\n", be.Name(), res.Status)
	return res.Status, nil
}
