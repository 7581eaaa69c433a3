package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hyperbuild/hyper/builder"
	"github.com/hyperbuild/hyper/internal/testimage"
	"github.com/hyperbuild/hyper/kernelcfg"
	"github.com/hyperbuild/hyper/runner"
	_ "github.com/hyperbuild/hyper/runner/qemu"
)

// firstLine notes when a line containing marker first reaches the console.
type firstLine struct {
	mu     sync.Mutex
	marker string
	start  time.Time
	at     time.Duration
	buf    bytes.Buffer
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf.Write(p)
	if f.at == 0 && strings.Contains(f.buf.String(), f.marker) {
		f.at = time.Since(f.start)
	}
	return len(p), nil
}

// boot compares QEMU start → the app's first line for a hyper artifact
// and for the same kernel booting a trivial busybox /init (the floor).
func (b *bench) boot() error {
	k, err := kernelcfg.Cached()
	if err != nil {
		return err
	}
	image, err := b.busybox()
	if err != nil {
		return err
	}
	img := filepath.Join(b.work, "hello.img")
	if _, err := timed(nil, filepath.Join(b.bin, "hyperbuild"), filepath.Join(b.repo, "examples", "hello.hcl"),
		"-q", "-o", img, "-var", "image="+image, "-var", "status=0"); err != nil {
		return err
	}
	if app, alloc, err := fileSize(img); err == nil {
		b.add(Row{Area: "build", What: "artifact size, one busybox container", Value: float64(alloc) / (1 << 20), Unit: "MiB",
			Baseline: float64(app) / (1 << 20), BaseWhat: "apparent size", Goal: "< 8 MiB for a busybox pod"})
	}
	floorRD, err := b.busyboxInitrd()
	if err != nil {
		return err
	}
	qemu, err := runner.Lookup("qemu")
	if err != nil {
		return err
	}
	if err := qemu.Available(); err != nil {
		return err
	}
	var trace bytes.Buffer
	hyper, err := median(b.runs, func() (measured, error) {
		fl := &firstLine{marker: "hello from hyper", start: time.Now()}
		trace.Reset()
		_, err := runner.Run(context.Background(), img, runner.Config{Backend: "qemu", Stdout: fl, Trace: &trace})
		return measured{wall: fl.at}, firstErr(err, fl)
	})
	if err != nil {
		return err
	}
	floor, err := median(b.runs, func() (measured, error) {
		fl := &firstLine{marker: "hello from busybox", start: time.Now()}
		_, err := runner.BootWith(context.Background(), qemu, runner.Boot{
			Kernel: k.Path, Initrd: floorRD, Cmdline: builder.BaseCmdline,
			CPUs: 1, MemoryMiB: 256, Net: "user", Stdout: fl, StopTimeout: 10 * time.Second,
		})
		if fl.at > 0 {
			err = nil // the floor has no exit line; its first line is what counts
		}
		return measured{wall: fl.at}, firstErr(err, fl)
	})
	if err != nil {
		return err
	}
	b.add(Row{Area: "boot (TCG)", What: "QEMU start → app's first line", Value: hyper.wall.Seconds(), Unit: "s",
		Baseline: floor.wall.Seconds(), BaseWhat: "same kernel, busybox /init", Goal: "ratio ≤ 1.10"})
	if m := regexp.MustCompile(`hyperstart VmRSS (\d+) kB`).FindAllStringSubmatch(trace.String(), -1); len(m) > 0 {
		kb, _ := strconv.ParseFloat(m[len(m)-1][1], 64)
		b.guestRSS = kb
	}
	return nil
}

func firstErr(err error, fl *firstLine) error {
	if err != nil {
		return err
	}
	if fl.at == 0 {
		return fmt.Errorf("no %q on the console:\n%s", fl.marker, fl.buf.String())
	}
	return nil
}

// busyboxInitrd is the floor: the kernel's fastest way to a first line.
func (b *bench) busyboxInitrd() (string, error) {
	return testimage.BusyboxInitrd(b.work, `/bin/busybox echo hello from busybox
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox printf '\000' | /bin/busybox dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
/bin/busybox poweroff -f
`)
}
