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
	if os.Getenv("HYPER_NESTED") != "1" {
		t.Skip("boots two pods under nested virtualization: set HYPER_NESTED=1 (make test-kvm)")
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Skip("qemu-system-x86_64 not found (Debian package qemu-system-x86)")
	}
	outer, modules := nestedKernel(t)
	dir := t.TempDir()
	img := buildPod(t, dir, filepath.Join("..", "..", "examples", "data.hcl"), "data.img")
	bins := buildStatic(t, dir, "outerinit")
	hyperboot := filepath.Join(dir, "hyperboot")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-trimpath", "-o", hyperboot, "../../cmd/hyperboot")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building hyperboot: %v\n%s", err, b)
	}
	run := "--backend\nkvm\n--net\nnone\n-v\ndata=/tmp/data.ext4\n/data.img"
	files := map[string]newcFile{
		"dev":         {Dir: true},
		"dev/console": {Major: 5, Minor: 1},
		"proc":        {Dir: true},
		"tmp":         {Dir: true},
		"init":        {Src: bins["outerinit"], Mode: 0o755},
		"vmmrun":      {Src: hyperboot, Mode: 0o755},
		"vmmrun.args": {Data: []byte(run + "\n---\n" + run), Mode: 0o644},
		"data.img":    {Src: img, Mode: 0o644},
	}
	addModules(files, modules)
	got, _, _ := runOuter(t, qemu, outer, "2", dir, files, "boots: 2")
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
