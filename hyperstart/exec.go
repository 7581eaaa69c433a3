package hyperstart

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// Exit statuses of the exec-container child when it cannot run the
// container's process, as a shell reports them.
const (
	ExitSetup        = 125 // the container's mounts or user failed
	ExitNotExec      = 126 // the binary exists but cannot be executed
	ExitNotFound     = 127 // no such binary
	defaultPath      = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	execContainerCmd = "exec-container"
)

// execContainer runs in the child PID 1 forks for a container, in its new
// mount namespace: it applies ContainerPlan and execs the process. It
// returns only on failure, with the exit status to use.
func execContainer(l *Log, name string) int {
	p, err := readContract(contract.Path)
	if err != nil {
		l.Printf("%v", err)
		return ExitSetup
	}
	c := findContainer(p, name)
	if c == nil {
		l.Printf("container %q: %v", name, ErrNoContainer)
		return ExitSetup
	}
	if c.Process == nil || len(c.Process.Args) == 0 {
		l.Printf("container %q: %v", name, ErrNoProcess)
		return ExitSetup
	}
	if err := Run(l, ContainerPlan(p, c)); err != nil {
		l.Printf("container %q: setting up its root: %v", name, err)
		return ExitSetup
	}
	// Before dropping root: raising a hard limit needs CAP_SYS_RESOURCE.
	rl, err := containerRlimits(c)
	if err == nil {
		err = Run(l, rlimitSteps(rl))
	}
	if err != nil {
		l.Printf("container %q: setting its ulimits: %v", name, err)
		return ExitSetup
	}
	u, err := resolveUserFiles(c.Process.User)
	if err != nil {
		l.Printf("container %q: %v", name, err)
		return ExitSetup
	}
	env := BuildEnv(c.Process.Env, hostname(p), u.Home)
	workdir := c.Process.Workdir
	if workdir == "" {
		workdir = "/"
	}
	// Docker creates a missing working directory.
	if err := os.MkdirAll(workdir, 0o755); err != nil {
		l.Printf("container %q: creating workdir: %v", name, err)
		return ExitSetup
	}
	if err := setUser(u); err != nil {
		l.Printf("container %q: switching to uid %d gid %d: %v", name, u.UID, u.GID, err)
		return ExitSetup
	}
	if err := os.Chdir(workdir); err != nil {
		l.Printf("container %q: workdir %s: %v", name, workdir, err)
		return ExitSetup
	}
	args := c.Process.Args
	bin, err := lookPath(args[0], envValue(env, "PATH"))
	if err == nil {
		l.Debugf("exec %q as %d:%d in %s", args, u.UID, u.GID, workdir)
		err = syscall.Exec(bin, args, env)
	}
	return reportExecError(l, name, args[0], err)
}

func reportExecError(l *Log, name, arg0 string, err error) int {
	switch {
	case errors.Is(err, unix.ENOENT):
		l.Printf("container %q: %s: not found (exit %d)", name, arg0, ExitNotFound)
		return ExitNotFound
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.ENOEXEC), errors.Is(err, unix.EISDIR), errors.Is(err, unix.EPERM):
		l.Printf("container %q: %s: cannot execute: %v (exit %d)", name, arg0, err, ExitNotExec)
		return ExitNotExec
	}
	l.Printf("container %q: exec %s: %v (exit %d)", name, arg0, err, ExitNotExec)
	return ExitNotExec
}

// lookPath finds file in the container's PATH like a shell: a name with a
// slash is taken as is; ENOENT when nothing is found, EACCES when only
// non-executable candidates are.
func lookPath(file, pathEnv string) (string, error) {
	if strings.Contains(file, "/") {
		return file, nil
	}
	var firstErr error = unix.ENOENT
	for _, dir := range strings.Split(pathEnv, ":") {
		if dir == "" {
			dir = "."
		}
		p := path.Join(dir, file)
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() {
			continue
		}
		if err := unix.Access(p, unix.X_OK); err != nil {
			if firstErr == unix.ENOENT {
				firstErr = err
			}
			continue
		}
		return p, nil
	}
	return "", fmt.Errorf("%s: %w", file, firstErr)
}

// BuildEnv completes a container's environment as Docker does: PATH,
// HOSTNAME and HOME are added when the image and the pod leave them out.
func BuildEnv(env []string, hostname, home string) []string {
	out := append([]string(nil), env...)
	if !hasEnv(out, "PATH") {
		out = append(out, defaultPath)
	}
	if !hasEnv(out, "HOSTNAME") {
		out = append(out, "HOSTNAME="+hostname)
	}
	if !hasEnv(out, "HOME") {
		out = append(out, "HOME="+home)
	}
	return out
}

func hasEnv(env []string, key string) bool {
	for _, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			return true
		}
	}
	return false
}

func envValue(env []string, key string) string {
	v := ""
	for _, e := range env {
		if k, val, _ := strings.Cut(e, "="); k == key {
			v = val
		}
	}
	return v
}

func resolveUserFiles(spec string) (User, error) {
	var passwd, group io.Reader
	if f, err := os.Open("/etc/passwd"); err == nil {
		defer f.Close()
		passwd = f
	}
	if f, err := os.Open("/etc/group"); err == nil {
		defer f.Close()
		group = f
	}
	return ResolveUser(spec, passwd, group)
}

// setUser drops to u; Go applies these to every thread of the process.
func setUser(u User) error {
	groups := make([]int, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = int(g)
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(int(u.GID)); err != nil {
		return fmt.Errorf("setgid: %w", err)
	}
	if err := syscall.Setuid(int(u.UID)); err != nil {
		return fmt.Errorf("setuid: %w", err)
	}
	return nil
}

func findContainer(p *contract.Pod, name string) *contract.Container {
	for i := range p.Containers {
		if p.Containers[i].Name == name {
			return &p.Containers[i]
		}
	}
	return nil
}

// hostname is the pod's hostname: the contract's, else the pod's name.
func hostname(p *contract.Pod) string {
	if p.Hostname != "" {
		return p.Hostname
	}
	if p.Name != "" {
		return p.Name
	}
	return "hyper"
}
