package hyperstart

import (
	"os/exec"
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
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("cmd/hyperstart depends on %s (forbidden: %s)", dep, f)
			}
		}
	}
}
