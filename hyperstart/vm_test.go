package hyperstart

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/initrd"
	"github.com/hyperbuild/hyper/kernelcfg"
)

// VM tests boot real pods under QEMU (software emulation is enough): the
// static hyperstart built from this tree as /init of an initramfs written
// by package initrd, and an ext4 pod partition made with mke2fs -d from
// containers whose rootfs is the host's static busybox. They need a
// hyperkernel (HYPER_KERNEL, else kernelcfg's cache: `hyperbuild kernel`
// builds it), qemu-system-x86_64, mke2fs and a static busybox, and skip
// without them.

// vmEnv is what every VM test needs, found once.
type vmEnv struct {
	kernel, qemu, mke2fs, busybox, hyperstart string
	applets                                   []string
}

var (
	vmOnce sync.Once
	vm     vmEnv
	vmSkip string
	vmDir  string // holds the hyperstart built for the VM tests
)

func TestMain(m *testing.M) {
	code := m.Run()
	if vmDir != "" {
		os.RemoveAll(vmDir)
	}
	os.Exit(code)
}

func requireVM(t testing.TB) *vmEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("VM test: skipped with -short")
	}
	vmOnce.Do(func() { vmSkip = findVMEnv() })
	if vmSkip != "" {
		t.Skip(vmSkip)
	}
	return &vm
}

func findVMEnv() string {
	vm.kernel = os.Getenv("HYPER_KERNEL")
	if vm.kernel == "" {
		k, err := kernelcfg.Cached()
		if err != nil {
			return fmt.Sprintf("no hyperkernel: HYPER_KERNEL is not set and the cache has none (%v); `hyperbuild kernel` builds it", err)
		}
		vm.kernel = k.Path
	}
	if _, err := os.Stat(vm.kernel); err != nil {
		return fmt.Sprintf("HYPER_KERNEL: %v", err)
	}
	var err error
	for _, tool := range []struct {
		dst  *string
		name string
	}{{&vm.qemu, "qemu-system-x86_64"}, {&vm.mke2fs, "mke2fs"}, {&vm.busybox, "busybox"}} {
		if *tool.dst, err = exec.LookPath(tool.name); err != nil {
			return fmt.Sprintf("%s not found: %v", tool.name, err)
		}
	}
	out, err := exec.Command("file", "-L", vm.busybox).Output()
	if err == nil && !bytes.Contains(out, []byte("statically linked")) {
		return vm.busybox + " is not statically linked (install busybox-static)"
	}
	out, err = exec.Command(vm.busybox, "--list").Output()
	if err != nil {
		return fmt.Sprintf("busybox --list: %v", err)
	}
	vm.applets = strings.Fields(string(out))
	vmDir, err = os.MkdirTemp("", "hyperstart-vmtest-")
	if err != nil {
		return err.Error()
	}
	vm.hyperstart = filepath.Join(vmDir, "hyperstart")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", vm.hyperstart, "github.com/hyperbuild/hyper/cmd/hyperstart")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Sprintf("building hyperstart: %v\n%s", err, out)
	}
	return ""
}

// busyboxPod fills in the defaults of a test pod: every container gets a
// busybox rootfs and runs `sh -c script` given as its Args.
func busyboxPod(name string, containers ...contract.Container) *contract.Pod {
	p := &contract.Pod{Version: contract.Version, Name: name, Containers: containers}
	for i := range p.Containers {
		c := &p.Containers[i]
		if c.Restart == "" {
			c.Restart = contract.RestartNever
		}
	}
	return p
}

func shContainer(name, script string) contract.Container {
	return contract.Container{Name: name, Process: &contract.Process{
		Args: []string{"/bin/sh", "-c", script},
		Env:  []string{"PATH=/bin:/sbin:/usr/bin:/usr/sbin"},
	}}
}

// writePodDisk makes the ext4 pod partition: containers/NAME/rootfs with
// busybox, its applets and a passwd/group; rootfs, when set, adds to each
// container's tree before mke2fs copies it.
func (e *vmEnv) writePodDisk(t testing.TB, dir string, p *contract.Pod, rootfs func(t testing.TB, container, root string)) string {
	t.Helper()
	tree := filepath.Join(dir, "pod")
	bb, err := os.ReadFile(e.busybox)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Containers {
		root := filepath.Join(tree, contract.RootfsDir(c.Name))
		for _, d := range []string{"bin", "etc", "tmp", "root"} {
			if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		os.Chmod(filepath.Join(root, "tmp"), 0o1777)
		if err := os.WriteFile(filepath.Join(root, "bin/busybox"), bb, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, a := range e.applets {
			if a != "busybox" {
				os.Symlink("busybox", filepath.Join(root, "bin", a))
			}
		}
		os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n"), 0o644)
		os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\nnogroup:x:65534:\napp:x:1000:\naudio:x:29:app\n"), 0o644)
		if rootfs != nil {
			rootfs(t, c.Name, root)
		}
	}
	img := filepath.Join(dir, "pod.ext4")
	size := fmt.Sprintf("%dM", 8+4*len(p.Containers))
	if out, err := exec.Command(e.mke2fs, "-q", "-F", "-t", "ext4", "-L", contract.PodLabel, "-d", tree, img, size).CombinedOutput(); err != nil {
		t.Fatalf("mke2fs: %v\n%s", err, out)
	}
	return img
}

func (e *vmEnv) writeInitrd(t testing.TB, dir string, p *contract.Pod) string {
	t.Helper()
	path := filepath.Join(dir, "initrd.img")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := initrd.Write(f, e.hyperstart, p); err != nil {
		t.Fatalf("writing the initramfs: %v", err)
	}
	return path
}

// vmRun is one boot's outcome.
type vmRun struct {
	Lines    []string // console lines, \r stripped, as hyperboot shows them (asShown)
	Raw      []string // console lines, \r stripped, prefixes as hyperstart wrote them
	Exit     int      // QEMU's exit status
	Status   int      // from the exit line, -1 without one
	Cmdline  string   // to reproduce the boot
	Elapsed  time.Duration
	FirstOut time.Duration // to the first line matching bootOpts.marker
}

func (r *vmRun) Output() string { return strings.Join(r.Lines, "\n") }

func (r *vmRun) has(line string) bool {
	for _, l := range r.Lines {
		if l == line {
			return true
		}
	}
	return false
}

func (r *vmRun) contains(sub string) bool { return strings.Contains(r.Output(), sub) }

type bootOpts struct {
	append  string   // extra kernel command line
	qemu    []string // extra QEMU arguments
	marker  string   // a console line prefix whose time is FirstOut
	microvm bool     // QEMU's microvm machine instead of q35
	memMiB  int      // guest memory; 0 is 256 MiB
	// rootfs adds to a container's tree before it becomes the pod disk.
	rootfs  func(t testing.TB, container, root string)
	timeout time.Duration
	// onLine is called for each console line, as shown (from the
	// reading goroutine).
	onLine func(string)
	// containers are the pod's names, for asShown (bootPod sets them).
	containers []string
	// agent, when set, gives the VM the agent's virtio-serial port on a
	// unix socket at this path (as the runner does).
	agent string
}

// bootPod builds the pod's artifacts in a temporary directory and boots it.
func (e *vmEnv) bootPod(t testing.TB, p *contract.Pod, o bootOpts) *vmRun {
	t.Helper()
	dir := t.TempDir()
	disk := e.writePodDisk(t, dir, p, o.rootfs)
	rd := e.writeInitrd(t, dir, p)
	machine, drive := "q35", []string{"-drive", "file=" + disk + ",format=raw,if=virtio,readonly=on"}
	cmdline := "console=ttyS0 quiet panic=-1 hyper.debug " + o.append
	if o.microvm {
		// microvm has no PCI: the disk is a virtio-mmio device. Under
		// emulation its TSC calibration can hang without a hint.
		machine = "microvm"
		drive = []string{"-drive", "id=pod,file=" + disk + ",format=raw,if=none,readonly=on", "-device", "virtio-blk-device,drive=pod"}
		if khz := tscKHz(); khz != "" {
			cmdline += " tsc_early_khz=" + khz
		}
	}
	mem := 256
	if o.memMiB != 0 {
		mem = o.memMiB
	}
	args := []string{
		"-M", machine, "-m", strconv.Itoa(mem), "-smp", "1",
		"-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-kernel", e.kernel, "-initrd", rd,
	}
	args = append(args, drive...)
	if o.agent != "" {
		serial := "virtio-serial-pci"
		if o.microvm {
			serial = "virtio-serial-device"
		}
		args = append(args, "-device", serial,
			"-chardev", "socket,id=agent,path="+o.agent+",server=on,wait=off",
			"-device", "virtserialport,chardev=agent,name="+contract.AgentPort)
	}
	args = append(args, "-append", strings.TrimSpace(cmdline))
	args = append(args, o.qemu...)
	for _, c := range p.Containers {
		o.containers = append(o.containers, c.Name)
	}
	return e.boot(t, args, o)
}

func (e *vmEnv) boot(t testing.TB, args []string, o bootOpts) *vmRun {
	t.Helper()
	if o.timeout == 0 {
		o.timeout = 90 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.qemu, args...)
	run := &vmRun{Status: -1, Cmdline: shellQuote(append([]string{e.qemu}, args...))}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting qemu: %v", err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		raw := strings.TrimRight(strings.ReplaceAll(sc.Text(), "\r", ""), " ")
		run.Raw = append(run.Raw, raw)
		line := asShown(raw, o.containers)
		if o.marker != "" && run.FirstOut == 0 && strings.HasPrefix(line, o.marker) {
			run.FirstOut = time.Since(start)
		}
		if s, ok := contract.ParseExitLine(line); ok {
			run.Status = s
		}
		if o.onLine != nil {
			o.onLine(line)
		}
		run.Lines = append(run.Lines, line)
	}
	err = cmd.Wait()
	run.Elapsed = time.Since(start)
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ctx.Err() == nil:
		run.Exit = ee.ExitCode()
	default:
		t.Fatalf("qemu: %v (after %s)\nreproduce: %s\nconsole:\n%s\nstderr:\n%s", err, run.Elapsed, run.Cmdline, run.Output(), stderr.String())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("reproduce (artifacts are removed after the test): %s\nconsole:\n%s\nqemu stderr:\n%s", run.Cmdline, run.Output(), stderr.String())
		}
	})
	return run
}

// asShown is a console line as hyperboot shows it, stdout and stderr
// together: a container's prefix ("NAME | " or "NAME ! ") left out in a
// pod of one container, "NAME | " for either stream in a pod of several.
func asShown(line string, containers []string) string {
	name, _, text, ok := contract.ParseContainerLine(line)
	if !ok || !slices.Contains(containers, name) {
		return line
	}
	if len(containers) == 1 {
		return text
	}
	return contract.LinePrefix(name, contract.Stdout) + text
}

func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t'\"$\\;&|<>()*?") || a == "" {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// debugExit is QEMU's exit status for status byte b (isa-debug-exit).
func debugExit(status int) int { return ((status << 1) | 1) & 0xff }

// tscKHz is the host's TSC frequency from /proc/cpuinfo ("" if unknown).
func tscKHz() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "cpu MHz" {
			mhz, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return strconv.Itoa(int(mhz * 1000))
			}
		}
	}
	return ""
}
