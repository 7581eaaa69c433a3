package testimage

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// GoProgram compiles src (a main package using only the standard library)
// with CGO_ENABLED=0 for linux/amd64 and returns an image holding it as
// /app with Entrypoint ["/app"], plus an empty /tmp.
func GoProgram(t testing.TB, src string) (v1.Image, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		return nil, fmt.Errorf("writing program: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module app\n\ngo 1.22\n"), 0o644); err != nil {
		return nil, fmt.Errorf("writing go.mod: %w", err)
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", "app", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOWORK=off", "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("compiling program: %w\n%s", err, out)
	}
	bin, err := os.ReadFile(filepath.Join(dir, "app"))
	if err != nil {
		return nil, fmt.Errorf("reading program: %w", err)
	}
	app := File("app", 0o755, "")
	app.Data = bin
	layer, err := Layer(Dir("tmp", 0o1777), app)
	if err != nil {
		return nil, fmt.Errorf("program layer: %w", err)
	}
	return Image(v1.Config{Entrypoint: []string{"/app"}}, layer)
}
