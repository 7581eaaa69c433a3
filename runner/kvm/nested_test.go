package kvm_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/kernelcfg"
)

// The nested KVM test boots an outer VM under QEMU TCG with -cpu max (AMD
// SVM with nested paging), whose /init loads KVM and runs this package's
// VMM (vmmrun, built static) on an inner kernel; the inner /init
// (testinit) prints a line and reports status 3 on the exit port. It
// proves the VMM end to end on a machine without /dev/kvm. It runs only
// with HYPER_NESTED=1 (make test-kvm), so a plain go test ./... stays
// light.
//
// Kernels: HYPER_NESTED_KERNEL names a bzImage with KVM built in; else
// the hyperkernel from hyperbuild's cache (kernelcfg.Cached); else
// Debian's linux-image-cloud-amd64 with its irqbypass, kvm, kvm-amd and
// tun modules. HYPER_NESTED_INNER_KERNEL
// overrides the inner kernel (default: the outer one). HYPER_NESTED_DISK=0
// skips the disk check (a kernel without virtio-mmio). HYPER_NESTED_CPUS
// sets the inner VM's vCPUs (default 2), HYPER_NESTED_APPEND its command
// line (default "console=ttyS0 quiet panic=-1"), HYPER_NESTED_MEM its
// memory in MiB (default 256; above 3072 exercises RAM above the hole).

const innerLine = "hello from the nested guest" // testinit.Line

const diskMarker = "HYPER-NESTED-DISK"

// agentEcho is how many bytes go to the guest and back on the agent
// port: more than virtio.ConsoleBuffer, so both directions fill up and
// wait.
const agentEcho = 200000

// nestedTimeout bounds the whole outer run; it normally takes 30-60 s.
const nestedTimeout = 4 * time.Minute

func TestNestedKVM(t *testing.T) {
	if os.Getenv("HYPER_NESTED") != "1" {
		t.Skip("boots two kernels under emulation (about a minute of both CPUs): set HYPER_NESTED=1 (make test-kvm)")
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Skip("qemu-system-x86_64 not found (Debian package qemu-system-x86)")
	}
	outer, modules := nestedKernel(t)
	inner := outer
	if k := os.Getenv("HYPER_NESTED_INNER_KERNEL"); k != "" {
		inner = k
	}
	appendLine := "console=ttyS0 quiet panic=-1"
	if a := os.Getenv("HYPER_NESTED_APPEND"); a != "" {
		appendLine = a
	}
	mem := "256"
	if m := os.Getenv("HYPER_NESTED_MEM"); m != "" {
		mem = m
	}
	cpus := "2"
	if c := os.Getenv("HYPER_NESTED_CPUS"); c != "" {
		cpus = c
	}
	checkDisk := os.Getenv("HYPER_NESTED_DISK") != "0"
	if checkDisk {
		appendLine += " testinit.disk"
	}
	dir := t.TempDir()
	bins := buildStatic(t, dir, "vmmrun", "testinit", "outerinit")
	diskImg := make([]byte, 64<<10)
	copy(diskImg, diskMarker)

	innerFiles := map[string]newcFile{
		"dev":         {Dir: true},
		"dev/console": {Major: 5, Minor: 1},
		"init":        {Src: bins["testinit"], Mode: 0o755},
	}
	addModules(innerFiles, guestModules(inner))
	innerRD := filepath.Join(dir, "inner.cpio")
	writeArchive(t, innerRD, innerFiles)
	run := func(appendLine string) []string {
		return []string{
			"-kernel", "/inner/bzImage", "-initrd", "/inner/initrd", "-disk", "/inner/disk", "-via-runner",
			"-append", appendLine, "-cpus", cpus, "-mem", mem, "-timeout", "150s", "-grace", "60s", "-trace",
		}
	}
	// Two runs: the pod ends by itself (status 3); then the outer init
	// interrupts vmmrun once the guest waits for the power button, the VMM
	// presses it, and the guest reports 4.
	// The second run also has a NIC on a tap device the outer init brings
	// up and sends frames into.
	// The first run also echoes a message larger than the agent port's
	// buffers through testinit (the guest's side of the channel).
	vmmArgs := append(run(appendLine+" testinit.agent"), "-agent-echo", fmt.Sprint(agentEcho), "---")
	vmmArgs = append(vmmArgs, append(run(appendLine+" testinit.button testinit.net"), "-tap", "hypertap0")...)
	files := map[string]newcFile{
		"dev":           {Dir: true},
		"dev/console":   {Major: 5, Minor: 1},
		"proc":          {Dir: true},
		"inner":         {Dir: true},
		"inner/bzImage": {Src: inner, Mode: 0o644},
		"inner/initrd":  {Src: innerRD, Mode: 0o644},
		"inner/disk":    {Data: diskImg, Mode: 0o644},
		"init":          {Src: bins["outerinit"], Mode: 0o755},
		"vmmrun":        {Src: bins["vmmrun"], Mode: 0o755},
		"vmmrun.args":   {Data: []byte(strings.Join(vmmArgs, "\n")), Mode: 0o644},
	}
	addModules(files, modules)
	got, vmmStart, lineAt := runOuter(t, qemu, outer, cpus, dir, files, innerLine)
	wants := []string{
		innerLine,
		"vmmrun: status=3 via the runner",
		"vmmrun exit status 3",
		"kvm: power button pressed",
		"testinit: power button pressed",
		"vmmrun: status=4 via the runner",
		"vmmrun exit status 4",
		"rx=true tx=true",
		"testinit: agent port /dev/vport",
		fmt.Sprintf("(%s) echoed %d bytes", contract.AgentPort, agentEcho),
		fmt.Sprintf("vmmrun: agent echo: %d bytes back intact", agentEcho),
	}
	if checkDisk {
		// The guest kernel itself refuses writes to a disk the device
		// says is read-only (EPERM); the device's own IOERR answer is
		// covered by the virtio package's tests.
		wants = append(wants, fmt.Sprintf("disk: %q serial=%q ro=1 write=operation not permitted", diskMarker, "hyper-artifact"))
	}
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("outer console lacks %q", want)
		}
	}
	if strings.Contains(got, "HYPER-POD-EXIT") {
		t.Errorf("the exit line reached the console: the runner's filter should take it out")
	}
	if !vmmStart.IsZero() && !lineAt.IsZero() {
		t.Logf("nested boot: vmmrun start to the inner guest's line %.1f s (host clock)", lineAt.Sub(vmmStart).Seconds())
	}
	if m := regexp.MustCompile(`first vCPU entry ([0-9.]+) ms after start; RSS (\d+) KiB, of which guest RAM (\d+) KiB \(VMM (\d+) KiB\)`).FindStringSubmatch(got); m != nil {
		t.Logf("VMM start to first vCPU entry %s ms (under TCG); host RSS %s KiB, guest RAM %s KiB, VMM beyond guest RAM %s KiB", m[1], m[2], m[3], m[4])
	}
}

// nestedKernel finds a kernel that can be a KVM host: $HYPER_NESTED_KERNEL
// or the cached hyperkernel (KVM and tun built in), else Debian's cloud
// kernel and its modules.
func nestedKernel(t *testing.T) (kernel string, modules []string) {
	if k := os.Getenv("HYPER_NESTED_KERNEL"); k != "" {
		if _, err := os.Stat(k); err != nil {
			t.Skipf("HYPER_NESTED_KERNEL: %v", err)
		}
		return k, nil
	}
	if k, err := kernelcfg.Cached(); err == nil {
		return k.Path, nil
	}
	ks, _ := filepath.Glob("/boot/vmlinuz-*-cloud-amd64")
	if len(ks) == 0 {
		t.Skip("no kernel with KVM: set HYPER_NESTED_KERNEL to a bzImage with KVM built in, or install linux-image-cloud-amd64")
	}
	kernel = ks[len(ks)-1]
	ver := strings.TrimPrefix(filepath.Base(kernel), "vmlinuz-")
	base := filepath.Join("/lib/modules", ver, "kernel")
	for _, m := range []string{"virt/lib/irqbypass.ko", "arch/x86/kvm/kvm.ko", "arch/x86/kvm/kvm-amd.ko", "drivers/net/tun.ko"} {
		p := filepath.Join(base, m)
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s has no uncompressed %s: %v", kernel, m, err)
		}
		modules = append(modules, p)
	}
	if f, err := os.Open(kernel); err != nil {
		t.Skipf("cannot read %s: %v", kernel, err)
	} else {
		f.Close()
	}
	return kernel, modules
}

// buildStatic builds this package's helper commands as static binaries.
func buildStatic(t *testing.T, dir string, names ...string) map[string]string {
	t.Helper()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out := map[string]string{}
	for _, n := range names {
		bin := filepath.Join(dir, n)
		cmd := exec.Command(gobin, "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./internal/"+n)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", n, err, b)
		}
		out[n] = bin
	}
	return out
}

func writeArchive(t *testing.T, path string, files map[string]newcFile) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	if err := writeNewc(bw, files); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// addModules puts kernel modules under /modules with the order to load
// them in.
func addModules(files map[string]newcFile, modules []string) {
	if len(modules) == 0 {
		return
	}
	files["modules"] = newcFile{Dir: true}
	var order []string
	for _, m := range modules {
		files["modules/"+filepath.Base(m)] = newcFile{Src: m, Mode: 0o644}
		order = append(order, filepath.Base(m))
	}
	files["modules/order"] = newcFile{Data: []byte(strings.Join(order, "\n")), Mode: 0o644}
}

// guestModules are, for a Debian kernel, the virtio-mmio, virtio-blk,
// virtio-net and virtio-console drivers (the disk, the NIC, the agent
// port) and the ACPI button driver and evdev (the graceful stop arrives
// as KEY_POWER), in load order; none for a kernel that has them built
// in, like the hyperkernel.
func guestModules(kernel string) []string {
	ver := strings.TrimPrefix(filepath.Base(kernel), "vmlinuz-")
	var mods []string
	for _, m := range []string{
		"drivers/virtio/virtio_ring.ko", "drivers/virtio/virtio.ko", "drivers/virtio/virtio_mmio.ko",
		"drivers/block/virtio_blk.ko", "net/core/failover.ko", "drivers/net/net_failover.ko",
		"drivers/net/virtio_net.ko", "drivers/char/virtio_console.ko", "drivers/acpi/button.ko", "drivers/input/evdev.ko",
	} {
		p := filepath.Join("/lib/modules", ver, "kernel", m)
		if _, err := os.Stat(p); err == nil {
			mods = append(mods, p)
		}
	}
	return mods
}
