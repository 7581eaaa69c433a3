package hyperstart

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/internal/syncbuf"
	"golang.org/x/sys/unix"
)

// runPod supervises containers whose Process.Args are sh scripts, run on
// the host: the Supervisor's logic (restarts, stops, statuses) without a
// VM. It must not run in parallel with tests that wait for children.
func runPod(t *testing.T, p *contract.Pod, stopAfter time.Duration) (int, string) {
	if stopAfter == 0 {
		return runPodStops(t, p, time.Millisecond)
	}
	return runPodStops(t, p, time.Millisecond, stopAfter)
}

// runPodStops runs p with the given restart backoff, asking it to stop
// after each of stops.
func runPodStops(t *testing.T, p *contract.Pod, backoff time.Duration, stops ...time.Duration) (int, string) {
	t.Helper()
	tp := startHostPod(t, p, backoff)
	for i, d := range stops {
		why := "test"
		if i > 0 {
			why = "again"
		}
		time.AfterFunc(d, func() { tp.stop <- why })
	}
	return tp.wait(t), tp.log.String()
}

// hostPod is a Supervisor running sh scripts on the host, in the
// background.
type hostPod struct {
	s    *Supervisor
	log  *syncbuf.Buffer
	stop chan string
	done chan int
	// ready holds the files scripts touch through $READY (one per
	// container) once their traps are set.
	ready string
}

func startHostPod(t *testing.T, p *contract.Pod, backoff time.Duration) *hostPod {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skipf("no /bin/sh: %v", err)
	}
	tp := &hostPod{log: &syncbuf.Buffer{}, stop: make(chan string, 4), done: make(chan int, 1), ready: t.TempDir()}
	r := NewReaper()
	tp.s = &Supervisor{
		Pod: p, Log: NewLog(tp.log, true), Reaper: r,
		Start: func(c *contract.Container) (int, error) {
			return syscall.ForkExec("/bin/sh", append([]string{"sh", "-c"}, c.Process.Args...), &syscall.ProcAttr{
				Env: []string{"PATH=/usr/bin:/bin", "READY=" + filepath.Join(tp.ready, c.Name)}, Files: []uintptr{0, 1, 2}, Sys: &syscall.SysProcAttr{Setsid: true},
			})
		},
		Kill: func(c *contract.Container, pid int, sig unix.Signal) {
			if sig == unix.SIGKILL {
				unix.Kill(-pid, sig)
			}
			unix.Kill(pid, sig)
		},
		NewBackoff: func() Backoff { return Backoff{Min: backoff, Max: 4 * backoff, Reset: time.Hour} },
	}
	go func() {
		st := tp.s.Run(tp.stop)
		// The next pod's reaper must be the only one.
		r.Close()
		tp.done <- st
	}()
	t.Cleanup(func() {
		select {
		case <-tp.s.Ended():
		default:
			tp.stop <- "cleanup"
			tp.stop <- "cleanup"
			<-tp.s.Ended()
		}
	})
	return tp
}

// waitReady waits until container name's script has touched $READY.
func (tp *hostPod) waitReady(t *testing.T, name string) {
	t.Helper()
	f := filepath.Join(tp.ready, name)
	waitFor(t, name+" ready", func() bool { _, err := os.Stat(f); return err == nil })
	os.Remove(f)
}

// wait returns the pod's status once it has ended.
func (tp *hostPod) wait(t *testing.T) int {
	t.Helper()
	select {
	case st := <-tp.done:
		return st
	case <-time.After(60 * time.Second):
		t.Fatalf("pod did not end; log:\n%s", tp.log.String())
	}
	return 0
}

func ctr(name string, restart contract.RestartPolicy, script string) contract.Container {
	return contract.Container{Name: name, Restart: restart, StopTimeout: contract.Duration(300 * time.Millisecond), Process: &contract.Process{Args: []string{script}}}
}

func TestSupervisorStatus(t *testing.T) {
	tests := []struct {
		name       string
		containers []contract.Container
		want       int
	}{
		{"exit 3", []contract.Container{ctr("a", contract.RestartNever, "exit 3")}, 3},
		{"all zero", []contract.Container{ctr("a", contract.RestartNever, "exit 0"), ctr("b", contract.RestartNever, "exit 0")}, 0},
		{"first failure wins", []contract.Container{ctr("a", contract.RestartNever, "sleep 0.3; exit 4"), ctr("b", contract.RestartNever, "exit 5")}, 5},
		{"signal", []contract.Container{ctr("a", contract.RestartNever, "kill -KILL $$")}, 137},
		{"on-failure success", []contract.Container{ctr("a", contract.RestartOnFailure, "exit 0")}, 0},
	}
	for _, tt := range tests {
		p := &contract.Pod{Version: contract.Version, Name: "t", Containers: tt.containers}
		if got, log := runPod(t, p, 0); got != tt.want {
			t.Errorf("%s: pod status %d, want %d; log:\n%s", tt.name, got, tt.want, log)
		}
	}
}

func TestSupervisorOnFailureRestarts(t *testing.T) {
	count := filepath.Join(t.TempDir(), "count")
	// Fails twice, succeeds on the third run.
	script := `n=$(cat ` + count + ` 2>/dev/null || echo 0); n=$((n+1)); echo $n > ` + count + `; [ $n -ge 3 ]`
	p := &contract.Pod{Version: contract.Version, Containers: []contract.Container{ctr("flaky", contract.RestartOnFailure, script)}}
	got, log := runPod(t, p, 0)
	if got != 0 {
		t.Errorf("pod status %d, want 0; log:\n%s", got, log)
	}
	if n := strings.Count(log, "restarting in"); n != 2 {
		t.Errorf("%d restarts logged, want 2:\n%s", n, log)
	}
	for _, want := range []string{"restarting in 1ms (restart 1, policy on-failure)", "restarting in 2ms (restart 2, policy on-failure)"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestSupervisorGracefulStop(t *testing.T) {
	polite := ctr("polite", contract.RestartAlways, `trap 'exit 0' TERM; while :; do sleep 0.05; done`)
	polite.StopTimeout = contract.Duration(30 * time.Second) // never reached on a loaded host
	p := &contract.Pod{Version: contract.Version, Containers: []contract.Container{
		// Stops on SIGTERM, cleanly.
		polite,
		// Ignores SIGTERM: killed after its 300ms timeout.
		ctr("stubborn", contract.RestartAlways, `trap '' TERM; while :; do sleep 0.05; done`),
	}}
	got, log := runPod(t, p, 500*time.Millisecond)
	// polite exits 0: the stubborn one's SIGKILL is the pod's status.
	if got != 137 {
		t.Errorf("pod status %d, want 137; log:\n%s", got, log)
	}
	for _, want := range []string{"stopping the pod (test)", `container "stubborn" did not stop within 300ms: killing it`, `container "polite" exited with status 0`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, `"polite" did not stop`) {
		t.Errorf("polite was killed:\n%s", log)
	}
}

func TestSupervisorSecondStopKills(t *testing.T) {
	deaf := ctr("deaf", contract.RestartNever, `trap '' TERM; while :; do sleep 0.05; done`)
	deaf.StopTimeout = contract.Duration(time.Hour)
	p := &contract.Pod{Version: contract.Version, Containers: []contract.Container{deaf}}
	got, log := runPodStops(t, p, time.Millisecond, 200*time.Millisecond, 400*time.Millisecond)
	if got != 137 || !strings.Contains(log, "stopping the pod now (again)") {
		t.Errorf("pod status %d, want 137 after the second stop; log:\n%s", got, log)
	}
}

func TestSupervisorStopCancelsRestart(t *testing.T) {
	p := &contract.Pod{Version: contract.Version, Containers: []contract.Container{
		ctr("flapping", contract.RestartAlways, `exit 2`),
	}}
	// The restart waits an hour: the stop ends the wait, and the pod
	// with it, reporting the last run's status.
	got, log := runPodStops(t, p, time.Hour, 300*time.Millisecond)
	if got != 2 {
		t.Errorf("pod status %d, want 2; log:\n%s", got, log)
	}
	if n := strings.Count(log, "started"); n != 1 {
		t.Errorf("%d starts, want 1; log:\n%s", n, log)
	}
}

func TestReaperReapsOrphans(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skipf("no /bin/sh: %v", err)
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Skipf("cannot become a subreaper: %v", err)
	}
	defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
	r := NewReaper()
	defer r.Close()
	var stderr bytes.Buffer
	// sh starts 20 background sleeps and exits: they become our orphans.
	pid, err := r.Start(func() (int, error) {
		return syscall.ForkExec("/bin/sh", []string{"sh", "-c", "for i in $(seq 20); do sleep 0.1 & done; exit 7"}, &syscall.ProcAttr{Files: []uintptr{0, 1, 2}})
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ex := <-r.Exits():
		if ex.Pid != pid || ExitStatus(ex.Status) != 7 {
			t.Errorf("exit %+v, want pid %d status 7", ex, pid)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit")
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.Reaped() < 20 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := r.Reaped(); got != 20 {
		t.Errorf("reaped %d orphans, want 20 %s", got, stderr.String())
	}
}
