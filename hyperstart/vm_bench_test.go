package hyperstart

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hyperbuild/hyper/initrd"
)

// BenchmarkVMFirstLine measures, under the same kernel and QEMU machine,
// the time from QEMU's start to a container's first console line with
// hyperstart as /init, next to a trivial busybox /init printing a line (the
// floor). Run: HYPER_KERNEL=... go test -run '^$' -bench VMFirstLine -benchtime 3x
func BenchmarkVMFirstLine(b *testing.B) {
	e := requireVM(b)
	b.Run("hyperstart", func(b *testing.B) {
		p := busyboxPod("bench", shContainer("app", "echo first-line"))
		var total float64
		for i := 0; i < b.N; i++ {
			// Remove the debug timeline: measure the quiet boot.
			r := e.bootPod(b, p, bootOpts{marker: "first-line", append: "hyper.debug=0"})
			if r.FirstOut == 0 {
				b.Fatalf("no first line:\n%s", r.Output())
			}
			total += r.FirstOut.Seconds() * 1000
		}
		b.ReportMetric(total/float64(b.N), "ms/first-line")
	})
	b.Run("busybox-init", func(b *testing.B) {
		dir := b.TempDir()
		script := filepath.Join(dir, "init")
		os.WriteFile(script, []byte("#!/bin/busybox sh\n/bin/busybox echo first-line\n/bin/busybox poweroff -f\n"), 0o755)
		bb, err := os.ReadFile(e.busybox)
		if err != nil {
			b.Fatal(err)
		}
		rd := filepath.Join(dir, "initrd.img")
		f, err := os.Create(rd)
		if err != nil {
			b.Fatal(err)
		}
		if err := initrd.Write(f, script, nil, initrd.WithEntries(initrd.File("bin/busybox", 0o755, bb))); err != nil {
			b.Fatal(err)
		}
		f.Close()
		var total float64
		for i := 0; i < b.N; i++ {
			r := e.boot(b, []string{
				"-M", "q35", "-m", "256", "-smp", "1",
				"-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
				"-kernel", e.kernel, "-initrd", rd, "-append", "console=ttyS0 quiet panic=-1",
			}, bootOpts{marker: "first-line"})
			if r.FirstOut == 0 {
				b.Fatalf("no first line:\n%s", r.Output())
			}
			total += r.FirstOut.Seconds() * 1000
		}
		b.ReportMetric(total/float64(b.N), "ms/first-line")
	})
}
