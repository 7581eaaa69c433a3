package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
)

// vmm runs the nested KVM tests (an outer QEMU TCG VM with /dev/kvm, our
// VMM inside it) and reports what they log: VMM start to the first vCPU
// entry, the VMM's RSS beyond guest RAM, and boot to the first line.
func (b *bench) vmm() error {
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		return fmt.Errorf("qemu-system-x86_64 not installed (make deps)")
	}
	cmd := exec.Command("go", "test", "-count=1", "-run", "Nested", "-v", "./runner/kvm/")
	cmd.Env = append(os.Environ(), "HYPER_NESTED=1", "HYPER_NESTED_NETBENCH=1", "HYPER_NESTED_DISKBENCH=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("nested KVM tests: %v: %s", err, lastLine(string(out)))
	}
	num := func(re string) (float64, bool) {
		m := regexp.MustCompile(re).FindStringSubmatch(string(out))
		if m == nil {
			return 0, false
		}
		v, err := strconv.ParseFloat(m[1], 64)
		return v, err == nil
	}
	if v, ok := num(`VMM start to first vCPU entry ([\d.]+) ms`); ok {
		b.add(Row{Area: "vmm (nested, TCG)", What: "VMM start → first vCPU entry", Value: v, Unit: "ms"})
	} else {
		b.skip("vmm (nested, TCG)", "VMM start → first vCPU entry", "not in the nested test's log")
	}
	if v, ok := num(`VMM beyond guest RAM ([\d.]+) KiB`); ok {
		b.add(Row{Area: "vmm (nested, TCG)", What: "VMM RSS beyond guest RAM", Value: v / 1024, Unit: "MiB"})
	}
	if v, ok := num(`vmmrun start to the inner guest's line ([\d.]+) s`); ok {
		b.add(Row{Area: "vmm (nested, TCG)", What: "nested boot to the guest's first line", Value: v, Unit: "s"})
	}
	if v, ok := num(`hyperboot start to the pod's line "[^"]*": ([\d.]+) s`); ok {
		b.add(Row{Area: "vmm (nested, TCG)", What: "hyperboot --backend kvm to the pod's first line", Value: v, Unit: "s"})
	}
	// TestNestedWeb: examples/web.hcl through its published port, from
	// the outer VM (step net has QEMU's figures, not nested).
	if v, ok := num(`nested web: hyperboot start to the first answer through the published port: ([\d.]+) s`); ok {
		b.add(Row{Area: "vmm (nested, TCG)", What: "hyperboot --backend kvm to web's first HTTP answer", Value: v, Unit: "s"})
	}
	if v, ok := num(`nested web: GET / through the published port, median ([\d.]+) ms`); ok {
		b.add(Row{Area: "vmm (nested, TCG)", What: "HTTP GET / median through a published port", Value: v, Unit: "ms"})
	}
	if v, ok := num(`nested web: host to guest HTTP throughput ([\d.]+) MiB/s`); ok {
		b.add(Row{Area: "vmm (nested, TCG)", What: "host→guest HTTP 16 MiB through a published port", Value: v, Unit: "MiB/s"})
	}
	// TestNestedDiskBench (HYPER_NESTED_DISKBENCH): the pod of step disk
	// on --backend kvm.
	if v, ok := diskRate(string(out), "write"); ok {
		b.add(Row{Area: "disk (kvm, nested TCG)", What: "data disk write, 64 MiB O_DIRECT + fsync", Value: v, Unit: "MiB/s"})
	}
	if v, ok := diskRate(string(out), "read"); ok {
		b.add(Row{Area: "disk (kvm, nested TCG)", What: "data disk read, 4 × 64 MiB O_DIRECT", Value: v, Unit: "MiB/s"})
	}
	if v, ok := num(`nested web: VMM beyond guest RAM with the network running (\d+) KiB`); ok {
		b.add(Row{Area: "vmm (nested, TCG)", What: "VMM RSS beyond guest RAM, network running", Value: v / 1024, Unit: "MiB", Goal: "≤ 10 MiB"})
	}
	return nil
}
