package formats_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/builder"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/formats"
	"github.com/hyperbuild/hyper/internal/scripttest"
	"github.com/hyperbuild/hyper/internal/testimage"
	"github.com/hyperbuild/hyper/kernelcfg"
	"github.com/hyperbuild/hyper/spec"
)

func TestMain(m *testing.M) {
	code := m.Run()
	scripttest.Cleanup()
	os.Exit(code)
}

// epoch is the SOURCE_DATE_EPOCH of every test build.
var epoch = time.Unix(1700000000, 0).UTC()

// hyperstart is $HYPER_HYPERSTART (the Makefile exports it), else one
// built for the test.
func hyperstart(t testing.TB) string {
	if p := os.Getenv("HYPER_HYPERSTART"); p != "" {
		return p
	}
	return filepath.Join(scripttest.Tools(t), "hyperstart")
}

var (
	layoutOnce sync.Once
	layoutRef  string
	layoutErr  error
)

// busybox is a busybox OCI layout shared by the package's tests.
func busybox(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(testimage.BusyboxPath); err != nil {
		t.Skip("busybox-static not installed (make deps)")
	}
	layoutOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hyper-formats-busybox-")
		if err != nil {
			layoutErr = err
			return
		}
		layoutRef, layoutErr = testimage.BusyboxLayout(filepath.Join(dir, "oci"), "1.36")
	})
	if layoutErr != nil {
		t.Fatalf("busybox layout: %v", layoutErr)
	}
	return layoutRef
}

// build compiles examples/hello.hcl (exit status 0) in format f with the
// hyperkernel and returns the artifact's path.
func build(t testing.TB, f formats.Format, opts ...builder.Option) string {
	t.Helper()
	pod := helloPod(t)
	out := filepath.Join(t.TempDir(), "hello."+string(f))
	opts = append([]builder.Option{builder.WithFormat(f), builder.WithEpoch(epoch), builder.WithHyperstart(hyperstart(t)),
		builder.WithWarnings(func(w string) { t.Log("warning:", w) })}, opts...)
	if _, err := builder.Build(context.Background(), pod, t.TempDir(), out, opts...); err != nil {
		t.Fatalf("building --format %s: %v", f, err)
	}
	return out
}

// helloPod loads examples/hello.hcl on the busybox layout, skipping
// when the hyperkernel is not built.
func helloPod(t testing.TB) *contract.Pod {
	t.Helper()
	if _, err := kernelcfg.Cached(); err != nil {
		t.Skipf("hyperkernel: %v (make kernel)", err)
	}
	ref := busybox(t)
	pod, diags := spec.NewLoader(spec.WithVars(map[string]string{"image": ref, "status": "0"})).Load("../examples/hello.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return pod
}

func need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
}

func needSyslinux(t testing.TB) {
	t.Helper()
	if err := formats.NeedsTool(formats.RawBIOS); err != nil {
		t.Skip(err)
	}
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func sha(t testing.TB, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
