package runner

import (
	"fmt"
	"io"

	"github.com/hyperbuild/hyper/internal/scratch"
)

// ScratchPrefix starts the name of every work directory hyperboot makes
// in the temporary directory ($TMPDIR, else /tmp); backends add to it
// (hyperboot-qemu-).
const ScratchPrefix = "hyperboot-"

// sweepScratch removes the work directories a killed hyperboot left
// behind (internal/scratch: their owner's lock is free) and says so on
// verbose.
func sweepScratch(verbose io.Writer) {
	removed, errs := scratch.Sweep("", ScratchPrefix)
	for _, d := range removed {
		fmt.Fprintf(verbose, "hyperboot: removed stale scratch %s (its owner is gone)\n", d)
	}
	for _, err := range errs {
		fmt.Fprintf(verbose, "hyperboot: %v\n", err)
	}
}
