package e2e

import (
	"os"
	"testing"

	"github.com/hyperbuild/hyper/internal/scripttest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	scripttest.Cleanup()
	os.Exit(code)
}
