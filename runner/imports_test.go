package runner

import (
	"os/exec"
	"strings"
	"testing"
)

// The runner boots what the artifact's manifest describes: it reads no
// initramfs and knows nothing of how the kernel was configured (stop
// timeouts come from the manifest, the console grammar from contract).
func TestImports(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("go tool not found: %v", err)
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/hyperbuild/hyper/runner").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/hyperbuild/hyper/initrd",
		"github.com/hyperbuild/hyper/kernelcfg",
		"github.com/hyperbuild/hyper/builder",
		"github.com/hyperbuild/hyper/spec",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("runner depends on %s (forbidden: %s)", dep, f)
			}
		}
	}
}
