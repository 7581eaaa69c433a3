package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"

	"github.com/hyperbuild/hyper/runner"
)

// diskRate finds the MiB/s figure testdata/bench/diskbench.hcl prints on
// a line "disk OP: N MiB/s".
func diskRate(console, op string) (float64, bool) {
	m := regexp.MustCompile(`disk ` + op + `: ([\d.]+) MiB/s`).FindStringSubmatch(console)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

// disk measures a data disk with testdata/bench/diskbench.hcl (64 MiB
// written, then read 4 times, with O_DIRECT: the guest's page cache out of
// the way)
// on the qemu backend, under TCG here; step vmm has the same pod on the
// kvm backend, nested. Both are emulation-bound on this machine: they
// compare the device paths under the same handicap, not what KVM gives.
func (b *bench) disk() error {
	image, err := b.busybox()
	if err != nil {
		return err
	}
	img := filepath.Join(b.work, "diskbench.img")
	if _, err := timed(nil, filepath.Join(b.bin, "hyperbuild"), filepath.Join(b.repo, "testdata", "bench", "diskbench.hcl"),
		"-q", "-o", img, "-var", "image="+image); err != nil {
		return err
	}
	var writes, reads []float64
	for i := 0; i < b.runs; i++ {
		var out bytes.Buffer
		status, err := runner.Run(context.Background(), img, runner.Config{Backend: "qemu", Stdout: &out, Stderr: &out})
		if err != nil || status != 0 {
			return fmt.Errorf("diskbench on qemu: status %d, %v: %s", status, err, lastLine(out.String()))
		}
		w, okw := diskRate(out.String(), "write")
		r, okr := diskRate(out.String(), "read")
		if !okw || !okr {
			return fmt.Errorf("diskbench printed no rates: %s", lastLine(out.String()))
		}
		writes, reads = append(writes, w), append(reads, r)
	}
	slices.Sort(writes)
	slices.Sort(reads)
	b.add(Row{Area: "disk (qemu, TCG)", What: "data disk write, 64 MiB O_DIRECT + fsync", Value: writes[len(writes)/2], Unit: "MiB/s"})
	b.add(Row{Area: "disk (qemu, TCG)", What: "data disk read, 4 × 64 MiB O_DIRECT", Value: reads[len(reads)/2], Unit: "MiB/s"})
	return nil
}
