package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/runner/usernet"
)

// netPod serves 16 MiB on port 80 (and "ready" at /).
const netPod = `
variable "image" {
  type = string
}

pod "webbig" {
  container "server" {
    image   = var.image
    command = ["sh", "-c", "mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=16 2>/dev/null && echo ready > /www/index.html && httpd -f -p 80 -h /www & trap 'kill $!; exit 0' TERM; wait"]
  }
}
`

// netMAC is the guest's address on the in-process network.
var netMAC = [6]byte{0x02, 0x68, 0x79, 0x70, 0x65, 0x72}

// net measures host→guest HTTP through a published port under QEMU
// (TCG here): QEMU's own slirp (-netdev user, what the qemu backend
// uses) against the kvm backend's in-process network (runner/usernet,
// gvisor-tap-vsock) reached through -netdev stream, the same guest and
// QEMU command line otherwise. The kvm backend's own figures come from
// the nested test (step vmm).
func (b *bench) net() error {
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		return fmt.Errorf("qemu-system-x86_64 not installed (make deps)")
	}
	image, err := b.busybox()
	if err != nil {
		return err
	}
	podFile := filepath.Join(b.work, "webbig.hcl")
	if err := os.WriteFile(podFile, []byte(netPod), 0o644); err != nil {
		return err
	}
	img := filepath.Join(b.work, "webbig.img")
	if _, err := timed(nil, filepath.Join(b.bin, "hyperbuild"), podFile, "-q", "-o", img, "-var", "image="+image); err != nil {
		return err
	}
	webcheck := filepath.Join(b.work, "webcheck")
	if _, err := timed([]string{"CGO_ENABLED=0"}, "go", "build", "-o", webcheck, "./runner/kvm/internal/webcheck"); err != nil {
		return err
	}
	a, err := openArtifact(img, b.work)
	if err != nil {
		return err
	}
	// The two take turns, so that a busy host weighs on both alike.
	var slirp, gv []webFigures
	for range max(b.runs, 1) {
		f, err := b.webRun(webcheck, a, "slirp")
		if err != nil {
			return fmt.Errorf("slirp: %w", err)
		}
		slirp = append(slirp, f)
		if f, err = b.webRun(webcheck, a, "stream"); err != nil {
			return fmt.Errorf("-netdev stream: %w", err)
		}
		gv = append(gv, f)
	}
	const area = "net (QEMU TCG)"
	b.add(Row{Area: area, What: "host→guest HTTP 16 MiB, usernet via -netdev stream (MTU 16384)", Value: medianOf(gv, webFigures.rate), Unit: "MiB/s",
		Baseline: medianOf(slirp, webFigures.rate), BaseWhat: "QEMU slirp"})
	b.add(Row{Area: area, What: "HTTP GET / median, usernet via -netdev stream", Value: medianOf(gv, webFigures.latency), Unit: "ms",
		Baseline: medianOf(slirp, webFigures.latency), BaseWhat: "QEMU slirp"})
	b.add(Row{Area: area, What: "usernet's RSS in its process after a run", Value: medianOf(gv, webFigures.rss), Unit: "MiB", Goal: "VMM ≤ 10 MiB beyond guest RAM"})
	return nil
}

func (f webFigures) rss() float64     { return f.rssMiB }
func (f webFigures) rate() float64    { return f.mibs }
func (f webFigures) latency() float64 { return f.ms }

func medianOf(fs []webFigures, v func(webFigures) float64) float64 {
	vs := make([]float64, len(fs))
	for i, f := range fs {
		vs[i] = v(f)
	}
	slices.Sort(vs)
	return vs[len(vs)/2]
}

// artifact is what QEMU boots, extracted from a hyper artifact.
type artifact struct {
	kernel, initrd, disk, cmdline string
}

func openArtifact(path, dir string) (artifact, error) {
	img, err := disk.Open(path)
	if err != nil {
		return artifact{}, err
	}
	defer img.Close()
	k, rd, err := img.BootFiles(dir)
	if err != nil {
		return artifact{}, err
	}
	d, _, _ := img.PodFS()
	return artifact{kernel: k, initrd: rd, disk: d, cmdline: img.Cmdline()}, nil
}

type webFigures struct{ ms, mibs, rssMiB float64 }

// webRun boots a under QEMU with netdev "slirp" or "stream" (this
// process's usernet on a unix socket) and runs webcheck against the
// published port.
func (b *bench) webRun(webcheck string, a artifact, netdev string) (f webFigures, err error) {
	var rss float64
	defer func() { f.rssMiB = rss }()
	port, err := freeTCPPort()
	if err != nil {
		return webFigures{}, err
	}
	mac := net.HardwareAddr(netMAC[:]).String()
	var nd, mtu string
	switch netdev {
	case "slirp":
		nd = fmt.Sprintf("user,id=net0,hostfwd=tcp:127.0.0.1:%d-:80", port)
	case "stream":
		before := selfRSS()
		n, err := usernet.New(usernet.Config{MAC: netMAC, Ports: []contract.Port{{Host: port, Guest: 80, Protocol: "tcp"}}})
		if err != nil {
			return webFigures{}, err
		}
		defer n.Close()
		defer func() { rss = selfRSS() - before }()
		sock := filepath.Join(b.work, "net.sock")
		os.Remove(sock)
		l, err := net.Listen("unix", sock)
		if err != nil {
			return webFigures{}, err
		}
		defer l.Close()
		go func() {
			if c, err := l.Accept(); err == nil {
				n.ServeStream(c)
			}
		}()
		nd = "stream,id=net0,server=off,addr.type=unix,addr.path=" + sock
		mtu = fmt.Sprintf(",host_mtu=%d", usernet.MTU) // as the kvm backend offers it
	}
	cmdline := strings.Join([]string{a.cmdline, "console=ttyS0",
		contract.CmdlineIP + "=" + usernet.GuestIP, contract.CmdlineGateway + "=" + usernet.Gateway, contract.CmdlineDNS + "=" + usernet.DNS,
		"pci=off", "reboot=t", tscParam()}, " ")
	qemu := []string{"qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none",
		"-machine", "microvm", "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", "256", "-no-reboot",
		"-chardev", "stdio,id=console,signal=off", "-serial", "chardev:console",
		"-device", fmt.Sprintf("isa-debug-exit,iobase=%#x,iosize=0x04", contract.ExitPort),
		"-kernel", a.kernel, "-initrd", a.initrd, "-append", cmdline,
		"-drive", "file=" + a.disk + ",format=raw,if=none,id=pod,readonly=on", "-device", "virtio-blk-device,drive=pod",
		"-netdev", nd, "-device", "virtio-net-device,netdev=net0,mac=" + mac + mtu}
	args := append([]string{"-addr", fmt.Sprintf("127.0.0.1:%d", port), "-want", "ready", "-n", "20", "-big", "/big", "-timeout", "2m", "--"}, qemu...)
	out, err := exec.Command(webcheck, args...).CombinedOutput()
	if err != nil {
		return webFigures{}, fmt.Errorf("webcheck: %v: %s", err, lastLine(failLine(string(out))))
	}
	if m := regexp.MustCompile(`latency: median ([\d.]+) ms`).FindStringSubmatch(string(out)); m != nil {
		f.ms, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := regexp.MustCompile(`throughput: \d+ bytes in [\d.]+ s: ([\d.]+) MiB/s`).FindStringSubmatch(string(out)); m != nil {
		f.mibs, _ = strconv.ParseFloat(m[1], 64)
	}
	if f.ms == 0 || f.mibs == 0 {
		return f, fmt.Errorf("webcheck measured nothing: %s", lastLine(string(out)))
	}
	return f, nil
}

// failLine is webcheck's FAIL line, if any, else all of out.
func failLine(out string) string {
	if m := regexp.MustCompile(`webcheck: FAIL.*`).FindString(out); m != "" {
		return m
	}
	return out
}

func freeTCPPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tscParam is tsc_early_khz for microvm under TCG (FACTS: without it
// the guest's TSC calibration can hang), as the qemu backend adds it.
func tscParam() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "cpu MHz" {
			if mhz, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return fmt.Sprintf("tsc_early_khz=%d", int64(mhz*1000))
			}
		}
	}
	return ""
}

// selfRSS is this process's resident memory in MiB.
func selfRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}
