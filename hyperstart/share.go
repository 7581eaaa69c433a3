package hyperstart

import (
	"fmt"
	"path"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// ShareMount mounts host volume v: 9P over virtio, found by its mount
// tag (the volume's name), at VolumesDir/NAME, nosuid and nodev, and
// read-only when the volume is (the host refuses writes too). Containers
// bind it from there as any other volume.
func ShareMount(v contract.Volume) Mount {
	flags := uintptr(nosuidNodev)
	if v.ReadOnly {
		flags |= unix.MS_RDONLY
	}
	return Mount{Source: v.Name, Target: path.Join(VolumesDir, v.Name), FSType: "9p", Flags: flags, Data: contract.ShareMountOptions}
}

// SharePlan mounts the pod's host volumes.
func SharePlan(p *contract.Pod) []Step {
	var steps []Step
	for _, v := range p.Volumes {
		if v.Type == contract.VolumeHost {
			steps = append(steps, ShareMount(v))
		}
	}
	return steps
}

// mountShares runs SharePlan. A share the runner did not attach (its tag
// is unknown to the kernel: ENOENT) is said so.
func mountShares(l *Log, p *contract.Pod) error {
	for _, s := range SharePlan(p) {
		if err := Run(l, []Step{s}); err != nil {
			m := s.(Mount)
			return fmt.Errorf("host volume %q: %w (no 9p device with mount tag %q? the runner attaches it when the volume is bound: hyperboot -v HOSTDIR:%s)", m.Source, err, m.Source, m.Source)
		}
	}
	return nil
}
