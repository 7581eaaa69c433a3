package qemu

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/runner"
)

// Machine types.
const (
	Microvm = "microvm"
	Q35     = "q35"
	PC      = "pc"
)

// Accelerators.
const (
	AccelKVM = "kvm"
	AccelTCG = "tcg"
)

// Guest network settings under QEMU's user-mode networking (slirp's fixed
// addresses).
const (
	UserIP      = "10.0.2.15/24"
	UserGateway = "10.0.2.2"
	UserDNS     = "10.0.2.3"
)

// config is one QEMU invocation: the boot plus the backend's choices.
type config struct {
	Machine string
	Accel   string
	TSCkHz  int64  // host TSC frequency; added as tsc_early_khz on microvm under TCG
	QMP     string // QMP socket path; empty: none
	Agent   string // the agent port's socket path; empty: no agent port
	Boot    runner.Boot
}

// args builds QEMU's command line (without the program name).
func args(c config) ([]string, error) {
	b := c.Boot
	mode, tap, err := runner.ParseNet(b.Net)
	if err != nil {
		return nil, err
	}
	if len(b.Ports) > 0 && mode != runner.NetUser {
		return nil, fmt.Errorf("publishing ports needs --net user, not %q: %w", b.Net, runner.ErrUnsupported)
	}
	machine := c.Machine
	var blk, netdev, serial string
	switch machine {
	case Microvm:
		blk, netdev, serial = "virtio-blk-device", "virtio-net-device", "virtio-serial-device"
	case Q35, PC:
		blk, netdev, serial = "virtio-blk-pci", "virtio-net-pci,romfile=", "virtio-serial-pci"
	default:
		return nil, fmt.Errorf("machine type %q: %w (want %s, %s or %s)", machine, runner.ErrUnsupported, Microvm, Q35, PC)
	}
	a := []string{
		"-nodefaults", "-no-user-config", "-display", "none",
		"-machine", machine,
	}
	switch c.Accel {
	case AccelKVM:
		a = append(a, "-accel", "kvm", "-cpu", "host")
	case AccelTCG:
		a = append(a, "-accel", "tcg", "-cpu", "max")
	default:
		return nil, fmt.Errorf("accelerator %q: %w (want kvm or tcg)", c.Accel, runner.ErrUnsupported)
	}
	cpus := max(b.CPUs, 1)
	mem := b.MemoryMiB
	if mem <= 0 {
		mem = runner.DefaultMemoryMiB
	}
	a = append(a,
		"-smp", strconv.Itoa(cpus),
		"-m", strconv.FormatInt(mem, 10),
		"-no-reboot",
		"-chardev", "stdio,id=console,signal=off",
		"-serial", "chardev:console",
		"-device", fmt.Sprintf("isa-debug-exit,iobase=%#x,iosize=0x04", contract.ExitPort),
		"-kernel", b.Kernel,
		"-append", cmdline(c, mode),
	)
	if b.Initrd != "" {
		a = append(a, "-initrd", b.Initrd)
	}
	if b.Disk != "" {
		a = append(a,
			"-drive", "file="+escapeOpt(b.Disk)+",format=raw,if=none,id=pod,readonly=on",
			"-device", blk+",drive=pod")
	}
	a = append(a, dataDiskArgs(blk, b.DataDisks)...)
	a = append(a, shareArgs(machine, b.Shares)...)
	switch mode {
	case runner.NetUser:
		nd, err := userNetdev(b.Ports)
		if err != nil {
			return nil, err
		}
		a = append(a, "-netdev", nd, "-device", netdev+",netdev=net0")
	case runner.NetTap:
		a = append(a, "-netdev", "tap,id=net0,ifname="+escapeOpt(tap)+",script=no,downscript=no", "-device", netdev+",netdev=net0")
	}
	if c.Agent != "" {
		// The agent's channel: a virtio-serial port the guest finds by
		// its name, on a unix socket QEMU listens on without waiting; the
		// guest's writes block until the host connects, the host's wait
		// in the socket until the guest opens the port.
		a = append(a,
			"-device", serial,
			"-chardev", "socket,id=agent,path="+escapeOpt(c.Agent)+",server=on,wait=off",
			"-device", "virtserialport,chardev=agent,name="+contract.AgentPort)
	}
	if c.QMP != "" {
		a = append(a, "-qmp", "unix:"+escapeOpt(c.QMP)+",server=on,wait=off")
	}
	return a, nil
}

// cmdline is the boot's command line plus what this machine needs.
func cmdline(c config, netMode string) string {
	parts := []string{}
	if s := strings.TrimSpace(c.Boot.Cmdline); s != "" {
		parts = append(parts, s)
	}
	if !hasParam(c.Boot.Cmdline, "console") {
		parts = append(parts, "console=ttyS0")
	}
	if netMode == runner.NetUser {
		for _, kv := range [][2]string{{contract.CmdlineIP, UserIP}, {contract.CmdlineGateway, UserGateway}, {contract.CmdlineDNS, UserDNS}} {
			if !hasParam(c.Boot.Cmdline, kv[0]) {
				parts = append(parts, kv[0]+"="+kv[1])
			}
		}
	}
	if c.Machine == Microvm {
		if c.Accel == AccelTCG && c.TSCkHz > 0 && !hasParam(c.Boot.Cmdline, "tsc_early_khz") {
			parts = append(parts, "tsc_early_khz="+strconv.FormatInt(c.TSCkHz, 10))
		}
		// microvm has no PCI: without this the kernel probes for it.
		if !hasParam(c.Boot.Cmdline, "pci") {
			parts = append(parts, "pci=off")
		}
		// Reset by triple fault, which -no-reboot always turns into an
		// exit: the kernel's default sequence (ACPI, keyboard controller,
		// ...) on a busy TCG host sometimes rebooted the guest anyway or
		// spun after "reboot: Restarting system".
		if !hasParam(c.Boot.Cmdline, "reboot") {
			parts = append(parts, "reboot=t")
		}
	}
	return strings.Join(parts, " ")
}

// hasParam reports whether the command line sets key (as key or key=...).
func hasParam(cmdline, key string) bool {
	for _, f := range strings.Fields(cmdline) {
		if f == key || strings.HasPrefix(f, key+"=") {
			return true
		}
	}
	return false
}

// userNetdev is slirp with one hostfwd per published port, each on its
// host address (contract.DefaultPortAddress, this host only, when the
// port names none).
func userNetdev(ports []contract.Port) (string, error) {
	if err := checkPorts(ports); err != nil {
		return "", err
	}
	s := "user,id=net0"
	for _, p := range ports {
		s += fmt.Sprintf(",hostfwd=%s:%s:%d-:%d", protocol(p), p.ListenAddress(), p.Host, p.Guest)
	}
	return s, nil
}

func protocol(p contract.Port) string {
	if p.Protocol == "" {
		return "tcp"
	}
	return strings.ToLower(p.Protocol)
}

// checkPorts refuses what slirp cannot forward.
func checkPorts(ports []contract.Port) error {
	for _, p := range ports {
		if proto := protocol(p); proto != "tcp" && proto != "udp" {
			return fmt.Errorf("port %d/%s: %w (tcp or udp)", p.Guest, p.Protocol, runner.ErrUnsupported)
		}
		if p.Host < 1 || p.Host > 65535 || p.Guest < 1 || p.Guest > 65535 {
			return fmt.Errorf("port %d:%d: out of range 1..65535", p.Host, p.Guest)
		}
		ip, err := netip.ParseAddr(p.ListenAddress())
		if err != nil {
			return fmt.Errorf("port %s: host address %q: %w", p, p.Address, err)
		}
		if !ip.Is4() {
			return fmt.Errorf("port %s: %w: QEMU's user networking (slirp) listens on IPv4 host addresses only; use 127.0.0.1 or 0.0.0.0", p, runner.ErrUnsupported)
		}
	}
	return nil
}

// escapeOpt doubles commas, QEMU's escape inside an option value.
func escapeOpt(s string) string {
	return strings.ReplaceAll(s, ",", ",,")
}
