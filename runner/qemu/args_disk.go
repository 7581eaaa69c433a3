package qemu

import (
	"fmt"

	"github.com/hyperbuild/hyper/runner"
)

// dataDiskArgs attaches the pod's data disks after its own disk: one
// virtio-blk device each, read-write unless asked otherwise, with the
// volume's name as the serial by which hyperstart finds it. QEMU's
// default cache (writeback) gives the guest a volatile write cache and
// turns its FLUSH requests into fdatasync, which is what makes the
// journal's commits durable; QEMU takes its own image locks besides the
// runner's.
func dataDiskArgs(blk string, disks []runner.DataDisk) []string {
	var a []string
	for i, d := range disks {
		id := fmt.Sprintf("data%d", i)
		drive := "file=" + escapeOpt(d.Path) + ",format=raw,if=none,id=" + id + ",cache=writeback"
		if d.ReadOnly {
			drive += ",readonly=on"
		}
		a = append(a, "-drive", drive, "-device", blk+",drive="+id+",serial="+escapeOpt(d.Name))
	}
	return a
}
