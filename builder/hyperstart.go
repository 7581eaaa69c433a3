package builder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNoHyperstart means the hyperstart binary could not be found.
var ErrNoHyperstart = errors.New("hyperstart binary not found")

// findHyperstart returns the guest init to put in the initramfs: the one
// named by the option or $HYPER_HYPERSTART, else the one installed beside
// the running hyperbuild (make build puts both in bin/).
func findHyperstart(explicit string) (string, error) {
	if explicit == "" {
		explicit = os.Getenv("HYPER_HYPERSTART")
	}
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("%w: %v", ErrNoHyperstart, err)
		}
		return explicit, nil
	}
	exe, err := os.Executable()
	if err == nil {
		p := filepath.Join(filepath.Dir(exe), "hyperstart")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w beside %s: build it with `make build` (or set HYPER_HYPERSTART=PATH)", ErrNoHyperstart, exe)
}
