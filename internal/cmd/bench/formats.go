package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/hyperbuild/hyper/formats"
)

// formats times each converted format made from examples/web.hcl's raw
// artifact (formats.Convert, in process) against the nearest plain tool:
// qemu-img convert for qcow2, vmdk and vhd, GNU tar -S for gce; the
// containerDisk has none. Sizes are beside the raw image's allocation.
func (b *bench) formats() error {
	image, err := b.busybox()
	if err != nil {
		return err
	}
	raw := filepath.Join(b.work, "formats-web.img")
	pod := filepath.Join(b.repo, "examples", "web.hcl")
	if _, err := timed(nil, filepath.Join(b.bin, "hyperbuild"), pod, "-q", "--format", "raw-bios", "-o", raw, "-var", "image="+image); err != nil {
		return err
	}
	_, rawAlloc, err := fileSize(raw)
	if err != nil {
		return err
	}
	baselines := map[formats.Format][]string{
		formats.QCOW2: {"qemu-img", "convert", "-f", "raw", "-O", "qcow2", "-c", raw, "OUT"},
		formats.VMDK:  {"qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, "OUT"},
		formats.VHD:   {"qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", "subformat=fixed,force_size", raw, "OUT"},
		formats.GCE:   {"tar", "--format=oldgnu", "-Sczf", "OUT", "-C", b.work, filepath.Base(raw)},
	}
	for _, f := range []formats.Format{formats.QCOW2, formats.VMDK, formats.VHD, formats.GCE, formats.ContainerDiskFormat} {
		out := filepath.Join(b.work, "formats-web."+string(f))
		m, err := median(b.runs, func() (measured, error) {
			start := time.Now()
			err := formats.Convert(context.Background(), f, raw, out, formats.WithEpoch(time.Unix(0, 0)))
			return measured{wall: time.Since(start)}, err
		})
		if err != nil {
			b.skip("formats", string(f), err.Error())
			continue
		}
		row := Row{Area: "formats", What: fmt.Sprintf("%s from raw (web.hcl, %.0f MiB allocated)", f, float64(rawAlloc)/(1<<20)),
			Value: m.wall.Seconds(), Unit: "s"}
		if cmd, ok := baselines[f]; ok {
			if _, err := exec.LookPath(cmd[0]); err == nil {
				args := append([]string(nil), cmd[1:]...)
				for i := range args {
					if args[i] == "OUT" {
						args[i] = out + ".baseline"
					}
				}
				if base, err := median(b.runs, func() (measured, error) { return timed(nil, cmd[0], args...) }); err == nil {
					row.Baseline, row.BaseWhat = base.wall.Seconds(), cmd[0]+" "+args[0]
				}
			}
		}
		b.add(row)
		if app, alloc, err := fileSize(out); err == nil {
			b.add(Row{Area: "formats", What: fmt.Sprintf("%s size (allocated)", f), Value: float64(alloc) / (1 << 20), Unit: "MiB",
				Baseline: float64(app) / (1 << 20), BaseWhat: "apparent size"})
		}
	}
	return nil
}
