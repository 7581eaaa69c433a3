package kernelcfg

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// buildEnv fixes what the kernel records about its build, so that two
// builds of the same inputs give the same version banner.
var buildEnv = []string{
	"ARCH=x86_64",
	"LC_ALL=C",
	"KBUILD_BUILD_TIMESTAMP=1970-01-01 00:00:00 UTC",
	"KBUILD_BUILD_USER=hyper",
	"KBUILD_BUILD_HOST=hyperbuild",
	"KBUILD_BUILD_VERSION=1",
}

// recipe is one kernel build in a work directory: src is the kernel tree,
// out collects the files of the cache entry.
type recipe struct {
	src, out string
	log      io.Writer // everything make prints
	progress io.Writer
	jobs     int
	// total is the objects to compile (0: unknown), estimated says it
	// is estimateObjects' guess; compiled is what compile counted.
	total     int
	estimated bool
	compiled  int
}

func (r *recipe) extract(ctx context.Context, tarball string) error {
	if err := os.MkdirAll(r.src, 0o755); err != nil {
		return fmt.Errorf("extracting linux source: %w", err)
	}
	if err := r.run(ctx, r.log, "tar", "-xJf", tarball, "--strip-components=1", "-C", r.src); err != nil {
		return fmt.Errorf("extracting linux source %s: %w", tarball, err)
	}
	if _, err := os.Stat(filepath.Join(r.src, "Makefile")); err != nil {
		return fmt.Errorf("extracting linux source %s: no top-level Makefile after stripping one directory: %w", tarball, err)
	}
	return nil
}

// configure applies the fragment on tinyconfig, lets olddefconfig resolve
// it, and checks that every wanted option survived.
func (r *recipe) configure(ctx context.Context) error {
	if err := r.make(ctx, r.log, "tinyconfig"); err != nil {
		return fmt.Errorf("configuring kernel: make tinyconfig: %w", err)
	}
	cfgPath := filepath.Join(r.src, ".config")
	f, err := os.OpenFile(cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("configuring kernel: %w", err)
	}
	_, err = io.WriteString(f, "\n"+Fragment())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("configuring kernel: appending fragment: %w", err)
	}
	if err := r.make(ctx, r.log, "olddefconfig"); err != nil {
		return fmt.Errorf("configuring kernel: make olddefconfig: %w", err)
	}
	cfg, err := os.Open(cfgPath)
	if err != nil {
		return fmt.Errorf("configuring kernel: %w", err)
	}
	defer cfg.Close()
	final, err := ParseConfig(cfg)
	if err != nil {
		return fmt.Errorf("configuring kernel: %w", err)
	}
	if err := Check(final, Settings()); err != nil {
		return fmt.Errorf("configuring kernel: %w", err)
	}
	if r.total == 0 {
		r.total, r.estimated = estimateObjects(r.src, final), true
	}
	return nil
}

func (r *recipe) compile(ctx context.Context) error {
	p := newProgress(r.progress)
	p.total, p.estimated = r.total, r.estimated
	defer p.Close()
	if err := r.make(ctx, io.MultiWriter(r.log, p), fmt.Sprintf("-j%d", r.jobs), "bzImage"); err != nil {
		return fmt.Errorf("compiling kernel: %w", err)
	}
	r.compiled = p.objects
	return nil
}

// collect copies what the cache entry keeps into r.out.
func (r *recipe) collect(ctx context.Context) error {
	var release bytes.Buffer
	if err := r.make(ctx, &release, "-s", "kernelrelease"); err != nil {
		return fmt.Errorf("reading kernel release: %w", err)
	}
	if err := os.MkdirAll(r.out, 0o755); err != nil {
		return fmt.Errorf("collecting kernel: %w", err)
	}
	for src, dst := range map[string]string{
		filepath.Join(r.src, "arch/x86/boot/bzImage"): fileBzImage,
		filepath.Join(r.src, ".config"):               fileConfig,
	} {
		if err := copyFile(src, filepath.Join(r.out, dst)); err != nil {
			return fmt.Errorf("collecting kernel: %w", err)
		}
	}
	files := map[string]string{
		fileVersion:  strings.TrimSpace(release.String()) + "\n",
		fileFragment: Fragment(),
		fileObjects:  fmt.Sprintf("%d\n", r.compiled),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(r.out, name), []byte(text), 0o644); err != nil {
			return fmt.Errorf("collecting kernel: %w", err)
		}
	}
	return nil
}

func (r *recipe) make(ctx context.Context, out io.Writer, args ...string) error {
	return r.run(ctx, out, "make", append([]string{"-C", r.src}, args...)...)
}

// run runs a command in its own process group, so that cancelling ctx kills
// make's children too. On failure the error carries the output's last lines.
func (r *recipe) run(ctx context.Context, out io.Writer, name string, args ...string) error {
	tail := &tailBuffer{max: 20}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), buildEnv...)
	cmd.Stdout = io.MultiWriter(out, tail)
	cmd.Stderr = io.MultiWriter(r.log, tail)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// tailBuffer keeps the last max lines written to it.
type tailBuffer struct {
	mu    sync.Mutex // make's stdout and stderr are copied concurrently
	max   int
	lines []string
	part  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.part = append(t.part, p...)
	for {
		i := bytes.IndexByte(t.part, '\n')
		if i < 0 {
			break
		}
		t.lines = append(t.lines, string(t.part[:i]))
		t.part = t.part[i+1:]
		if len(t.lines) > t.max {
			t.lines = t.lines[len(t.lines)-t.max:]
		}
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if len(t.part) > 0 {
		lines = append(lines, string(t.part))
	}
	return "  " + strings.Join(lines, "\n  ")
}
