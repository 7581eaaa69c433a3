package hyperstart

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// waitFor polls cond until it holds; the deadline only bounds a broken
// test, it asserts nothing about time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func statusOf(t *testing.T, s *Supervisor, name string) contract.ContainerStatus {
	t.Helper()
	st, err := s.Container(name)
	if err != nil {
		t.Fatalf("Container(%q): %v", name, err)
	}
	return st
}

func waitState(t *testing.T, s *Supervisor, name, state string) contract.ContainerStatus {
	t.Helper()
	var st contract.ContainerStatus
	waitFor(t, name+" "+state, func() bool {
		st = statusOf(t, s, name)
		return st.State == state
	})
	return st
}

// forever runs until SIGTERM, which it answers with status 0; it touches
// $READY once its trap is set (hostPod.waitReady).
const forever = `trap 'exit 0' TERM; touch $READY; while :; do sleep 0.05; done`

func TestSupervisorList(t *testing.T) {
	p := &contract.Pod{Version: contract.Version, Containers: []contract.Container{
		ctr("web", contract.RestartAlways, forever),
		ctr("job", contract.RestartNever, "exit 3"),
	}}
	tp := startHostPod(t, p, time.Millisecond)
	waitState(t, tp.s, "job", contract.StateExited)
	list, err := tp.s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "web" || list[1].Name != "job" {
		t.Fatalf("List = %+v, want web then job", list)
	}
	web, job := list[0], list[1]
	if web.State != contract.StateRunning || web.Pid == 0 || web.StartedAt.IsZero() || web.ExitStatus != nil || web.Restarts != 0 {
		t.Errorf("web = %+v, want running with a pid and a start time, no exit status", web)
	}
	if job.State != contract.StateExited || job.Pid != 0 || job.ExitStatus == nil || *job.ExitStatus != 3 || job.FinishedAt.Before(job.StartedAt) {
		t.Errorf("job = %+v, want exited with status 3 after it started", job)
	}
	if _, err := tp.s.Container("nope"); !errors.Is(err, ErrNoContainer) {
		t.Errorf("Container(nope) = %v, want ErrNoContainer", err)
	}
	tp.stop <- "test"
	if st := tp.wait(t); st != 3 {
		t.Errorf("pod status %d, want 3", st)
	}
	if _, err := tp.s.List(); !errors.Is(err, ErrPodEnded) {
		t.Errorf("List after the end = %v, want ErrPodEnded", err)
	}
}

func TestSupervisorSignal(t *testing.T) {
	got := filepath.Join(t.TempDir(), "got")
	p := &contract.Pod{Version: contract.Version, Containers: []contract.Container{
		ctr("app", contract.RestartNever, `trap 'echo usr1 > `+got+`' USR1; trap 'exit 0' TERM; touch $READY; while :; do sleep 0.05; done`),
		ctr("gone", contract.RestartNever, "exit 0"),
	}}
	tp := startHostPod(t, p, time.Millisecond)
	tp.waitReady(t, "app")
	waitState(t, tp.s, "gone", contract.StateExited)
	if err := tp.s.Signal("app", unix.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the trap's file", func() bool { _, err := os.Stat(got); return err == nil })
	if err := tp.s.Signal("gone", unix.SIGUSR1); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Signal(gone) = %v, want ErrNotRunning", err)
	}
	if err := tp.s.Signal("nope", unix.SIGUSR1); !errors.Is(err, ErrNoContainer) {
		t.Errorf("Signal(nope) = %v, want ErrNoContainer", err)
	}
	if err := tp.s.Signal("app", unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if st := tp.wait(t); st != 137 {
		t.Errorf("pod status %d, want 137", st)
	}
}

func TestSupervisorStopContainer(t *testing.T) {
	stubborn := ctr("stubborn", contract.RestartAlways, `trap '' TERM; touch $READY; while :; do sleep 0.05; done`)
	stubborn.StopTimeout = contract.Duration(time.Hour)
	p := &contract.Pod{Version: contract.Version, Containers: []contract.Container{
		ctr("web", contract.RestartAlways, forever),
		stubborn,
	}}
	tp := startHostPod(t, p, time.Millisecond)
	tp.waitReady(t, "web")
	tp.waitReady(t, "stubborn")
	// Its policy is always, yet it stays stopped; the pod goes on.
	if err := tp.s.StopContainer("web", 0); err != nil {
		t.Fatal(err)
	}
	web := statusOf(t, tp.s, "web")
	if web.State != contract.StateExited || web.ExitStatus == nil || *web.ExitStatus != 0 || web.Restarts != 0 {
		t.Errorf("web after stop = %+v, want exited 0, not restarted", web)
	}
	if err := tp.s.StopContainer("web", 0); err != nil {
		t.Errorf("stopping a stopped container: %v", err)
	}
	if err := tp.s.StopContainer("nope", 0); !errors.Is(err, ErrNoContainer) {
		t.Errorf("StopContainer(nope) = %v, want ErrNoContainer", err)
	}
	// The request's timeout replaces the container's hour; with both
	// stopped, the pod waits for the host.
	if err := tp.s.StopContainer("stubborn", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	list, err := tp.s.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.State != contract.StateExited {
			t.Errorf("%s = %+v after stop, want exited", c.Name, c)
		}
	}
	// A stopped container can run again.
	if err := tp.s.RestartContainer("web", 0); err != nil {
		t.Fatal(err)
	}
	tp.waitReady(t, "web")
	if web := statusOf(t, tp.s, "web"); web.State != contract.StateRunning || web.Restarts != 1 {
		t.Errorf("web after restart = %+v, want running, 1 restart", web)
	}
	if _, _, err := tp.s.Exec("stubborn", nil); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Exec into a stopped container = %v, want ErrNotRunning", err)
	}
	tp.s.Shutdown("test", 0)
	// web stops with 0, stubborn was killed first.
	if st := tp.wait(t); st != 137 {
		t.Errorf("pod status %d, want 137 (stubborn killed)", st)
	}
	for _, want := range []string{`container "web": stopping it, as the host asked`, `container "stubborn" did not stop within 100ms: killing it`} {
		if !strings.Contains(tp.log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, tp.log.String())
		}
	}
}

func TestSupervisorRestartContainer(t *testing.T) {
	p := &contract.Pod{Version: contract.Version, Containers: []contract.Container{
		ctr("web", contract.RestartNever, forever),
		ctr("job", contract.RestartNever, "exit 4"),
	}}
	tp := startHostPod(t, p, time.Millisecond)
	tp.waitReady(t, "web")
	before := statusOf(t, tp.s, "web")
	waitState(t, tp.s, "job", contract.StateExited)
	if err := tp.s.RestartContainer("web", 0); err != nil {
		t.Fatal(err)
	}
	after := statusOf(t, tp.s, "web")
	if after.State != contract.StateRunning || after.Pid == before.Pid || after.Restarts != 1 || after.ExitStatus == nil || *after.ExitStatus != 0 {
		t.Errorf("web after restart = %+v (before %+v), want running again with a new pid, 1 restart, last status 0", after, before)
	}
	// An exited container runs again while the pod lives.
	if err := tp.s.RestartContainer("job", 0); err != nil {
		t.Fatal(err)
	}
	if job := waitState(t, tp.s, "job", contract.StateExited); job.Restarts != 1 {
		t.Errorf("job = %+v, want 1 restart", job)
	}
	if err := tp.s.RestartContainer("nope", 0); !errors.Is(err, ErrNoContainer) {
		t.Errorf("RestartContainer(nope) = %v, want ErrNoContainer", err)
	}
	if err := tp.s.Shutdown("test", 0); err != nil {
		t.Fatal(err)
	}
	if err := tp.s.RestartContainer("web", 0); err != nil && !errors.Is(err, ErrPodStopping) && !errors.Is(err, ErrPodEnded) {
		t.Errorf("RestartContainer while stopping = %v, want ErrPodStopping or ErrPodEnded", err)
	}
	if st := tp.wait(t); st != 4 {
		t.Errorf("pod status %d, want 4 (job's)", st)
	}
}

func TestSupervisorExec(t *testing.T) {
	p := &contract.Pod{Version: contract.Version, Containers: []contract.Container{
		ctr("web", contract.RestartNever, forever),
		ctr("job", contract.RestartNever, "exit 0"),
	}}
	tp := startHostPod(t, p, time.Millisecond)
	waitState(t, tp.s, "web", contract.StateRunning)
	waitState(t, tp.s, "job", contract.StateExited)
	var gotPid int
	start := func(c *contract.Container, mainPid int) (int, error) {
		gotPid = mainPid
		return syscall.ForkExec("/bin/sh", []string{"sh", "-c", "exit 7"}, &syscall.ProcAttr{Files: []uintptr{0, 1, 2}})
	}
	pid, done, err := tp.s.Exec("web", start)
	if err != nil {
		t.Fatal(err)
	}
	if st := <-done; st != 7 || pid == 0 {
		t.Errorf("exec: pid %d status %d, want 7", pid, st)
	}
	if web := statusOf(t, tp.s, "web"); gotPid != web.Pid || web.State != contract.StateRunning {
		t.Errorf("exec saw main pid %d, web is %+v", gotPid, web)
	}
	if _, _, err := tp.s.Exec("job", start); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Exec(job) = %v, want ErrNotRunning", err)
	}
	if _, _, err := tp.s.Exec("nope", start); !errors.Is(err, ErrNoContainer) {
		t.Errorf("Exec(nope) = %v, want ErrNoContainer", err)
	}
	if _, _, err := tp.s.Exec("web", func(*contract.Container, int) (int, error) { return 0, unix.ENOENT }); !errors.Is(err, unix.ENOENT) {
		t.Errorf("Exec with a failing start = %v, want its error", err)
	}
	tp.stop <- "test"
	tp.wait(t)
}

func TestSupervisorEvents(t *testing.T) {
	p := &contract.Pod{Version: contract.Version, Containers: []contract.Container{
		ctr("web", contract.RestartNever, forever),
	}}
	tp := startHostPod(t, p, time.Millisecond)
	tp.waitReady(t, "web")
	sub, err := tp.s.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.s.RestartContainer("web", 0); err != nil {
		t.Fatal(err)
	}
	tp.waitReady(t, "web")
	tp.s.Shutdown("test", 0)
	tp.wait(t)
	var got []string
	for ev := range sub.C() {
		s := ev.Type + " " + ev.Container
		if ev.ExitStatus != nil {
			s += " " + strconv.Itoa(*ev.ExitStatus)
		}
		if ev.Time.IsZero() {
			t.Errorf("event %q has no time", s)
		}
		got = append(got, s)
	}
	want := []string{"exit web 0", "restart web", "stop ", "exit web 0"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("events %q, want %q", got, want)
	}
}
