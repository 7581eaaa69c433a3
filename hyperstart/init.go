package hyperstart

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// Main is hyperstart's entry point: PID 1 runs the pod; "exec-container
// NAME" is the child PID 1 starts for each container. It returns the
// process's exit status (PID 1 never returns: it powers off).
func Main(args []string) int {
	if len(args) >= 3 && args[1] == execContainerCmd {
		l := NewLog(os.Stderr, os.Getenv(debugEnv) == "1")
		return execContainer(l, args[2])
	}
	if len(args) >= 2 && args[1] == execInCmd {
		return execIn(NewLog(os.Stderr, false), args[2:])
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, ErrNotPID1)
		return 2
	}
	initMain()
	return 0
}

// debugEnv carries hyper.debug from PID 1 to its exec-container children
// (their own environment is replaced by the container's at exec).
const debugEnv = "HYPERSTART_DEBUG"

// Timeouts of the pod's life.
const (
	podDiskTimeout = 5 * time.Second        // for the pod partition to appear
	outputGrace    = 500 * time.Millisecond // for output after the last exit
	flushTimeout   = 2 * time.Second        // for the console to drain
	agentFlush     = time.Second            // for the agent's last replies
)

// initMain is PID 1. Whatever happens it ends the VM with a status.
func initMain() {
	start := sinceBoot()
	con := NewConsole(os.Stdout, 1024, 50*time.Millisecond)
	l := NewLog(con, false)
	// Ctrl-Alt-Del becomes SIGINT to PID 1 rather than an instant reboot.
	unix.Reboot(unix.LINUX_REBOOT_CMD_CAD_OFF)

	// A panic in PID 1 would panic the kernel and lose the status.
	defer func() {
		if r := recover(); r != nil {
			l.Printf("panic: %v", r)
			shutdown(con, ExitSetup)
		}
	}()
	status, err := boot(l, con)
	if err != nil {
		l.Printf("%v", err)
		status = ExitSetup
	}
	l.Debugf("pod ended with status %d (hyperstart up %.3fs after boot start at %.3fs)", status, (sinceBoot() - start).Seconds(), start.Seconds())
	shutdown(con, status)
}

// boot runs the boot plan, reads the contract, prepares the pod and
// supervises it; it returns the pod's exit status.
func boot(l *Log, con *Console) (int, error) {
	l.Hold()
	if err := Run(l, BootPlan()); err != nil {
		l.SetDebug(true)
		return 0, fmt.Errorf("boot: %w", err)
	}
	if err := Run(l, defaultRlimitSteps()); err != nil {
		return 0, fmt.Errorf("boot: giving containers Docker's default ulimits: %w", err)
	}
	// The pod disk is found and mounted while the contract is read and
	// decoded: one waits on the disk, the other on the CPU.
	type diskResult struct {
		dev string
		err error
	}
	diskDone := make(chan diskResult, 1)
	go func() {
		dev, err := WaitForLabel("/sys/class/block", "/dev", contract.PodLabel, podDiskTimeout, 10*time.Millisecond)
		if err == nil {
			err = Run(l, []Step{PodMountStep(dev)})
		}
		diskDone <- diskResult{dev, err}
	}()
	cmdlineBytes, _ := os.ReadFile("/proc/cmdline")
	cmd := ParseCmdline(string(cmdlineBytes))
	l.SetDebug(cmd.Debug)
	l.Debugf("hyperstart started (cmdline %q)", strings.TrimSpace(string(cmdlineBytes)))
	seedEntropy(l)

	p, err := readContract(contract.Path)
	if err != nil {
		return 0, err
	}
	l.Debugf("contract: pod %q, %d containers", p.Name, len(p.Containers))
	host := hostname(p)
	// The network comes up while the pod disk is being mounted; the
	// containers start after both.
	type netResult struct {
		addr string
		dns  []string
		err  error
	}
	netDone := make(chan netResult, 1)
	go func() {
		if err := Run(l, []Step{LinkUp("lo")}); err != nil {
			netDone <- netResult{err: fmt.Errorf("boot: %w", err)}
			return
		}
		addr, dns := setupNetwork(l, p, cmd)
		netDone <- netResult{addr: addr, dns: dns}
	}()
	stop := make(chan string, 4)
	watchSignals(stop)
	go func() {
		// The watcher must not take the vCPU from the pod's start:
		// its thread runs at the lowest priority (nice is per thread).
		runtime.LockOSThread()
		unix.Setpriority(unix.PRIO_PROCESS, 0, 19)
		watchPowerButton(l, stop)
	}()

	disk := <-diskDone
	if disk.err != nil {
		if errors.Is(disk.err, ErrNoPodDisk) {
			return 0, disk.err
		}
		return 0, fmt.Errorf("preparing the pod: %w", disk.err)
	}
	prefetchBinaries(l, p)
	if err := Run(l, PodPlan(p, disk.dev)[1:]); err != nil {
		return 0, fmt.Errorf("preparing the pod: %w", err)
	}
	if err := mountDataDisks(l, p); err != nil {
		return 0, fmt.Errorf("preparing the pod: %w", err)
	}
	if err := mountShares(l, p); err != nil {
		return 0, fmt.Errorf("preparing the pod: %w", err)
	}
	nr := <-netDone
	if nr.err != nil {
		return 0, nr.err
	}
	if err := Run(l, EtcPlan(host, nr.addr, nr.dns)); err != nil {
		return 0, fmt.Errorf("preparing the pod: %w", err)
	}
	if l.Debug() {
		l.Debugf("hyperstart %s before the first container", vmRSS())
	}
	sv := newVMSupervisor(l, con, p)
	// The host's control channel, when the VM has its port; commands
	// wait for the supervisor's loop to start.
	ag := &Agent{Sup: sv.Supervisor, Logs: sv.logs, Log: l, StartExec: sv.startExec}
	go runAgent(ag)
	status := sv.Run(stop)
	// Output still in flight from the last container: wait a little, but
	// orphans holding a pipe open must not hold the pod.
	waitTimeout(sv.pumpsDone(), outputGrace)
	sv.logs.Close() // followers of the logs have had everything
	ag.Flush(agentFlush)
	if l.Debug() {
		l.Debugf("hyperstart %s, %d orphans reaped", vmRSS(), sv.Reaper.Reaped())
	}
	return status, nil
}

// watchSignals turns SIGTERM, SIGINT (Ctrl-Alt-Del) and SIGPWR into stop
// requests.
func watchSignals(stop chan<- string) {
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, unix.SIGTERM, unix.SIGINT, unix.SIGPWR)
	go func() {
		for s := range sig {
			stop <- s.String()
		}
	}()
}

// shutdown reports the pod's status and ends the VM: the exit line on the
// console, the status byte on the exit port, then sync and power off.
func shutdown(con *Console, status int) {
	con.Flush(flushTimeout)
	line := contract.ExitLine(status) + "\n"
	done := make(chan struct{})
	go func() {
		io.WriteString(os.Stdout, line)
		// The exit port ends QEMU at once: wait until the serial port
		// has sent the line, not merely queued it (tcdrain).
		unix.IoctlSetInt(int(os.Stdout.Fd()), unix.TCSBRK, 1)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(flushTimeout):
	}
	releaseDataDisks()
	unix.Sync()
	writeExitPort(status)
	// Not under QEMU's isa-debug-exit (a cloud VM): power off.
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}

// writeExitPort writes the status byte to contract.ExitPort through
// /dev/port; QEMU's isa-debug-exit ends the VM with (B<<1)|1.
func writeExitPort(status int) {
	f, err := os.OpenFile("/dev/port", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer f.Close()
	f.WriteAt([]byte{byte(status)}, contract.ExitPort)
}

func waitTimeout(done <-chan struct{}, d time.Duration) {
	select {
	case <-done:
	case <-time.After(d):
	}
}

// vmRSS reads PID 1's resident memory from /proc for the debug log.
func vmRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "VmRSS unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			return "VmRSS " + strings.Join(strings.Fields(line[len("VmRSS:"):]), " ")
		}
	}
	return "VmRSS unknown"
}

// seedEntropy mixes the boot time into the kernel's pool without crediting
// it: credited entropy comes from virtio-rng or RDRAND. hyperstart itself
// never reads getrandom, so it never waits for the pool.
func seedEntropy(l *Log) {
	f, err := os.OpenFile("/dev/urandom", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer f.Close()
	b := strconv.AppendInt(nil, time.Now().UnixNano(), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(sinceBoot()), 10)
	f.Write(b)
	l.Debugf("seeded /dev/urandom (uncredited)")
}
