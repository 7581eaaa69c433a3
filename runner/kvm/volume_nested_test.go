package kvm_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestNestedDataVolume boots examples/data.hcl twice with hyperboot
// --backend kvm inside the outer VM, its disk volume bound with -v to a
// path where nothing is at first (the runner makes the disk): the first
// boot counts 1, the second 2, so what the guest wrote through the VMM's
// read-write virtio-blk, flushed at the pod's stop, was there for the
// second. Both pods exit 0. (kill -9 during writes is tested on the qemu
// backend, e2e TestDataVolumeKill: the guest's journal is the same.)
func TestNestedDataVolume(t *testing.T) {
	run := []string{"--backend", "kvm", "--net", "none", "-v", "data=/tmp/data.ext4", "/data.img"}
	got := nestedHyperboot(t, filepath.Join("..", "..", "examples", "data.hcl"), "data.img", "boots: 2", run, run)
	if !strings.Contains(got, "made an empty data disk at /tmp/data.ext4") {
		t.Errorf("the runner did not make the data disk")
	}
	for _, want := range []string{"boots: 1", "boots: 2"} {
		if !strings.Contains(got, want) {
			t.Errorf("the pod did not print %q", want)
		}
	}
	exits := regexp.MustCompile(`vmmrun exit status (\d+)`).FindAllStringSubmatch(got, -1)
	if len(exits) != 2 || exits[0][1] != "0" || exits[1][1] != "0" {
		t.Errorf("hyperboot exits: %v, want two of status 0", exits)
	}
}

// TestNestedDiskBench boots testdata/bench/diskbench.hcl (make bench's
// step disk) on --backend kvm and logs the rates it prints, for make
// bench's step vmm. It runs with HYPER_NESTED_DISKBENCH=1 only.
func TestNestedDiskBench(t *testing.T) {
	if os.Getenv("HYPER_NESTED_DISKBENCH") != "1" {
		t.Skip("a benchmark: set HYPER_NESTED_DISKBENCH=1 (make bench does)")
	}
	run := []string{"--backend", "kvm", "--net", "none", "-v", "data=/tmp/bench.ext4", "/diskbench.img"}
	got := nestedHyperboot(t, filepath.Join("..", "..", "testdata", "bench", "diskbench.hcl"), "diskbench.img", "disk read:", run)
	w := regexp.MustCompile(`disk write: [\d.]+ MiB/s`).FindString(got)
	r := regexp.MustCompile(`disk read: [\d.]+ MiB/s`).FindString(got)
	if w == "" || r == "" {
		t.Fatalf("diskbench printed no rates")
	}
	t.Logf("nested %s, %s", w, r)
}

// nestedHyperboot builds podFile into name, boots an outer VM that runs
// this tree's hyperboot once per element of runs (each its arguments, the
// artifact at /name), and returns the outer console.
func nestedHyperboot(t *testing.T, podFile, name, marker string, runs ...[]string) string {
	t.Helper()
	if os.Getenv("HYPER_NESTED") != "1" {
		t.Skip("boots pods under nested virtualization: set HYPER_NESTED=1 (make test-kvm)")
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Skip("qemu-system-x86_64 not found (Debian package qemu-system-x86)")
	}
	outer, modules := nestedKernel(t)
	dir := t.TempDir()
	img := buildPod(t, dir, podFile, name)
	bins := buildStatic(t, dir, "outerinit")
	hyperboot := filepath.Join(dir, "hyperboot")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-trimpath", "-o", hyperboot, "../../cmd/hyperboot")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building hyperboot: %v\n%s", err, b)
	}
	var args []string
	for i, r := range runs {
		if i > 0 {
			args = append(args, "---")
		}
		args = append(args, r...)
	}
	files := map[string]newcFile{
		"dev":         {Dir: true},
		"dev/console": {Major: 5, Minor: 1},
		"proc":        {Dir: true},
		"tmp":         {Dir: true},
		"init":        {Src: bins["outerinit"], Mode: 0o755},
		"vmmrun":      {Src: hyperboot, Mode: 0o755},
		"vmmrun.args": {Data: []byte(strings.Join(args, "\n")), Mode: 0o644},
		name:          {Src: img, Mode: 0o644},
	}
	addModules(files, modules)
	got, _, _ := runOuter(t, qemu, outer, "2", dir, files, marker)
	return got
}
