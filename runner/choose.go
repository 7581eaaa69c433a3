package runner

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Backend names users pass to --backend.
const (
	BackendAuto = "auto"
	BackendKVM  = "kvm"
	BackendQEMU = "qemu"
)

// autoOrder is the preference of --backend auto: the pure-Go VMM when KVM
// works (its Available says so), else QEMU, which runs anywhere.
var autoOrder = []string{BackendKVM, BackendQEMU}

// Choose returns the backend for name ("" or "auto" chooses) that can run
// b, and says which and why on verbose.
func Choose(name string, b Boot, verbose io.Writer) (Backend, error) {
	if verbose == nil {
		verbose = io.Discard
	}
	if name != "" && name != BackendAuto {
		be, err := Lookup(name)
		if err != nil {
			return nil, err
		}
		if err := usable(be, b); err != nil {
			return nil, fmt.Errorf("backend %s: %w", name, err)
		}
		fmt.Fprintf(verbose, "hyperboot: backend %s\n", name)
		return be, nil
	}
	var why []string
	for _, n := range autoOrder {
		be, err := Lookup(n)
		if err != nil {
			why = append(why, n+": not built in")
			continue
		}
		if err := usable(be, b); err != nil {
			why = append(why, fmt.Sprintf("%s: %v", n, err))
			continue
		}
		if len(why) > 0 {
			fmt.Fprintf(verbose, "hyperboot: backend %s (auto; not %s)\n", n, strings.Join(why, "; "))
		} else {
			fmt.Fprintf(verbose, "hyperboot: backend %s (auto)\n", n)
		}
		return be, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNoBackend, strings.Join(why, "; "))
}

func usable(be Backend, b Boot) error {
	if err := be.Available(); err != nil {
		return err
	}
	if c, ok := be.(Checker); ok {
		if err := c.Check(b); err != nil {
			if !errors.Is(err, ErrUnsupported) {
				err = fmt.Errorf("%w: %w", ErrUnsupported, err)
			}
			return err
		}
	}
	return nil
}
