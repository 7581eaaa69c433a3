package hyperstart

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// hyperstart runs inside every pod VM as a small static binary: it must
// never pull in the host side's heavy or format-specific code.
func TestImports(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("go tool not found: %v", err)
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/hyperbuild/hyper/cmd/hyperstart").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/hashicorp/hcl",
		"github.com/google/go-containerregistry",
		"github.com/diskfs/go-diskfs",
		"github.com/hyperbuild/hyper/builder",
		"github.com/hyperbuild/hyper/runner",
		"github.com/hyperbuild/hyper/spec",
		"github.com/hyperbuild/hyper/layers",
		"net/http",
		"encoding/xml",
	}
	// Beyond the standard library, only these: each one adds to the
	// binary every pod boots.
	allowed := []string{
		"github.com/hyperbuild/hyper/cmd/hyperstart",
		"github.com/hyperbuild/hyper/hyperstart",
		"github.com/hyperbuild/hyper/contract",
		"golang.org/x/sys/unix",
		"github.com/hashicorp/yamux", // the agent's channel
	}
	for _, dep := range strings.Fields(string(out)) {
		if first, _, _ := strings.Cut(dep, "/"); strings.Contains(first, ".") && !slices.Contains(allowed, dep) {
			t.Errorf("cmd/hyperstart depends on %s, which is not in the allowed list", dep)
		}
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("cmd/hyperstart depends on %s (forbidden: %s)", dep, f)
			}
		}
	}
}
