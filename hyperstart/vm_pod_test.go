package hyperstart

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

func TestVMExitStatus(t *testing.T) {
	for _, microvm := range []bool{false, true} {
		name := map[bool]string{false: "q35", true: "microvm"}[microvm]
		t.Run(name, func(t *testing.T) { testVMExitStatus(t, microvm) })
	}
}

func testVMExitStatus(t *testing.T, microvm bool) {
	e := requireVM(t)
	p := busyboxPod("one", shContainer("app", "echo hello from the pod; exit 3"))
	r := e.bootPod(t, p, bootOpts{microvm: microvm})
	if !r.has("hello from the pod") {
		t.Errorf("the container's line (unprefixed: one container) is missing")
	}
	if r.Status != 3 {
		t.Errorf("exit line status %d, want 3", r.Status)
	}
	if want := debugExit(3); r.Exit != want {
		t.Errorf("qemu exit %d, want %d (isa-debug-exit of 3)", r.Exit, want)
	}
	if last := r.Lines[len(r.Lines)-1]; last != contract.ExitLine(3) {
		t.Errorf("last console line %q, want the exit line", last)
	}
	// Without the agent's port the pod runs as it always did.
	if !r.contains("agent: no agent port (" + contract.AgentPort + "): the pod runs without one") {
		t.Errorf("the debug log does not say the pod runs without an agent")
	}
	for _, l := range r.Lines {
		if strings.Contains(l, "VmRSS") {
			t.Logf("%s", l)
		}
	}
}

func TestVMExecErrors(t *testing.T) {
	e := requireVM(t)
	missing := shContainer("missing", "")
	missing.Process.Args = []string{"/no/such/binary"}
	notExec := shContainer("notexec", "")
	notExec.Process.Args = []string{"/etc/passwd"}
	notExec.Process.User = "app"
	// Without hyper.debug hyperstart prints only errors and the exit line.
	r := e.bootPod(t, busyboxPod("errs", missing, notExec), bootOpts{append: "hyper.debug=0"})
	for _, l := range r.Lines {
		if strings.Contains(l, "hyperstart: [") {
			t.Errorf("debug line without hyper.debug: %q", l)
		}
	}
	for _, want := range []string{
		`missing | hyperstart: container "missing": /no/such/binary: not found (exit 127)`,
		`notexec | hyperstart: container "notexec": /etc/passwd: cannot execute: permission denied (exit 126)`,
	} {
		if !r.has(want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if r.Status != 127 && r.Status != 126 {
		t.Errorf("pod status %d, want 127 or 126", r.Status)
	}
}

func TestVMTwoContainers(t *testing.T) {
	e := requireVM(t)
	a := shContainer("a", `mkdir -p /www && echo served-by-a > /www/index.html && touch /only-in-a
httpd -f -p 8080 -h /www &
echo "a host=$(hostname) id=$(id -u):$(id -g)"
while [ ! -e /shared/done ]; do sleep 0.1; done
echo a done`)
	a.Mounts = []contract.Mount{{Volume: "shared", Path: "/shared"}}
	b := shContainer("b", `for i in $(seq 100); do wget -q -O /tmp/page http://127.0.0.1:8080/ 2>/dev/null && break; sleep 0.1; done
echo "b got $(cat /tmp/page)"
ps -o pid,args | grep -q '[h]ttpd -f -p 8080' && echo "b sees httpd"
[ -e /only-in-a ] || echo "b has its own root"
echo "b host=$(hostname) id=$(id -u):$(id -g) groups=$(id -G) home=$HOME"
grep -q ' /data tmpfs ro,' /proc/mounts && echo "b data ro"
touch /data/x 2>/dev/null || echo "b cannot write data"
echo "b resolv=$(tr '\n' ' ' < /etc/resolv.conf)"
grep -q 'twopod' /etc/hosts && echo "b hosts ok"
touch /shared/done`)
	b.Mounts = []contract.Mount{{Volume: "shared", Path: "/shared"}, {Volume: "data", Path: "/data", ReadOnly: true}}
	b.Process.User = "app"
	p := busyboxPod("twopod", a, b)
	p.Volumes = []contract.Volume{{Name: "shared", Type: contract.VolumeTmpfs}, {Name: "data", Type: contract.VolumeTmpfs}}
	p.Network.DNS = []string{"10.0.2.3"}
	r := e.bootPod(t, p, bootOpts{})
	for _, want := range []string{
		"a | a host=twopod id=0:0",
		"b | b got served-by-a",
		"b | b sees httpd",
		"b | b has its own root",
		"b | b host=twopod id=1000:1000 groups=1000 29 home=/home/app",
		"b | b data ro",
		"b | b cannot write data",
		"b | b resolv=nameserver 10.0.2.3",
		"b | b hosts ok",
		"a | a done",
	} {
		if !r.has(want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if r.Status != 0 {
		t.Errorf("pod status %d, want 0", r.Status)
	}
}

func TestVMOrphansReaped(t *testing.T) {
	e := requireVM(t)
	// Each subshell exits at once, leaving its sleep to PID 1.
	p := busyboxPod("orphans", shContainer("parent", `for i in $(seq 100); do (sleep 1 &); done
echo "orphans of pid 1 still running: $(ps -o ppid,comm | grep -c '^ *1 sleep')"
sleep 3
echo "zombies=$(cat /proc/[0-9]*/stat 2>/dev/null | grep -c ') Z ')"`))
	r := e.bootPod(t, p, bootOpts{})
	if !r.has("zombies=0") {
		t.Errorf("zombies remain (or the count is missing)")
	}
	if !r.contains("100 orphans reaped") {
		t.Errorf("hyperstart did not report reaping the 100 orphans")
	}
	if r.Status != 0 {
		t.Errorf("pod status %d, want 0", r.Status)
	}
}

func TestVMRestartOnFailure(t *testing.T) {
	e := requireVM(t)
	c := shContainer("flaky", `n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; echo "run $n"; [ $n -ge 4 ]`)
	c.Restart = contract.RestartOnFailure
	c.Mounts = []contract.Mount{{Volume: "state", Path: "/state"}}
	p := busyboxPod("restart", c)
	p.Volumes = []contract.Volume{{Name: "state", Type: contract.VolumeTmpfs}}
	r := e.bootPod(t, p, bootOpts{})
	for i, d := range []string{"100ms", "200ms", "400ms"} {
		want := "restarting in " + d + " (restart " + strconv.Itoa(i+1) + ", policy on-failure)"
		if !r.contains(want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if !r.has("run 4") || r.has("run 5") {
		t.Errorf("want exactly 4 runs")
	}
	if r.Status != 0 || r.Exit != debugExit(0) {
		t.Errorf("pod status %d, qemu exit %d; want 0, %d", r.Status, r.Exit, debugExit(0))
	}
}

func TestVMGracefulStop(t *testing.T) {
	e := requireVM(t)
	polite := shContainer("polite", `trap 'echo polite got TERM; exit 0' TERM; while :; do sleep 0.1; done`)
	stubborn := shContainer("stubborn", `trap 'echo stubborn ignores TERM' TERM; while :; do sleep 0.1; done`)
	stubborn.StopTimeout = contract.Duration(time.Second)
	stubborn.Restart = contract.RestartAlways
	trigger := shContainer("trigger", `trap 'exit 0' TERM; sleep 1; echo stopping the pod; kill -TERM 1; while :; do sleep 0.1; done`)
	r := e.bootPod(t, busyboxPod("stop", polite, stubborn, trigger), bootOpts{})
	for _, want := range []string{
		"polite | polite got TERM",
		"stubborn | stubborn ignores TERM",
		`hyperstart: container "stubborn" did not stop within 1s: killing it`,
		"hyperstart: stopping the pod (terminated)",
	} {
		if !r.has(want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if r.Status != 137 || r.Exit != debugExit(137) {
		t.Errorf("pod status %d, qemu exit %d; want 137, %d", r.Status, r.Exit, debugExit(137))
	}
}

func TestVMRestartAlways(t *testing.T) {
	e := requireVM(t)
	looper := shContainer("looper", `n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n.new; mv /state/n.new /state/n; echo "loop $n"; exit 0`)
	looper.Restart = contract.RestartAlways
	looper.Mounts = []contract.Mount{{Volume: "state", Path: "/state"}}
	// The pod stays up while looper keeps exiting 0; watcher ends it.
	// looper replaces the counter by rename: watcher must never read it
	// half written (an empty read made "[ -lt ]" fail and end its loop).
	watcher := shContainer("watcher", `trap 'exit 0' TERM
while [ "$(cat /state/n 2>/dev/null || echo 0)" -lt 3 ]; do sleep 0.1; done
echo "saw 3 runs"; kill -TERM 1; while :; do sleep 0.1; done`)
	watcher.Mounts = []contract.Mount{{Volume: "state", Path: "/state"}}
	p := busyboxPod("always", looper, watcher)
	p.Volumes = []contract.Volume{{Name: "state", Type: contract.VolumeTmpfs}}
	r := e.bootPod(t, p, bootOpts{})
	for _, want := range []string{"looper | loop 3", "watcher | saw 3 runs", "hyperstart: stopping the pod (terminated)"} {
		if !r.has(want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if !r.contains(`container "looper" exited with status 0 after`) || !r.contains("(restart 2, policy always)") {
		t.Errorf("looper's restarts are not logged")
	}
	if r.Status != 0 {
		t.Errorf("pod status %d, want 0", r.Status)
	}
}
