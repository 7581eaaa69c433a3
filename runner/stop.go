package runner

import (
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
)

// stopMargin is what the runner allows, beyond the longest container stop
// timeout, for the rest of a graceful shutdown before it kills the VM.
const stopMargin = 10 * time.Second

// podStopTimeout is how long a graceful stop of the artifact's pod may
// take: its longest container stop timeout (contract.DefaultStopTimeout
// where the manifest records none) plus stopMargin.
func podStopTimeout(m disk.Manifest) time.Duration {
	longest := time.Duration(0)
	for _, c := range m.Containers {
		d := time.Duration(c.StopTimeout)
		if d <= 0 {
			d = contract.DefaultStopTimeout
		}
		longest = max(longest, d)
	}
	if longest == 0 {
		longest = contract.DefaultStopTimeout
	}
	return longest + stopMargin
}
