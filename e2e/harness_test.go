package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/builder"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/internal/scripttest"
	"github.com/hyperbuild/hyper/internal/syncbuf"
	"github.com/hyperbuild/hyper/internal/testimage"
	"github.com/hyperbuild/hyper/kernelcfg"
	"github.com/hyperbuild/hyper/runner"
	_ "github.com/hyperbuild/hyper/runner/qemu"
	"github.com/hyperbuild/hyper/spec"
)

// requireVM skips unless a pod can be built and booted here.
func requireVM(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("VM boot: skipped with -short")
	}
	if _, err := kernelcfg.Cached(); err != nil {
		t.Skipf("hyperkernel: %v", err)
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not installed (make deps)")
	}
	if _, err := os.Stat(testimage.BusyboxPath); err != nil {
		t.Skip("busybox-static not installed (make deps)")
	}
}

// busyboxLayout writes busybox as an OCI layout tagged 1.36 and returns
// the reference.
func busyboxLayout(t testing.TB) string {
	t.Helper()
	ref, err := testimage.BusyboxLayout(filepath.Join(t.TempDir(), "busybox-oci"), "1.36")
	if err != nil {
		t.Skipf("busybox image: %v", err)
	}
	return ref
}

// build loads a pod file and builds it with the real hyperstart.
func build(t testing.TB, path string, vars map[string]string) string {
	t.Helper()
	pod, diags := spec.NewLoader(spec.WithVars(vars)).Load(path)
	if diags.HasErrors() {
		t.Fatalf("%s: %v", path, diags)
	}
	abs, _ := filepath.Abs(path)
	out := filepath.Join(t.TempDir(), "pod.img")
	hs := filepath.Join(scripttest.Tools(t), "hyperstart")
	if _, err := builder.Build(context.Background(), pod, filepath.Dir(abs), out, builder.WithHyperstart(hs)); err != nil {
		t.Fatalf("building %s: %v", path, err)
	}
	return out
}

// boot runs an artifact under QEMU and returns its status and console. A
// failure logs the command that reproduces it.
func boot(t *testing.T, ctx context.Context, img string, ports ...contract.Port) (int, string) {
	t.Helper()
	var out syncbuf.Buffer
	var verbose bytes.Buffer
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	status, err := runner.Run(ctx, img, runner.Config{Backend: "qemu", Stdout: &out, Verbose: &verbose, Ports: ports})
	if err != nil {
		t.Fatalf("booting %s: %v\nconsole:\n%s\nrunner:\n%s\nreproduce: hyperboot --backend qemu --verbose %s", img, err, out.String(), verbose.String(), img)
	}
	t.Logf("console:\n%s", out.String())
	return status, out.String()
}

func examplePath(name string) string { return filepath.Join("..", "examples", name) }

func contains(t *testing.T, out, want string) {
	t.Helper()
	if !strings.Contains(out, want) {
		t.Errorf("console lacks %q:\n%s", want, out)
	}
}
