package scripttest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hyperbuild/hyper/kernelcfg"
)

var (
	buildOnce sync.Once
	toolsDir  string
	buildErr  error
)

// Tools builds hyperstart (static, as make build does), hyperbuild and
// hyperd once per test binary into one directory and returns it. The
// hyperboot suite uses this hyperbuild to make the artifacts it boots,
// and its verbs start this hyperd. Cleanup removes the directory.
func Tools(t testing.TB) string {
	buildOnce.Do(func() {
		toolsDir, buildErr = os.MkdirTemp("", "hyper-tools-")
		if buildErr != nil {
			return
		}
		for _, b := range []struct{ pkg, out, cgo string }{
			{"./cmd/hyperstart", "hyperstart", "CGO_ENABLED=0"},
			{"./cmd/hyperbuild", "hyperbuild", ""},
			{"./cmd/hyperd", "hyperd", ""},
		} {
			cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(toolsDir, b.out), b.pkg)
			cmd.Dir = repoRoot()
			cmd.Env = os.Environ()
			if b.cgo != "" {
				cmd.Env = append(cmd.Env, b.cgo)
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("building %s: %v\n%s", b.pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return toolsDir
}

// Cleanup removes what Tools built; call it from TestMain after the tests.
func Cleanup() {
	if toolsDir != "" {
		os.RemoveAll(toolsDir)
	}
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Params returns the testscript parameters shared by both CLIs' suites.
// testscript.Main exits the process itself, so the suite's one test
// removes the tools when it ends.
func Params(t *testing.T, dir string) testscript.Params {
	tools := Tools(t)
	t.Cleanup(Cleanup)
	cache := os.Getenv("HYPER_CACHE")
	if cache == "" {
		if c, err := os.UserCacheDir(); err == nil {
			cache = filepath.Join(c, "hyper")
		}
	}
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("HYPER_HYPERSTART", filepath.Join(tools, "hyperstart"))
			// After testscript's own directory, so that a suite's
			// in-process command wins over the built one.
			env.Setenv("PATH", env.Getenv("PATH")+string(os.PathListSeparator)+tools)
			env.Setenv("HYPER_CACHE", cache)
			env.Setenv("REPO", repoRoot())
			env.Setenv("SOURCE_DATE_EPOCH", "1700000000")
			// Each script gets its own hyperd state directory, short
			// enough for its pods' sockets; what a script left running
			// there (hyperd, pods) is killed when it ends.
			root, err := os.MkdirTemp("", "hy")
			if err != nil {
				return err
			}
			env.Setenv("HYPER_ROOT", root)
			env.Setenv("HYPER_HOST", "")
			env.Defer(func() { killDaemon(root); os.RemoveAll(root) })
			return nil
		},
		Condition: condition,
		Cmds:      commands(),
	}
}

// condition answers the [name] guards scripts use; an unknown name is an
// error, so a typo never silently skips a script.
func condition(cond string) (bool, error) {
	switch cond {
	case "kernel":
		_, err := kernelcfg.Cached()
		return err == nil, nil
	case "qemu":
		_, err := exec.LookPath("qemu-system-x86_64")
		return err == nil, nil
	case "kvm":
		f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
		if err == nil {
			f.Close()
		}
		return err == nil, nil
	case "busybox":
		_, err := os.Stat("/bin/busybox")
		return err == nil, nil
	case "e2fsck":
		_, err := exec.LookPath("e2fsck")
		if err != nil {
			_, err = os.Stat("/usr/sbin/e2fsck")
		}
		return err == nil, nil
	}
	return false, errors.New("unknown condition " + cond)
}
