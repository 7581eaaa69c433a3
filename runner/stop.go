package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/initrd"
)

// Stop timing: hyperstart gives each container its stop timeout (10 s
// when the pod does not say, as Docker), then the runner allows
// stopMargin more for the rest of the shutdown before killing the VM.
const (
	containerStopDefault = 10 * time.Second
	stopMargin           = 10 * time.Second
)

// podStopTimeout reads the guest contract from the initramfs and returns
// how long a graceful stop may take: the longest container stop timeout
// plus stopMargin.
func podStopTimeout(initrdPath string) (time.Duration, error) {
	f, err := os.Open(initrdPath)
	if err != nil {
		return 0, fmt.Errorf("reading the guest contract: %w", err)
	}
	defer f.Close()
	b, err := initrd.ReadFile(f, contract.Path)
	if err != nil {
		return 0, fmt.Errorf("reading the guest contract: %w", err)
	}
	var p contract.Pod
	if err := json.Unmarshal(b, &p); err != nil {
		return 0, fmt.Errorf("decoding the guest contract %s: %w", contract.Path, err)
	}
	longest := time.Duration(0)
	for _, c := range p.Containers {
		d := time.Duration(c.StopTimeout)
		if d <= 0 {
			d = containerStopDefault
		}
		longest = max(longest, d)
	}
	if longest == 0 {
		longest = containerStopDefault
	}
	return longest + stopMargin, nil
}
