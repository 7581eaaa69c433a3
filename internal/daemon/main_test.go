package daemon

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hyperbuild/hyper/internal/scripttest"
)

// TestMain is also the shim when a VM test's hyperd re-executes this
// binary as "hyperd shim --root ROOT --id ID" (SpawnProcess).
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "hyperd" && len(os.Args) > 1 && os.Args[1] == "shim" {
		fs := flag.NewFlagSet("shim", flag.ExitOnError)
		root := fs.String("root", "", "")
		id := fs.String("id", "", "")
		fs.Parse(os.Args[2:])
		if err := RunShimProcess(*root, *id, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "hyperd shim:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	scripttest.Cleanup()
	os.Exit(code)
}
