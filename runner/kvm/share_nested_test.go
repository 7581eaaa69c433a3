package kvm_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// sharePod reads the host's file in its host volume, writes one back,
// and tries the ways out of the share (as e2e's escapePod).
const sharePod = `
variable "image" {
  type = string
}

pod "share" {
  container "worker" {
    image   = var.image
    command = ["sh", "-c", <<-EOT
      echo "the host says: $(cat /src/hello.txt)"
      if echo "written by the pod" > /src/from-pod.txt; then echo "wrote /src/from-pod.txt"; fi
      for p in /src/up/secret /src/secret-link /src/dotdot/secret /src/../secret /src/sub/../../secret; do
        if cat "$p" 2>/dev/null | grep -q outside; then echo "ESCAPED via $p"; else echo "refused $p"; fi
      done
      ln -s /etc /src/mine 2>/dev/null && echo planted > /src/mine/planted 2>/dev/null
      echo planted > /src/up/planted 2>/dev/null
      echo "probes done"
    EOT
    ]
    mount {
      volume = "src"
      path   = "/src"
    }
  }
  volume "src" {
    type = "host"
  }
}
`

// TestNestedShare boots sharePod on the kvm backend inside the outer VM
// (sharecheck boot: runner.Run as hyperboot -v would call it), its host
// volume bound to a directory of the outer VM that
// sharecheck lays out with links leading out of it: once read-write (by
// the container path, Docker's form) and once read-only (by name). The
// pod reads the host's file through the VMM's 9p server and writes one
// the host then reads; the read-only run's write is refused; no probe
// reads or makes anything outside the share.
func TestNestedShare(t *testing.T) {
	if os.Getenv("HYPER_NESTED") != "1" {
		t.Skip("boots a pod under nested virtualization: set HYPER_NESTED=1 (make test-kvm)")
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Skip("qemu-system-x86_64 not found (Debian package qemu-system-x86)")
	}
	outer, modules := nestedKernel(t)
	dir := t.TempDir()
	podFile := filepath.Join(dir, "share.hcl")
	if err := os.WriteFile(podFile, []byte(sharePod), 0o644); err != nil {
		t.Fatal(err)
	}
	img := buildPod(t, dir, podFile, "share.img")
	bins := buildStatic(t, dir, "outerinit", "sharecheck")
	const share = "/work/outside/share"
	runs := []string{
		"@/sharecheck", "setup", "/work", "---",
		"@/sharecheck", "boot", "/share.img", share + ":/src", "---",
		"@/sharecheck", "boot", "/share.img", "src=" + share + ":ro", "---",
		"@/sharecheck", "check", "/work",
	}
	files := map[string]newcFile{
		"dev":         {Dir: true},
		"dev/console": {Major: 5, Minor: 1},
		"proc":        {Dir: true},
		"tmp":         {Dir: true},
		"work":        {Dir: true},
		"init":        {Src: bins["outerinit"], Mode: 0o755},
		"sharecheck":  {Src: bins["sharecheck"], Mode: 0o755},
		"share.img":   {Src: img, Mode: 0o644},
		"vmmrun.args": {Data: []byte(strings.Join(runs, "\n")), Mode: 0o644},
	}
	addModules(files, modules)
	got, _, _ := runOuter(t, qemu, outer, "2", dir, files, "sharecheck: ok: the host reads")
	for _, want := range []string{
		"sharecheck: ok: setup",
		"the host says: hello from the outer host",
		"wrote /src/from-pod.txt",
		"Read-only file system",
		"probes done",
		"sharecheck: ok: the host reads \"written by the pod\"",
		"sharecheck: ok: nothing outside the share changed",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the outer console lacks %q", want)
		}
	}
	if n := strings.Count(got, "wrote /src/from-pod.txt"); n != 1 {
		t.Errorf("the pod wrote its file %d times, want once (the read-only run must not)", n)
	}
	if n := strings.Count(got, "sharecheck: pod exited with status 0"); n != 2 {
		t.Errorf("%d runs of the pod ended with status 0, want 2", n)
	}
	if n := strings.Count(got, "hyperboot: backend kvm"); n != 2 {
		t.Errorf("hyperboot used the kvm backend in %d runs, want 2", n)
	}
	if strings.Contains(got, "ESCAPED") {
		t.Errorf("the pod read outside its share: %s", regexp.MustCompile(`ESCAPED.*`).FindString(got))
	}
	if strings.Contains(got, "sharecheck: FAIL") {
		t.Errorf("%s", regexp.MustCompile(`sharecheck: FAIL.*`).FindString(got))
	}
}
