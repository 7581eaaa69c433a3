package kvm_test

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runOuter boots the outer VM under QEMU TCG with -cpu max (AMD SVM with
// nested paging) from an initramfs of files, and returns its console with
// host timestamps, when outerinit started vmmrun, and when marker first
// appeared.
func runOuter(t *testing.T, qemu, kernel, cpus, dir string, files map[string]newcFile, marker string) (console string, vmmStart, markerAt time.Time) {
	t.Helper()
	rd := filepath.Join(dir, "outer.cpio")
	writeArchive(t, rd, files)
	args := []string{
		"-accel", "tcg", "-cpu", "max", "-M", "pc", "-smp", cpus, "-m", "1024",
		"-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot",
		"-kernel", kernel, "-initrd", rd,
		"-append", "console=ttyS0 quiet panic=-1",
	}
	t.Logf("reproduce: %s %s", qemu, strings.Join(args, " "))
	ctx, cancel := context.WithTimeout(context.Background(), nestedTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	s := bufio.NewScanner(out)
	for s.Scan() {
		l := s.Text()
		fmt.Fprintf(&log, "[host %6.2fs] %s\n", time.Since(start).Seconds(), l)
		switch {
		case strings.Contains(l, "starting vmmrun") && vmmStart.IsZero():
			vmmStart = time.Now()
		case strings.Contains(l, marker) && markerAt.IsZero():
			markerAt = time.Now()
		}
	}
	werr := cmd.Wait()
	t.Logf("outer console:\n%s", log.String())
	t.Logf("whole outer run %.1f s", time.Since(start).Seconds())
	if ctx.Err() != nil {
		t.Fatalf("the outer VM did not finish within %v", nestedTimeout)
	}
	if werr != nil {
		t.Errorf("qemu: %v", werr)
	}
	return log.String(), vmmStart, markerAt
}
