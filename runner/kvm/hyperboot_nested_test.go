package kvm_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"

	"github.com/hyperbuild/hyper/kernelcfg"
)

// TestNestedHyperboot runs hyperboot --backend kvm on a real artifact
// inside the outer VM: the artifact's own kernel, hyperstart and pod,
// booted by this package's VMM. By default it builds examples/hello.hcl
// offline (busybox from Debian's busybox-static, the cached hyperkernel),
// whose pod prints a line and exits 3. HYPER_NESTED_ARTIFACT names
// another image instead, and HYPER_NESTED_WANT a line its pod prints.
// The test passes when hyperboot exits with the status hyperstart
// reported.
func TestNestedHyperboot(t *testing.T) {
	if os.Getenv("HYPER_NESTED") != "1" {
		t.Skip("boots an artifact under nested virtualization: set HYPER_NESTED=1 (make test-kvm)")
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Skip("qemu-system-x86_64 not found (Debian package qemu-system-x86)")
	}
	outer, modules := nestedKernel(t)
	dir := t.TempDir()
	img, want := os.Getenv("HYPER_NESTED_ARTIFACT"), os.Getenv("HYPER_NESTED_WANT")
	if img == "" {
		img, want = buildHello(t, dir), "hello from hyper"
	}
	if _, err := os.Stat(img); err != nil {
		t.Skipf("HYPER_NESTED_ARTIFACT: %v", err)
	}
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

// buildHello builds examples/hello.hcl (status 3) with this tree's
// hyperbuild and hyperstart, the cached hyperkernel and an offline
// busybox image, or skips saying what is missing.
func buildHello(t *testing.T, dir string) string {
	t.Helper()
	k, err := kernelcfg.Cached()
	if err != nil {
		t.Skipf("no hyperkernel to build an artifact with (hyperbuild kernel, or set HYPER_NESTED_ARTIFACT): %v", err)
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	root := filepath.Join("..", "..")
	run := func(what string, name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("%s: %v\n%s", what, err, b)
		}
	}
	hb, hs, oci := filepath.Join(dir, "hyperbuild"), filepath.Join(dir, "hyperstart"), filepath.Join(dir, "busybox-oci")
	run("building hyperbuild", gobin, "build", "-o", hb, "./cmd/hyperbuild")
	run("building hyperstart", gobin, "build", "-o", hs, "./cmd/hyperstart")
	run("making an offline busybox image (busybox-static)", gobin, "run", "./internal/cmd/mkimage", "busybox", oci, "1.36")
	img := filepath.Join(dir, "hello.img")
	cmd := exec.Command(hb, filepath.Join(root, "examples", "hello.hcl"), "-o", img, "-q",
		"-var", "image=oci:"+oci+":1.36", "-var", "status=3", "--kernel", k.Path, "--hyperstart", hs)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hyperbuild: %v\n%s", err, b)
	}
	return img
}
