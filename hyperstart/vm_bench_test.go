package hyperstart

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/initrd"
)

// BenchmarkVMFirstLine compares, under the same kernel and QEMU machine
// (q35, the same pod disk attached), the time to a container's first
// console line with hyperstart as /init against a trivial busybox /init
// printing a line (the floor). Boots alternate so that both see the same
// host load. It reports the mean and the minimum of the wall time from
// QEMU's start and of the guest's uptime when the line was printed.
//
//	go test -run '^$' -bench VMFirstLine -benchtime 5x ./hyperstart
func BenchmarkVMFirstLine(b *testing.B) {
	e := requireVM(b)
	dir := b.TempDir()
	const line = `echo first-line $(cut -d" " -f1 /proc/uptime)`
	p := busyboxPod("bench", shContainer("app", line))
	disk := e.writePodDisk(b, dir, p, nil)
	hsInitrd := e.writeInitrd(b, dir, p)

	script := filepath.Join(dir, "init")
	os.WriteFile(script, []byte("#!/bin/busybox sh\n/bin/busybox mkdir -p /proc\n/bin/busybox mount -t proc proc /proc\n/bin/busybox "+line+"\n/bin/busybox poweroff -f\n"), 0o755)
	bb, err := os.ReadFile(e.busybox)
	if err != nil {
		b.Fatal(err)
	}
	bbInitrd := filepath.Join(dir, "busybox-initrd.img")
	f, err := os.Create(bbInitrd)
	if err != nil {
		b.Fatal(err)
	}
	if err := initrd.Write(f, script, nil, initrd.WithEntries(initrd.File("bin/busybox", 0o755, bb))); err != nil {
		b.Fatal(err)
	}
	f.Close()

	boot := func(rd string) (wall time.Duration, guest float64) {
		r := e.boot(b, []string{
			"-M", "q35", "-m", "256", "-smp", "1",
			"-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
			"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
			"-kernel", e.kernel, "-initrd", rd,
			"-drive", "file=" + disk + ",format=raw,if=virtio,readonly=on",
			"-append", "console=ttyS0 quiet panic=-1",
		}, bootOpts{marker: "first-line"})
		for _, l := range r.Lines {
			if rest, ok := strings.CutPrefix(l, "first-line "); ok {
				guest, _ = strconv.ParseFloat(rest, 64)
			}
		}
		if r.FirstOut == 0 || guest == 0 {
			b.Fatalf("no first line:\n%s", r.Output())
		}
		return r.FirstOut, guest
	}
	type stats struct{ wall, guest, minWall, minGuest float64 }
	var hs, bbs stats
	add := func(s *stats, w time.Duration, g float64) {
		ms := float64(w.Milliseconds())
		s.wall += ms
		s.guest += g * 1000
		if s.minWall == 0 || ms < s.minWall {
			s.minWall = ms
		}
		if s.minGuest == 0 || g*1000 < s.minGuest {
			s.minGuest = g * 1000
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, g := boot(bbInitrd)
		add(&bbs, w, g)
		w, g = boot(hsInitrd)
		add(&hs, w, g)
	}
	n := float64(b.N)
	b.ReportMetric(hs.wall/n, "hs-wall-ms")
	b.ReportMetric(bbs.wall/n, "bb-wall-ms")
	b.ReportMetric(hs.minWall, "hs-min-wall-ms")
	b.ReportMetric(bbs.minWall, "bb-min-wall-ms")
	b.ReportMetric(hs.guest/n, "hs-guest-ms")
	b.ReportMetric(bbs.guest/n, "bb-guest-ms")
	b.ReportMetric(hs.minGuest, "hs-min-guest-ms")
	b.ReportMetric(bbs.minGuest, "bb-min-guest-ms")
}
