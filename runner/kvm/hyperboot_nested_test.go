package kvm_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
)

// TestNestedHyperboot runs hyperboot --backend kvm on a real artifact
// inside the outer VM: the artifact's own kernel, hyperstart and pod,
// booted by this package's VMM. HYPER_NESTED_ARTIFACT names the image
// (built by hyperbuild with the hyperkernel); HYPER_NESTED_WANT, if set,
// is a line the pod must print. The test passes when hyperboot exits with
// the status hyperstart reported.
func TestNestedHyperboot(t *testing.T) {
	if os.Getenv("HYPER_NESTED") != "1" {
		t.Skip("boots an artifact under nested virtualization: set HYPER_NESTED=1 (make test-kvm)")
	}
	img := os.Getenv("HYPER_NESTED_ARTIFACT")
	if img == "" {
		t.Skip("set HYPER_NESTED_ARTIFACT to an image built by hyperbuild")
	}
	if _, err := os.Stat(img); err != nil {
		t.Skipf("HYPER_NESTED_ARTIFACT: %v", err)
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Skip("qemu-system-x86_64 not found (Debian package qemu-system-x86)")
	}
	outer, modules := nestedKernel(t)
	dir := t.TempDir()
	bins := buildStatic(t, dir, "outerinit")
	hyperboot := filepath.Join(dir, "hyperboot")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-trimpath", "-o", hyperboot, "../../cmd/hyperboot")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building hyperboot: %v\n%s", err, b)
	}
	files := map[string]newcFile{
		"dev":         {Dir: true},
		"dev/console": {Major: 5, Minor: 1},
		"proc":        {Dir: true},
		"tmp":         {Dir: true},
		"init":        {Src: bins["outerinit"], Mode: 0o755},
		"vmmrun":      {Src: hyperboot, Mode: 0o755}, // outerinit runs /vmmrun
		"vmmrun.args": {Data: []byte("--backend\nkvm\n--trace\n-v\n--net\nnone\n/pod.img"), Mode: 0o644},
		"pod.img":     {Src: img, Mode: 0o644},
	}
	addModules(files, modules)
	want := os.Getenv("HYPER_NESTED_WANT")
	got, start, wantAt := runOuter(t, qemu, outer, "2", dir, files, want)
	if !regexp.MustCompile(`hyperboot: backend kvm`).MatchString(got) {
		t.Errorf("hyperboot did not use the kvm backend")
	}
	m := regexp.MustCompile(`pod exited with status (\d+)`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("hyperstart reported no status")
	}
	if !regexp.MustCompile(`vmmrun exit status ` + m[1] + `\b`).MatchString(got) {
		t.Errorf("hyperboot did not exit with the pod's status %s", m[1])
	}
	if want != "" {
		if wantAt.IsZero() {
			t.Errorf("the pod did not print %q", want)
		} else {
			t.Logf("nested: hyperboot start to the pod's line %q: %.1f s (host clock)", want, wantAt.Sub(start).Seconds())
		}
	}
}
