package kvm_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/hyperbuild/hyper/kernelcfg"
)

// livePod stays up with a line on each of its streams: the agent run
// execs into it and reads its logs.
const livePod = `
variable "image" {
  type = string
}

pod "live" {
  container "web" {
    image   = var.image
    command = ["sh", "-c", "echo web-started; echo web-warn >&2; exec sleep 3600"]
  }
}
`

// agentChecks are agentrun's checks (internal/agentrun).
var agentChecks = []string{"list", "exec streams", "exec stdin", "exec tty", "logs", "shutdown"}

// TestNestedHyperboot runs hyperboot --backend kvm on a real artifact
// inside the outer VM: the artifact's own kernel, hyperstart and pod,
// booted by this package's VMM. By default it builds examples/hello.hcl
// offline (busybox from Debian's busybox-static, the cached hyperkernel),
// whose pod prints a line and exits 3. HYPER_NESTED_ARTIFACT names
// another image instead, and HYPER_NESTED_WANT a line its pod prints.
// The test passes when hyperboot exits with the status hyperstart
// reported.
//
// In the same outer VM, agentrun then boots livePod with the kvm backend
// through runner.Start and drives it through hyperstart's agent over the
// VMM's virtio-console port (subtest agent): list, exec with its streams
// apart, stdin and a tty, logs, and a shutdown.
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
	podFile := filepath.Join(dir, "live.hcl")
	if err := os.WriteFile(podFile, []byte(livePod), 0o644); err != nil {
		t.Fatal(err)
	}
	live := buildPod(t, dir, podFile, "live.img")
	bins := buildStatic(t, dir, "outerinit", "agentrun")
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
		"vmmrun.args": {Data: []byte("--backend\nkvm\n--trace\n--verbose\n--net\nnone\n/pod.img\n---\n@/agentrun\n/live.img"), Mode: 0o644},
		"pod.img":     {Src: img, Mode: 0o644},
		"agentrun":    {Src: bins["agentrun"], Mode: 0o755},
		"live.img":    {Src: live, Mode: 0o644},
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
	exits := regexp.MustCompile(`vmmrun exit status (\d+)`).FindAllStringSubmatch(got, -1)
	if len(exits) == 0 || exits[0][1] != m[1] {
		t.Errorf("hyperboot did not exit with the pod's status %s", m[1])
	}
	if want != "" {
		if wantAt.IsZero() {
			t.Errorf("the pod did not print %q", want)
		} else {
			t.Logf("nested: hyperboot start to the pod's line %q: %.1f s (host clock)", want, wantAt.Sub(start).Seconds())
		}
	}
	t.Run("agent", func(t *testing.T) {
		if strings.Contains(got, "agentrun: no agent") {
			t.Skip("hyperstart answered no ping on the agent port: this tree's has no agent")
		}
		for _, c := range agentChecks {
			if !strings.Contains(got, "agentrun: ok: "+c+"\n") {
				t.Errorf("agentrun: %s did not pass", c)
			}
		}
		if len(exits) < 2 || exits[1][1] != "0" {
			t.Errorf("agentrun did not exit 0: %v", exits)
		}
		if m := regexp.MustCompile(`agentrun: exec true round trip .*`).FindString(got); m != "" {
			t.Log(m)
		}
	})
}

// buildHello builds examples/hello.hcl (status 3) with this tree's
// hyperbuild and hyperstart, the cached hyperkernel and an offline
// busybox image, or skips saying what is missing.
func buildHello(t *testing.T, dir string) string {
	t.Helper()
	return buildPod(t, dir, filepath.Join("..", "..", "examples", "hello.hcl"), "hello.img", "-var", "status=3")
}

// buildPod builds the pod file podFile (its var.image is the busybox
// image) into dir/name as buildHello does, once per dir for the tools.
func buildPod(t *testing.T, dir, podFile, name string, args ...string) string {
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
	if _, err := os.Stat(hb); err != nil {
		run("building hyperbuild", gobin, "build", "-o", hb, "./cmd/hyperbuild")
		run("building hyperstart", gobin, "build", "-o", hs, "./cmd/hyperstart")
		run("making an offline busybox image (busybox-static)", gobin, "run", "./internal/cmd/mkimage", "busybox", oci, "1.36")
	}
	img := filepath.Join(dir, name)
	args = append([]string{podFile, "-o", img, "-q", "-var", "image=oci:" + oci + ":1.36", "--kernel", k.Path, "--hyperstart", hs}, args...)
	if b, err := exec.Command(hb, args...).CombinedOutput(); err != nil {
		t.Fatalf("hyperbuild %s: %v\n%s", podFile, err, b)
	}
	return img
}
