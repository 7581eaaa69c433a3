package hyperstart

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hyperbuild/hyper/contract"
)

// Data disks: each disk volume is a virtio disk whose serial is the
// volume's name (the runner attaches them so, on either backend). They
// are mounted on VolumesDir/NAME, where the containers' bind mounts take
// them from, as tmpfs volumes are; at shutdown they are made read-only
// and unmounted, so a graceful stop leaves each clean (no journal to
// replay).

// diskSerial reads the virtio serial of the block device name under
// sysBlock, or of the disk it is a partition of ("" when it has none:
// the pod disk).
func diskSerial(sysBlock, name string) string {
	dir := filepath.Join(sysBlock, name)
	if _, err := os.Stat(filepath.Join(dir, "partition")); err == nil {
		// sysfs puts a partition in its disk's directory.
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			dir = filepath.Dir(real)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "serial"))
	if err != nil {
		return ""
	}
	return strings.TrimRight(string(b), "\x00\n ")
}

// FindBySerials returns the device node in devDir of each disk in
// sysBlock (/sys/class/block) whose serial is one of names, and an error
// naming those not found.
func FindBySerials(sysBlock, devDir string, names []string) (map[string]string, error) {
	entries, err := os.ReadDir(sysBlock)
	if err != nil {
		return nil, fmt.Errorf("listing block devices: %w", err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	found := map[string]string{}
	for _, e := range entries {
		if s := diskSerial(sysBlock, e.Name()); want[s] && found[s] == "" {
			found[s] = filepath.Join(devDir, e.Name())
		}
	}
	var missing []string
	for _, n := range names {
		if found[n] == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return found, fmt.Errorf("disk volumes %s: %w", strings.Join(missing, ", "), ErrNoDataDisk)
	}
	return found, nil
}

// WaitForSerials retries FindBySerials every poll until timeout.
func WaitForSerials(sysBlock, devDir string, names []string, timeout, poll time.Duration) (map[string]string, error) {
	deadline := time.Now().Add(timeout)
	for {
		devs, err := FindBySerials(sysBlock, devDir, names)
		if err == nil || time.Now().After(deadline) {
			return devs, err
		}
		time.Sleep(poll)
	}
}

// diskVolumes are the names of p's disk volumes.
func diskVolumes(p *contract.Pod) []string {
	var names []string
	for _, v := range p.Volumes {
		if v.Type == contract.VolumeDisk {
			names = append(names, v.Name)
		}
	}
	return names
}

// DataDiskPlan mounts each disk volume's device (devs: name -> node) on
// VolumesDir/NAME: ext4, nosuid and nodev as every volume.
func DataDiskPlan(p *contract.Pod, devs map[string]string) []Step {
	var steps []Step
	for _, name := range diskVolumes(p) {
		steps = append(steps, Mount{Source: devs[name], Target: path.Join(VolumesDir, name), FSType: "ext4", Flags: nosuidNodev})
	}
	return steps
}

var (
	dataDisksMu    sync.Mutex
	dataDiskMounts []string // mounted data disks, released at shutdown
)

// mountDataDisks finds and mounts the pod's data disks.
func mountDataDisks(l *Log, p *contract.Pod) error {
	names := diskVolumes(p)
	if len(names) == 0 {
		return nil
	}
	devs, err := WaitForSerials("/sys/class/block", "/dev", names, podDiskTimeout, 10*time.Millisecond)
	if err != nil {
		return err
	}
	dataDisksMu.Lock()
	defer dataDisksMu.Unlock()
	for _, s := range DataDiskPlan(p, devs) {
		if err := Run(l, []Step{s}); err != nil {
			return err
		}
		dataDiskMounts = append(dataDiskMounts, s.(Mount).Target)
	}
	return nil
}

// releaseDataDisks makes each mounted data disk read-only, which commits
// its journal and marks it clean even while a process of a container's
// mount namespace still holds it, then unmounts it. It is the last thing
// before the power-off; what fails is left to the journal.
func releaseDataDisks() {
	dataDisksMu.Lock()
	defer dataDisksMu.Unlock()
	for _, t := range dataDiskMounts {
		unix.Mount("", t, "", unix.MS_REMOUNT|unix.MS_RDONLY|nosuidNodev, "")
		unix.Unmount(t, 0)
	}
	dataDiskMounts = nil
}
