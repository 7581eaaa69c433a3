package qemu

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/internal/testimage"
	"github.com/hyperbuild/hyper/kernelcfg"
	"github.com/hyperbuild/hyper/runner"
)

// testKernel is the kernel VM tests boot: $HYPER_TEST_KERNEL, else the
// cached hyperkernel (hyperbuild kernel builds it).
func testKernel(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath(Binary); err != nil {
		t.Skipf("VM test: %v", ErrNoQEMU)
	}
	if testing.Short() {
		t.Skip("VM test: skipped with -short")
	}
	if p := os.Getenv("HYPER_TEST_KERNEL"); p != "" {
		return p
	}
	k, err := kernelcfg.Cached()
	if err != nil {
		t.Skipf("VM test: no kernel (set HYPER_TEST_KERNEL or build one with `hyperbuild kernel`): %v", err)
	}
	return k.Path
}

// prelude mounts what the test scripts use and defines pod_exit, which
// reports a status the way hyperstart does: the exit line, then the byte
// at contract.ExitPort, then power-off.
const prelude = `#!/bin/busybox sh
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
pod_exit() {
	echo "HYPER-POD-EXIT status=$1"
	if [ -e /dev/port ]; then
		printf "\\$(printf %o $1)" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	fi
	poweroff -f
}
`

// initramfs writes an initramfs whose /init is prelude+script, run by
// busybox (from Debian's busybox-static).
func initramfs(t testing.TB, script string) string {
	t.Helper()
	bb, err := os.ReadFile(testimage.BusyboxPath)
	if err != nil {
		t.Skipf("VM test: busybox-static: %v", err)
	}
	if !isStatic(bb) {
		t.Skip("VM test: /bin/busybox is not static (install busybox-static)")
	}
	p, err := testimage.BusyboxInitrd(t.TempDir(), prelude+script)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// isStatic reports whether an ELF executable has no program interpreter.
func isStatic(b []byte) bool {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return false
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

// watch is a console writer that signals when a text has been seen.
type watch struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	for_  string
	seen  chan struct{}
	fired bool
}

func newWatch(s string) *watch { return &watch{for_: s, seen: make(chan struct{})} }

func (w *watch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.fired && w.for_ != "" && strings.Contains(w.buf.String(), w.for_) {
		w.fired = true
		close(w.seen)
	}
	return len(p), nil
}

// waitFor polls until s has been seen or the time is up.
func (w *watch) waitFor(s string, within time.Duration) bool {
	for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(w.String(), s) {
			return true
		}
	}
	return false
}

func (w *watch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func testBoot(t *testing.T, script string, out io.Writer) runner.Boot {
	return runner.Boot{
		Kernel: testKernel(t), Initrd: initramfs(t, script), Cmdline: "console=ttyS0 quiet panic=-1",
		CPUs: 1, MemoryMiB: 256, Net: "none", Stdout: out, Verbose: testLog{t},
	}
}

// testCtx bounds a VM test: a guest that hangs fails its test (after the
// power-down and the stop timeout) instead of the whole package timing out.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestVMExitStatus(t *testing.T) {
	script := "echo hello-from-guest\n[ -e /dev/port ] && echo devport=yes\npod_exit 137\n"
	for _, m := range []string{Microvm, Q35, PC} {
		t.Run(m, func(t *testing.T) {
			var out bytes.Buffer
			b := testBoot(t, script, &out)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			start := time.Now()
			got, err := runner.BootWith(ctx, &Backend{Machine: m}, b)
			t.Logf("%s: %v from start to exit", m, time.Since(start))
			if err != nil || got != 137 {
				t.Fatalf("BootWith = %d, %v; want 137 (console %q)", got, err, out.String())
			}
			if !strings.Contains(out.String(), "hello-from-guest") || strings.Contains(out.String(), contract.ExitLinePrefix) {
				t.Errorf("console %q: want the guest's line and no exit line", out.String())
			}
		})
	}
}

// TestVMExitPort checks the backend alone: the status from isa-debug-exit
// keeps the low 7 bits of the byte.
func TestVMExitPort(t *testing.T) {
	var out bytes.Buffer
	b := testBoot(t, "[ -e /dev/port ] && echo devport=yes\npod_exit 137\n", &out)
	res, err := backendRun(&Backend{}, testCtx(t), b)
	if !strings.Contains(out.String(), "devport=yes") {
		t.Skipf("the kernel has no /dev/port (CONFIG_DEVPORT): %q, %v", out.String(), err)
	}
	if err != nil || res.Status != 137&0x7f {
		t.Fatalf("Run = %+v, %v; want status %d", res, err, 137&0x7f)
	}
}

func TestVMReset(t *testing.T) {
	var out bytes.Buffer
	b := testBoot(t, "echo about-to-reset\nreboot -f\n", &out)
	got, err := runner.BootWith(testCtx(t), &Backend{}, b)
	if !errors.Is(err, runner.ErrNoStatus) || !strings.Contains(err.Error(), "guest reset without reporting a status") {
		t.Fatalf("BootWith = %d, %v; want a reset without status (console %q)", got, err, out.String())
	}
}

func TestVMMissingKernel(t *testing.T) {
	var out bytes.Buffer
	b := testBoot(t, "pod_exit 0\n", &out)
	b.Kernel = filepath.Join(t.TempDir(), "no-such-bzImage")
	_, err := backendRun(&Backend{}, testCtx(t), b)
	if err == nil || errors.Is(err, runner.ErrNoStatus) || !strings.Contains(err.Error(), "no-such-bzImage") {
		t.Fatalf("Run with a missing kernel: %v; want QEMU's error naming the file", err)
	}
}

// waitPower blocks until the ACPI power button is pressed.
const waitPower = `
ev=
for i in $(seq 50); do
	for e in /sys/class/input/event*; do
		[ "$(cat $e/device/name 2>/dev/null)" = "Power Button" ] && ev=/dev/input/${e##*/}
	done
	[ -n "$ev" ] && break
	sleep 0.1
done
if [ -z "$ev" ]; then echo no-power-button; pod_exit 99; fi
exec 3<$ev # open before saying so: a press before the open would be lost
echo waiting-for-power-button
dd bs=24 count=1 <&3 >/dev/null 2>&1
echo got-power-button
`

func TestVMPowerDown(t *testing.T) {
	w := newWatch("waiting-for-power-button")
	b := testBoot(t, waitPower+"pod_exit 5\n", w)
	b.StopTimeout = time.Minute
	ctx, cancel := context.WithCancel(testCtx(t))
	go func() { <-w.seen; cancel() }()
	got, err := runner.BootWith(ctx, &Backend{}, b)
	if strings.Contains(w.String(), "no-power-button") {
		t.Skipf("the kernel has no ACPI power button (ACPI_BUTTON, INPUT_EVDEV): %q", w.String())
	}
	if err != nil || got != 5 || !strings.Contains(w.String(), "got-power-button") {
		t.Fatalf("BootWith = %d, %v; want 5 after the power button (console %q)", got, err, w.String())
	}
}

func TestVMPowerDownIgnored(t *testing.T) {
	w := newWatch("ignoring-everything")
	b := testBoot(t, "echo ignoring-everything\nsleep 1000\n", w)
	b.StopTimeout = 2 * time.Second
	ctx, cancel := context.WithCancel(testCtx(t))
	go func() { <-w.seen; cancel() }()
	got, err := runner.BootWith(ctx, &Backend{}, b)
	if !errors.Is(err, runner.ErrNoStatus) || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("BootWith = %d, %v; want the guest killed after the stop timeout", got, err)
	}
}

const network = `
for a in $(cat /proc/cmdline); do
	case $a in hyper.ip=*) ip=${a#hyper.ip=};; hyper.gw=*) gw=${a#hyper.gw=};; esac
done
if ! ip link show eth0 >/dev/null 2>&1; then echo no-eth0; pod_exit 98; fi
ip link set lo up
ip addr add $ip dev eth0
ip link set eth0 up
ip route add default via $gw
`

func TestVMHostForward(t *testing.T) {
	port := freePort(t)
	w := newWatch("httpd-ready")
	b := testBoot(t, network+"mkdir /www\necho hello-over-hostfwd > /www/index.html\nhttpd -p 80 -h /www\necho httpd-ready\n"+waitPower+"pod_exit 0\n", w)
	b.Net = "user"
	b.Ports = []contract.Port{{Host: port, Guest: 80, Protocol: "tcp"}}
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		st, err := runner.BootWith(ctx, &Backend{}, b)
		done <- result{st, err}
	}()
	select {
	case <-w.seen:
	case r := <-done:
		if strings.Contains(w.String(), "no-eth0") {
			t.Skipf("the kernel has no virtio-net on microvm: %q", w.String())
		}
		t.Fatalf("the VM ended before httpd started: %+v (console %q)", r, w.String())
	}
	body, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/index.html", port), time.Minute)
	// The port names no address: it listens on loopback only, so the
	// host's other addresses refuse the connection.
	if ip := nonLoopback(); ip == "" {
		t.Log("no non-loopback IPv4 address on this host: reachability from the network not checked")
	} else if c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, strconv.Itoa(port)), 10*time.Second); err == nil {
		c.Close()
		t.Errorf("published port %d is reachable on %s; want loopback only", port, ip)
	}
	// A press before the guest listens for it would be lost.
	w.waitFor("waiting-for-power-button", time.Minute)
	cancel()
	r := <-done
	if err != nil || strings.TrimSpace(body) != "hello-over-hostfwd" {
		t.Fatalf("GET through hostfwd = %q, %v; want hello-over-hostfwd (console %q)", body, err, w.String())
	}
	if r.err != nil || r.status != 0 {
		t.Errorf("BootWith = %+v after power-down; want status 0", r)
	}
}

// nonLoopback is one of this host's IPv4 addresses other than loopback,
// or "".
func nonLoopback() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	return ""
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func httpGet(url string, within time.Duration) (string, error) {
	deadline := time.Now().Add(within)
	c := http.Client{Timeout: 10 * time.Second}
	for {
		resp, err := c.Get(url)
		if err == nil {
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			return string(b), err
		}
		if time.Now().After(deadline) {
			return "", err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestVMPowerDownEarly cancels while the kernel is still booting: that
// press is lost, the backend presses again until the guest listens.
func TestVMPowerDownEarly(t *testing.T) {
	w := newWatch("")
	b := testBoot(t, waitPower+"pod_exit 6\n", w)
	b.StopTimeout = time.Minute
	ctx, cancel := context.WithCancel(testCtx(t))
	time.AfterFunc(200*time.Millisecond, cancel)
	got, err := runner.BootWith(ctx, &Backend{}, b)
	if strings.Contains(w.String(), "no-power-button") {
		t.Skipf("the kernel has no ACPI power button (ACPI_BUTTON, INPUT_EVDEV): %q", w.String())
	}
	if err != nil || got != 6 {
		t.Fatalf("BootWith = %d, %v; want 6 after a repeated power button (console %q)", got, err, w.String())
	}
}
