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

// bigPod serves a 16 MiB file, for the throughput through a published
// port (make bench: HYPER_NESTED_NETBENCH=1).
const bigPod = `
variable "image" {
  type = string
}

pod "webbig" {
  container "server" {
    image   = var.image
    command = ["sh", "-c", "mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=16 2>/dev/null && echo ready > /www/index.html && httpd -f -p 80 -h /www & trap 'kill $!; exit 0' TERM; wait"]
  }
  port {
    host  = 8081
    guest = 80
  }
}
`

// TestNestedWeb boots examples/web.hcl with hyperboot --backend kvm (and
// the default --net user) inside the outer VM, and webcheck, on the outer
// VM's side of the published port, GETs / through 127.0.0.1:8080 as a
// user's curl would, measures the request latency, and stops the pod with
// Ctrl-C. With HYPER_NESTED_NETBENCH=1 it then boots a pod serving 16 MiB
// and measures the throughput (make bench). It logs the VMM's RSS beyond
// guest RAM with the network running.
func TestNestedWeb(t *testing.T) {
	if os.Getenv("HYPER_NESTED") != "1" {
		t.Skip("boots a pod under nested virtualization: set HYPER_NESTED=1 (make test-kvm)")
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Skip("qemu-system-x86_64 not found (Debian package qemu-system-x86)")
	}
	outer, modules := nestedKernel(t)
	dir := t.TempDir()
	web := buildPod(t, dir, filepath.Join("..", "..", "examples", "web.hcl"), "web.img")
	bins := buildStatic(t, dir, "outerinit", "webcheck")
	hyperboot := filepath.Join(dir, "hyperboot")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-trimpath", "-o", hyperboot, "../../cmd/hyperboot")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building hyperboot: %v\n%s", err, b)
	}
	const want = "hello from the hyper web pod"
	runs := []string{"@/webcheck", "-want", want, "--", "/hyperboot", "--backend", "kvm", "--verbose", "/web.img"}
	files := map[string]newcFile{
		"dev":         {Dir: true},
		"dev/console": {Major: 5, Minor: 1},
		"proc":        {Dir: true},
		"tmp":         {Dir: true},
		"init":        {Src: bins["outerinit"], Mode: 0o755},
		"webcheck":    {Src: bins["webcheck"], Mode: 0o755},
		"hyperboot":   {Src: hyperboot, Mode: 0o755},
		"web.img":     {Src: web, Mode: 0o644},
	}
	bench := os.Getenv("HYPER_NESTED_NETBENCH") == "1"
	if bench {
		podFile := filepath.Join(dir, "webbig.hcl")
		if err := os.WriteFile(podFile, []byte(bigPod), 0o644); err != nil {
			t.Fatal(err)
		}
		files["webbig.img"] = newcFile{Src: buildPod(t, dir, podFile, "webbig.img"), Mode: 0o644}
		runs = append(runs, "---", "@/webcheck", "-want", "ready", "-n", "0", "-big", "/big", "--", "/hyperboot", "--backend", "kvm", "--verbose", "/webbig.img")
	}
	files["vmmrun.args"] = newcFile{Data: []byte(strings.Join(runs, "\n")), Mode: 0o644}
	addModules(files, modules)
	got, _, _ := runOuter(t, qemu, outer, "2", dir, files, "webcheck: ok:")
	if !strings.Contains(got, "hyperboot: backend kvm") {
		t.Errorf("hyperboot did not use the kvm backend")
	}
	if !strings.Contains(got, "hyperboot: port 127.0.0.1:8080 -> 80/tcp") {
		t.Errorf("hyperboot did not publish web's port 8080")
	}
	ok := regexp.MustCompile(`webcheck: ok: GET / 200 "` + want + `" after ([\d.]+) s`).FindStringSubmatch(got)
	if ok == nil {
		t.Fatalf("webcheck did not get %q through the published port", want)
	}
	t.Logf("nested web: hyperboot start to the first answer through the published port: %s s (outer clock)", ok[1])
	if m := regexp.MustCompile(`webcheck: latency: median ([\d.]+) ms over (\d+)`).FindStringSubmatch(got); m != nil {
		t.Logf("nested web: GET / through the published port, median %s ms over %s requests", m[1], m[2])
	}
	if m := regexp.MustCompile(`webcheck: throughput: (\d+) bytes in [\d.]+ s: ([\d.]+) MiB/s`).FindStringSubmatch(got); m != nil {
		t.Logf("nested web: host to guest HTTP throughput %s MiB/s (%s bytes)", m[2], m[1])
	} else if bench {
		t.Errorf("webcheck measured no throughput")
	}
	if m := regexp.MustCompile(`RSS (\d+) KiB, of which guest RAM (\d+) KiB \(VMM (\d+) KiB\)(; VMM file pages (\d+) KiB)?`).FindStringSubmatch(got); m != nil {
		t.Logf("nested web: VMM beyond guest RAM with the network running %s KiB (RSS %s KiB, guest RAM %s KiB; the VMM's file pages %s KiB)", m[3], m[1], m[2], m[5])
	}
	exits := regexp.MustCompile(`webcheck: hyperboot exit status (\d+)`).FindStringSubmatch(got)
	if exits == nil || exits[1] != "0" {
		t.Errorf("hyperboot did not stop web gracefully (status 0): %v", exits)
	}
	if strings.Contains(got, "webcheck: FAIL") {
		t.Errorf("webcheck failed: %s", regexp.MustCompile(`webcheck: FAIL.*`).FindString(got))
	}
}
