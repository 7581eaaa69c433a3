package hyperstart

import (
	"fmt"
	"os"
	"runtime"
	"syscall"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// startInPlace starts a container without re-executing hyperstart: a
// goroutine locked to its own OS thread of PID 1 unshares the mount
// namespace and the filesystem attributes (root, cwd) for that thread
// alone, applies ContainerPlan there and forks the container's process
// straight from it, which inherits the thread's namespace and root. The
// thread is never unlocked, so the Go runtime ends it with the goroutine.
// Under TCG this saves the start of a second Go runtime and a second read
// of the contract per container.
//
// Any failure is returned for the caller to fall back on the re-exec path,
// which reports it the way a shell would (exit 127/126/125). So is
// ErrOwnUlimits: resource limits belong to the whole process, and PID 1
// holds only Docker's defaults for its children to inherit.
func startInPlace(l *Log, p *contract.Pod, c *contract.Container, files []uintptr, cgroupFD int) (int, error) {
	rl, err := containerRlimits(c)
	if err != nil {
		return 0, err
	}
	if !rlimitsHeld(rl) {
		return 0, ErrOwnUlimits
	}
	type result struct {
		pid int
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the thread's root and mount namespace are
		// the container's now, and it must not run anything else.
		pid, err := setupAndFork(l, p, c, files, cgroupFD)
		done <- result{pid, err}
	}()
	r := <-done
	return r.pid, r.err
}

func setupAndFork(l *Log, p *contract.Pod, c *contract.Container, files []uintptr, cgroupFD int) (int, error) {
	if c.Process == nil || len(c.Process.Args) == 0 {
		return 0, ErrNoProcess
	}
	if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_FS); err != nil {
		return 0, fmt.Errorf("unshare: %w", err)
	}
	if err := Run(l, ContainerPlan(p, c)); err != nil {
		return 0, err
	}
	u, err := resolveUserFiles(c.Process.User)
	if err != nil {
		return 0, err
	}
	env := BuildEnv(c.Process.Env, hostname(p), u.Home)
	workdir := c.Process.Workdir
	if workdir == "" {
		workdir = "/"
	}
	if err := os.MkdirAll(workdir, 0o755); err != nil {
		return 0, err
	}
	args := c.Process.Args
	bin, err := lookPath(args[0], envValue(env, "PATH"))
	if err != nil {
		return 0, err
	}
	groups := make([]uint32, len(u.Groups))
	copy(groups, u.Groups)
	sys := &syscall.SysProcAttr{
		Setsid:     true,
		Credential: &syscall.Credential{Uid: u.UID, Gid: u.GID, Groups: groups},
	}
	if cgroupFD >= 0 {
		sys.UseCgroupFD, sys.CgroupFD = true, cgroupFD
	}
	l.Debugf("exec %q as %d:%d in %s", args, u.UID, u.GID, workdir)
	return syscall.ForkExec(bin, args, &syscall.ProcAttr{Dir: workdir, Env: env, Files: files, Sys: sys})
}
