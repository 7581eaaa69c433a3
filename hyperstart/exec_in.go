package hyperstart

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// execInCmd is the helper an exec goes through when its container has
// ulimits of its own: "/init exec-in LIMITS UID:GID:GROUPS -- PROGRAM
// ARGS...", started as root in the container's root, sets the limits,
// drops to the user and execs the program (rlimits belong to a whole
// process, so PID 1 cannot give them to one child).
const execInCmd = "exec-in"

// startExec starts req in container c, whose main process is mainPid:
// in the container's mount namespace and root (what /proc/mainPid/ns/mnt
// and /proc/mainPid/root are), as the request's user or the container's,
// in its workdir or the container's, with the container's environment
// plus the request's, in the container's cgroup (cgroupFD, -1 for none).
// With a tty it opens a pseudo-terminal in the container's /dev/pts and
// sets io.PTY to its master.
//
// Like startInPlace, the work is done on a thread of PID 1 locked to a
// goroutine that never unlocks it: the thread leaves PID 1's mount
// namespace and root, and the Go runtime ends it with the goroutine.
func startExec(l *Log, p *contract.Pod, c *contract.Container, mainPid int, req *contract.ExecRequest, io *ExecIO, cgroupFD int) (int, error) {
	// The main process may have just exited, its exit not yet handled:
	// then it is not running.
	gone := func(what string, err error) error {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("exec in %q: its main process has exited: %w", c.Name, ErrNotRunning)
		}
		return fmt.Errorf("exec in %q: %s: %w", c.Name, what, err)
	}
	ns, err := unix.Open(fmt.Sprintf("/proc/%d/ns/mnt", mainPid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, gone("its mount namespace", err)
	}
	defer unix.Close(ns)
	root, err := unix.Open(fmt.Sprintf("/proc/%d/root", mainPid), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, gone("its root", err)
	}
	defer unix.Close(root)
	rl, err := containerRlimits(c)
	if err != nil {
		return 0, err
	}
	type result struct {
		pid int
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: this thread's namespace and root are the
		// container's now.
		pid, err := forkInContainer(l, p, c, ns, root, rlimitsHeld(rl), rl, req, io, cgroupFD)
		done <- result{pid, err}
	}()
	r := <-done
	return r.pid, r.err
}

func forkInContainer(l *Log, p *contract.Pod, c *contract.Container, ns, root int, held bool, rl []Rlimit, req *contract.ExecRequest, io *ExecIO, cgroupFD int) (int, error) {
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return 0, fmt.Errorf("exec in %q: unshare: %w", c.Name, err)
	}
	if err := unix.Setns(ns, unix.CLONE_NEWNS); err != nil {
		return 0, fmt.Errorf("exec in %q: entering its mount namespace: %w", c.Name, err)
	}
	if err := unix.Fchdir(root); err != nil {
		return 0, fmt.Errorf("exec in %q: %w", c.Name, err)
	}
	if err := unix.Chroot("."); err != nil {
		return 0, fmt.Errorf("exec in %q: chroot: %w", c.Name, err)
	}
	proc := c.Process
	if proc == nil {
		proc = &contract.Process{}
	}
	user := req.User
	if user == "" {
		user = proc.User
	}
	u, err := resolveUserFiles(user)
	if err != nil {
		return 0, fmt.Errorf("exec in %q: %w", c.Name, err)
	}
	env := BuildEnv(mergeEnv(proc.Env, req.Env), hostname(p), u.Home)
	workdir := req.Workdir
	if workdir == "" {
		workdir = proc.Workdir
	}
	if workdir == "" {
		workdir = "/"
	}
	if fi, err := os.Stat(workdir); err != nil || !fi.IsDir() {
		return 0, fmt.Errorf("exec in %q: workdir %s: %w", c.Name, workdir, ErrWorkdir)
	}
	bin, err := lookPath(req.Args[0], envValue(env, "PATH"))
	if err != nil {
		return 0, execFailure(req.Args[0], err)
	}
	var files []uintptr
	sys := &syscall.SysProcAttr{Setsid: true}
	if !req.TTY {
		files = []uintptr{io.Stdin.Fd(), io.Stdout.Fd(), io.Stderr.Fd()}
	} else {
		master, slave, err := openPTY(u, req.Size)
		if err != nil {
			return 0, fmt.Errorf("exec in %q: a terminal: %w", c.Name, err)
		}
		defer slave.Close()
		io.PTY = master
		files = []uintptr{slave.Fd(), slave.Fd(), slave.Fd()}
		sys.Setctty, sys.Ctty = true, 0
	}
	if cgroupFD >= 0 {
		sys.UseCgroupFD, sys.CgroupFD = true, cgroupFD
	}
	args := req.Args
	if held {
		sys.Credential = &syscall.Credential{Uid: u.UID, Gid: u.GID, Groups: u.Groups}
	} else {
		// The helper runs as root to set the limits, then drops.
		args = append([]string{"/init", execInCmd, formatRlimits(rl), formatUser(u), "--", bin}, req.Args...)
		bin = "/proc/self/exe"
	}
	l.Debugf("exec %q in %q as %d:%d in %s", req.Args, c.Name, u.UID, u.GID, workdir)
	pid, err := syscall.ForkExec(bin, args, &syscall.ProcAttr{Dir: workdir, Env: env, Files: files, Sys: sys})
	if err != nil {
		return 0, execFailure(req.Args[0], err)
	}
	return pid, nil
}

// mergeEnv is base with add's entries, each replacing base's of the same
// name.
func mergeEnv(base, add []string) []string {
	out := make([]string, 0, len(base)+len(add))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !hasEnv(add, k) {
			out = append(out, kv)
		}
	}
	return append(out, add...)
}

// execFailure reports a program that cannot be run as a shell would
// (127 not found, 126 not executable); other errors stay as they are.
func execFailure(arg0 string, err error) error {
	switch {
	case errors.Is(err, unix.ENOENT):
		return &ExecFailure{Status: ExitNotFound, Err: fmt.Errorf("exec: %s: not found", arg0)}
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.ENOEXEC), errors.Is(err, unix.EISDIR), errors.Is(err, unix.EPERM):
		return &ExecFailure{Status: ExitNotExec, Err: fmt.Errorf("exec: %s: cannot execute: %v", arg0, err)}
	}
	return fmt.Errorf("exec: %s: %w", arg0, err)
}

// openPTY opens a pseudo-terminal in the current root's /dev/ptmx (the
// container's own devpts), owned by u, of size ws when given. The master
// is non-blocking, so that closing it ends a read in progress.
func openPTY(u User, ws contract.WindowSize) (master, slave *os.File, err error) {
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*os.File, *os.File, error) {
		unix.Close(m)
		return nil, nil, err
	}
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		return fail(fmt.Errorf("unlocking the terminal: %w", err))
	}
	s, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(m), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if errno != 0 {
		return fail(fmt.Errorf("opening the terminal's peer: %w", errno))
	}
	if err := unix.Fchown(int(s), int(u.UID), -1); err != nil {
		unix.Close(int(s))
		return fail(fmt.Errorf("giving the terminal to uid %d: %w", u.UID, err))
	}
	if ws.Rows > 0 && ws.Cols > 0 {
		unix.IoctlSetWinsize(m, unix.TIOCSWINSZ, &unix.Winsize{Row: ws.Rows, Col: ws.Cols})
	}
	return os.NewFile(uintptr(m), "/dev/ptmx"), os.NewFile(s, "pts"), nil
}

// formatRlimits and formatUser carry an exec's limits and user to the
// exec-in helper: "7=1024:2048,6=100:100" and "1000:1000:1000,29".
func formatRlimits(rl []Rlimit) string {
	parts := make([]string, len(rl))
	for i, r := range rl {
		parts[i] = fmt.Sprintf("%d=%d:%d", r.Resource, r.Limit.Cur, r.Limit.Max)
	}
	return strings.Join(parts, ",")
}

func formatUser(u User) string {
	gs := make([]string, len(u.Groups))
	for i, g := range u.Groups {
		gs[i] = strconv.FormatUint(uint64(g), 10)
	}
	return fmt.Sprintf("%d:%d:%s", u.UID, u.GID, strings.Join(gs, ","))
}

// execIn is the exec-in helper (args after "exec-in"): it returns only on
// failure, with a shell's status.
func execIn(l *Log, args []string) int {
	if len(args) < 5 || args[2] != "--" {
		l.Printf("%s: want LIMITS UID:GID:GROUPS -- PROGRAM ARGS...", execInCmd)
		return ExitSetup
	}
	rl, err := parseRlimits(args[0])
	if err == nil {
		err = Run(l, rlimitSteps(rl))
	}
	if err != nil {
		l.Printf("%s: setting ulimits: %v", execInCmd, err)
		return ExitSetup
	}
	u, err := parseUser(args[1])
	if err == nil {
		err = setUser(u)
	}
	if err != nil {
		l.Printf("%s: switching user: %v", execInCmd, err)
		return ExitSetup
	}
	err = syscall.Exec(args[3], args[4:], os.Environ())
	var fail *ExecFailure
	if errors.As(execFailure(args[4], err), &fail) {
		l.Printf("%v", fail)
		return fail.Status
	}
	l.Printf("exec %s: %v", args[4], err)
	return ExitNotExec
}

func parseRlimits(s string) ([]Rlimit, error) {
	var out []Rlimit
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		res, lim, ok := strings.Cut(part, "=")
		cur, max, ok2 := strings.Cut(lim, ":")
		r, err1 := strconv.Atoi(res)
		c, err2 := strconv.ParseUint(cur, 10, 64)
		m, err3 := strconv.ParseUint(max, 10, 64)
		if !ok || !ok2 || err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("limit %q: want RESOURCE=SOFT:HARD", part)
		}
		out = append(out, Rlimit{Name: res, Resource: r, Limit: unix.Rlimit{Cur: c, Max: m}})
	}
	return out, nil
}

func parseUser(s string) (User, error) {
	f := strings.Split(s, ":")
	if len(f) != 3 {
		return User{}, fmt.Errorf("user %q: want UID:GID:GROUPS", s)
	}
	uid, err1 := strconv.ParseUint(f[0], 10, 32)
	gid, err2 := strconv.ParseUint(f[1], 10, 32)
	if err1 != nil || err2 != nil {
		return User{}, fmt.Errorf("user %q: want UID:GID:GROUPS", s)
	}
	u := User{UID: uint32(uid), GID: uint32(gid)}
	for _, g := range strings.Split(f[2], ",") {
		if g == "" {
			continue
		}
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return User{}, fmt.Errorf("user %q: group %q: %w", s, g, err)
		}
		u.Groups = append(u.Groups, uint32(n))
	}
	return u, nil
}
