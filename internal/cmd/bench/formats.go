package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/hyperbuild/hyper/formats"
)

// formats times each converted format made from a raw-bios artifact
// (formats.Convert, in process) against the nearest plain tool:
// qemu-img convert for qcow2, vmdk and vhd, GNU tar -S for gce; the
// containerDisk has none. Sizes are beside the raw image's allocation.
// The artifacts: examples/web.hcl (busybox), and a pod of the Debian
// bookworm test image (nginx-light, redis) where it is present
// ($HYPER_TEST_DEBIAN_OCI, default /work/deb/oci).
func (b *bench) formats() error {
	image, err := b.busybox()
	if err != nil {
		return err
	}
	hb := filepath.Join(b.bin, "hyperbuild")
	web := filepath.Join(b.work, "formats-web.img")
	pod := filepath.Join(b.repo, "examples", "web.hcl")
	if _, err := timed(nil, hb, pod, "-q", "--format", "raw-bios", "-o", web, "-var", "image="+image); err != nil {
		return err
	}
	if err := b.convertFormats("web.hcl", web); err != nil {
		return err
	}
	deb := os.Getenv("HYPER_TEST_DEBIAN_OCI")
	if deb == "" {
		deb = "/work/deb/oci"
	}
	if _, err := os.Stat(filepath.Join(deb, "index.json")); err != nil {
		b.skip("formats", "Debian pod", "no Debian test image (set HYPER_TEST_DEBIAN_OCI to an OCI layout tagged bookworm)")
		return nil
	}
	podFile := filepath.Join(b.work, "debian.hcl")
	src := fmt.Sprintf("pod \"debian\" {\n  container \"debian\" {\n    image   = %q\n    command = [\"true\"]\n  }\n}\n", "oci:"+deb+":bookworm")
	if err := os.WriteFile(podFile, []byte(src), 0o644); err != nil {
		return err
	}
	raw := filepath.Join(b.work, "formats-debian.img")
	if _, err := timed(nil, hb, podFile, "-q", "--format", "raw-bios", "-o", raw); err != nil {
		return err
	}
	return b.convertFormats("Debian pod", raw)
}

func (b *bench) convertFormats(what, raw string) error {
	_, rawAlloc, err := fileSize(raw)
	if err != nil {
		return err
	}
	baselines := map[formats.Format][]string{
		formats.QCOW2: {"qemu-img", "convert", "-f", "raw", "-O", "qcow2", "-c", raw, "OUT"},
		formats.VMDK:  {"qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, "OUT"},
		formats.VHD:   {"qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", "subformat=fixed,force_size", raw, "OUT"},
		formats.GCE:   {"tar", "--format=oldgnu", "-Sczf", "OUT", "-C", filepath.Dir(raw), filepath.Base(raw)},
	}
	for _, f := range []formats.Format{formats.QCOW2, formats.VMDK, formats.VHD, formats.GCE, formats.ContainerDiskFormat} {
		out := raw + "." + string(f)
		m, err := median(b.runs, func() (measured, error) {
			start := time.Now()
			err := formats.Convert(context.Background(), f, raw, out, formats.WithEpoch(time.Unix(0, 0)))
			return measured{wall: time.Since(start)}, err
		})
		if err != nil {
			b.skip("formats", string(f), err.Error())
			continue
		}
		row := Row{Area: "formats", What: fmt.Sprintf("%s from raw (%s, %.0f MiB allocated)", f, what, float64(rawAlloc)/(1<<20)),
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
			b.add(Row{Area: "formats", What: fmt.Sprintf("%s size (%s, allocated)", f, what), Value: float64(alloc) / (1 << 20), Unit: "MiB",
				Baseline: float64(app) / (1 << 20), BaseWhat: "apparent size"})
		}
		os.Remove(out)
		os.Remove(out + ".baseline")
	}
	return nil
}
