package hyperstart

import (
	"os"
	"path"
	"sync"
	"syscall"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// vmSupervisor is the Supervisor as PID 1 runs it: containers are
// re-executions of this binary in a new mount namespace, each in its own
// cgroup when cgroup2 is mounted, their output pumped to the console.
type vmSupervisor struct {
	*Supervisor
	con    *Console
	logs   *LogStore // the last of each container's output, for the agent
	pumps  sync.WaitGroup
	cgroup bool
}

func newVMSupervisor(l *Log, con *Console, p *contract.Pod) *vmSupervisor {
	v := &vmSupervisor{con: con, logs: NewLogStore(contract.LogRingBytes)}
	_, err := os.Stat(path.Join(CgroupRoot, "cgroup.controllers"))
	v.cgroup = err == nil
	v.Supervisor = &Supervisor{Pod: p, Log: l, Reaper: NewReaper(), Start: v.start, Kill: v.kill}
	return v
}

// containerCgroup is the cgroup a container's processes run in.
func containerCgroup(name string) string {
	return path.Join(CgroupRoot, "containers", name)
}

func (v *vmSupervisor) start(c *contract.Container) (int, error) {
	// Two pipes: the host tells a container's stdout lines ("NAME | ")
	// from its stderr lines ("NAME ! ") and sends each to its own stream.
	var r, w [2]*os.File
	for i := range r {
		var err error
		if r[i], w[i], err = os.Pipe(); err != nil {
			closeAll(r[:i]...)
			closeAll(w[:i]...)
			return 0, err
		}
	}
	defer closeAll(w[:]...)
	null, err := os.Open("/dev/null")
	if err != nil {
		closeAll(r[:]...)
		return 0, err
	}
	defer null.Close()
	cgroupFD := v.openCgroup(c)
	if cgroupFD >= 0 {
		defer unix.Close(cgroupFD)
	}
	files := []uintptr{null.Fd(), w[0].Fd(), w[1].Fd()}
	pid, err := startInPlace(v.Log, v.Pod, c, files, cgroupFD)
	if err != nil {
		// The re-exec path sets the container up again in a child
		// and reports the failure as a shell would.
		v.Log.Debugf("container %q: %v; starting it through %s", c.Name, err, execContainerCmd)
		pid, err = v.reexec(c, files, cgroupFD)
	}
	if err != nil {
		closeAll(r[:]...)
		return 0, err
	}
	for i, s := range []contract.Stream{contract.Stdout, contract.Stderr} {
		v.pumps.Add(1)
		go func(r *os.File) {
			defer v.pumps.Done()
			defer r.Close()
			Pump(v.con, r, contract.LinePrefix(c.Name, s), func(line []byte) { v.logs.Add(c.Name, s, line) })
		}(r[i])
	}
	return pid, nil
}

// openCgroup opens (creating it) the cgroup of c's processes, or returns
// -1 without cgroup2.
func (v *vmSupervisor) openCgroup(c *contract.Container) int {
	if !v.cgroup {
		return -1
	}
	cg := containerCgroup(c.Name)
	if err := os.MkdirAll(cg, 0o755); err != nil {
		return -1
	}
	fd, err := unix.Open(cg, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return fd
}

// startExec starts an exec'd process in container c, in its cgroup: it
// goes with the container when the container ends, as under Docker.
func (v *vmSupervisor) startExec(c *contract.Container, mainPid int, req *contract.ExecRequest, io *ExecIO) (int, error) {
	cgroupFD := v.openCgroup(c)
	if cgroupFD >= 0 {
		defer unix.Close(cgroupFD)
	}
	return startExec(v.Log, v.Pod, c, mainPid, req, io, cgroupFD)
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// reexec starts "/init exec-container NAME" in a new mount namespace: the
// child sets the container up and execs its process, or reports why not.
func (v *vmSupervisor) reexec(c *contract.Container, files []uintptr, cgroupFD int) (int, error) {
	self, err := os.Executable()
	if err != nil {
		self = "/proc/self/exe"
	}
	env := []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	if v.Log.Debug() {
		env = append(env, debugEnv+"=1")
	}
	sys := &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNS, Setsid: true}
	if cgroupFD >= 0 {
		sys.UseCgroupFD, sys.CgroupFD = true, cgroupFD
	}
	return syscall.ForkExec(self, []string{"/init", execContainerCmd, c.Name}, &syscall.ProcAttr{Dir: "/", Env: env, Files: files, Sys: sys})
}

// kill sends the stop signal to a container's main process; SIGKILL goes
// to everything in its cgroup (cgroup.kill), else to its process group.
func (v *vmSupervisor) kill(c *contract.Container, pid int, sig unix.Signal) {
	if sig != unix.SIGKILL {
		unix.Kill(pid, sig)
		return
	}
	if v.cgroup {
		if err := os.WriteFile(path.Join(containerCgroup(c.Name), "cgroup.kill"), []byte("1"), 0); err == nil {
			return
		}
	}
	unix.Kill(-pid, unix.SIGKILL)
	unix.Kill(pid, unix.SIGKILL)
}

// pumpsDone is closed once every container's output has reached EOF.
func (v *vmSupervisor) pumpsDone() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		v.pumps.Wait()
		close(done)
	}()
	return done
}
