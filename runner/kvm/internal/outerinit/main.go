package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hyperbuild/hyper/runner/kvm/internal/packet"
)

func main() {
	if err := run(); err != nil {
		say("error: %v", err)
	}
	// The test's host side reads this as "the outer VM did its job"; an
	// outer VM that ends or stops printing without it failed underneath.
	say("done")
	unix.Sync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}

func say(format string, args ...any) {
	up, _ := os.ReadFile("/proc/uptime")
	t, _, _ := strings.Cut(string(up), " ")
	fmt.Printf("outer[%ss]: %s\n", t, fmt.Sprintf(format, args...))
}

func run() error {
	os.MkdirAll("/proc", 0o755)
	os.MkdirAll("/dev", 0o755)
	if err := unix.Mount("proc", "/proc", "proc", 0, ""); err != nil {
		return fmt.Errorf("mounting /proc: %w", err)
	}
	if err := unix.Mount("dev", "/dev", "devtmpfs", 0, ""); err != nil {
		return fmt.Errorf("mounting /dev: %w", err)
	}
	os.MkdirAll("/sys", 0o755)
	if err := unix.Mount("sysfs", "/sys", "sysfs", 0, ""); err != nil {
		return fmt.Errorf("mounting /sys: %w", err)
	}
	if err := loadModules("/modules"); err != nil {
		return err
	}
	if _, err := os.Stat("/dev/kvm"); err != nil {
		return fmt.Errorf("no /dev/kvm after loading the modules: %w", err)
	}
	say("/dev/kvm ready")
	args, err := lines("/vmmrun.args")
	if err != nil {
		return err
	}
	for _, run := range splitRuns(args) {
		if err := vmmrun(run); err != nil {
			return err
		}
	}
	return nil
}

// splitRuns splits the argument lines into runs at "---" lines.
func splitRuns(args []string) [][]string {
	runs := [][]string{nil}
	for _, a := range args {
		if a == "---" {
			runs = append(runs, nil)
			continue
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], a)
	}
	return runs
}

// heartbeat is how often the outer init says it is alive while vmmrun runs.
const heartbeat = 15 * time.Second

// silentDump is how long vmmrun may print nothing before it is asked for
// its goroutines' stacks.
const silentDump = 60 * time.Second

// pressLine is what the inner guest prints when it wants the power
// button: vmmrun presses it when interrupted.
const pressLine = "testinit: waiting for the power button"

// vmmrun runs the VMM once, copying its output to the console and
// interrupting it (a graceful stop) when the guest asks for that.
func vmmrun(args []string) error {
	prog := "/vmmrun"
	if len(args) > 0 && strings.HasPrefix(args[0], "@") { // this run's own program
		prog, args = args[0][1:], args[1:]
	}
	cmd := exec.Command(prog, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	// One pipe for both, so that the silence below counts every line.
	cmd.Stderr = cmd.Stdout
	say("starting vmmrun")
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting vmmrun: %w", err)
	}
	for i, a := range args {
		if a == "-tap" && i+1 < len(args) {
			go linkUp(args[i+1])
		}
	}
	// A heartbeat, so that the host tells an outer VM that stopped (QEMU's
	// emulated SVM has hung whole VMs) from a VMM that did; and a VMM silent
	// for silentDump is asked for its goroutines' stacks.
	stop := make(chan struct{})
	defer close(stop)
	var lastLine atomic.Int64
	lastLine.Store(time.Now().UnixNano())
	go func() {
		start := time.Now()
		tick := time.NewTicker(heartbeat)
		defer tick.Stop()
		quit := false
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				say("vmmrun running for %.0fs", time.Since(start).Seconds())
				silent := time.Since(time.Unix(0, lastLine.Load()))
				if silent > silentDump && !quit {
					// A Go VMM prints every goroutine's stack on SIGQUIT:
					// where it waits, if it waits.
					say("vmmrun silent for %.0fs: SIGQUIT for its goroutines", silent.Seconds())
					cmd.Process.Signal(unix.SIGQUIT)
					quit = true
				}
			}
		}
	}()
	s := bufio.NewScanner(out)
	for s.Scan() {
		lastLine.Store(time.Now().UnixNano())
		fmt.Println(s.Text())
		if strings.Contains(s.Text(), pressLine) {
			say("interrupting vmmrun")
			cmd.Process.Signal(os.Interrupt)
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		say("vmmrun exit status %d", ee.ExitCode())
	case err != nil:
		return fmt.Errorf("running vmmrun: %w", err)
	default:
		say("vmmrun exit status 0")
	}
	return nil
}

func loadModules(dir string) error {
	names, err := lines(filepath.Join(dir, "order"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, n := range names {
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			return err
		}
		err = unix.FinitModule(int(f.Fd()), "", 0)
		f.Close()
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("loading %s: %w", n, err)
		}
	}
	return nil
}

func lines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if l := strings.TrimSpace(s.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out, s.Err()
}

// linkUp brings the tap interface vmmrun creates up, once it exists, and
// sends broadcast frames into it for the inner guest to receive.
func linkUp(name string) {
	for range 600 {
		if _, err := os.Stat("/sys/class/net/" + name); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		say("link up %s: %v", name, err)
		return
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err == nil {
		err = unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr)
	}
	if err == nil {
		ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
		err = unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
	}
	if err != nil {
		say("link up %s: %v", name, err)
		return
	}
	say("%s is up", name)
	for range 600 { // the inner guest counts these as received
		packet.SendBroadcast(name)
		time.Sleep(200 * time.Millisecond)
	}
}
