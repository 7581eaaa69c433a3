package main

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/internal/units"
	"github.com/hyperbuild/hyper/runner"
)

// bootFlags are hyperboot's flags; options checks them all, so that a
// bad command line is a usage error before anything boots.
type bootFlags struct {
	backend string
	cpus    int
	memory  string
	ports   []string
	netw    string
	trace   bool
	verbose bool
	volumes []string
}

func (f *bootFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.backend, "backend", runner.BackendAuto, "auto, kvm or qemu")
	fl.IntVar(&f.cpus, "cpus", 0, fmt.Sprintf("virtual CPUs, 1 to %d (default: the pod's)", contract.MaxCPUs))
	fl.StringVar(&f.memory, "memory", "", fmt.Sprintf("guest memory, %d MiB or more, e.g. 512MiB (default: the pod's)", contract.MinMemoryMiB))
	fl.StringArrayVarP(&f.ports, "publish", "p", nil, "publish a guest port: [IP:]HOST:GUEST[/tcp|udp]; IP defaults to "+contract.DefaultPortAddress+" (this host only), 0.0.0.0 is every interface (repeatable; the pod's ports are always published)")
	fl.StringVar(&f.netw, "net", runner.NetUser, "network: user (rootless NAT, both backends), tap:NAME (root), none")
	fl.BoolVar(&f.trace, "trace", false, "print the boot timeline (VMM start, kernel, hyperstart steps, first container)")
	fl.BoolVar(&f.verbose, "verbose", false, "say which backend runs and show its command line")
	fl.StringArrayVarP(&f.volumes, "volume", "v", nil, volumeUsage)
}

// volumeUsage is -v's help, for hyperboot IMG and run alike.
const volumeUsage = "bind a volume (repeatable): NAME=PATH, a disk volume's ext4 image (made empty if absent; default: the one hyperbuild made beside the image), or Docker's HOSTDIR:TARGET[:ro], a host volume's directory, TARGET its name or the container path it is mounted at"

// options turns the flags into the runner's Config (without the
// streams), or says which flag is wrong.
func (f *bootFlags) options(cmd *cobra.Command) (runner.Config, error) {
	opts := runner.Config{Backend: f.backend, Net: f.netw}
	if err := checkBackend(f.backend); err != nil {
		return opts, err
	}
	if _, _, err := runner.ParseNet(f.netw); err != nil {
		return opts, fmt.Errorf("--net: %w", err)
	}
	if cmd.Flags().Changed("cpus") {
		if err := contract.CheckCPUs(f.cpus); err != nil {
			return opts, fmt.Errorf("--cpus: %w", err)
		}
		opts.CPUs = f.cpus
	}
	if cmd.Flags().Changed("memory") {
		n, err := parseMemory(f.memory)
		if err != nil {
			return opts, err
		}
		opts.MemoryMiB = n
	}
	for _, p := range f.ports {
		port, err := parsePort(p)
		if err != nil {
			return opts, err
		}
		opts.Ports = append(opts.Ports, port)
	}
	for _, v := range f.volumes {
		b, err := runner.ParseVolumeBinding(v)
		if err != nil {
			return opts, err
		}
		opts.Volumes = append(opts.Volumes, b)
	}
	return opts, nil
}

// backendNames are the values --backend takes.
func backendNames() []string {
	return append([]string{runner.BackendAuto}, runner.Backends()...)
}

func checkBackend(name string) error {
	for _, n := range backendNames() {
		if name == n {
			return nil
		}
	}
	return fmt.Errorf("--backend %q: %w (want %s)", name, runner.ErrUnknownBackend, strings.Join(backendNames(), ", "))
}

// parseMemory reads --memory as whole MiB within the contract's limits.
func parseMemory(s string) (int64, error) {
	n, err := units.ParseSize(s)
	if err != nil {
		return 0, fmt.Errorf("--memory: %w", err)
	}
	if err := contract.CheckMemoryMiB(n >> 20); err != nil {
		hint := ""
		if strings.TrimLeft(strings.TrimSpace(s), "0123456789.") == "" {
			hint = " (a number without a unit is bytes: say 512MiB)"
		}
		return 0, fmt.Errorf("--memory %s: %w%s", s, err, hint)
	}
	return n >> 20, nil
}

// parsePort reads -p as Docker does: [IP:]HOST:GUEST[/tcp|udp], an IPv6
// address in brackets ([::1]:8080:80). Without an IP the port listens on
// contract.DefaultPortAddress (this host only).
func parsePort(s string) (contract.Port, error) {
	const form = "want [IP:]HOST:GUEST[/tcp|udp], e.g. 8080:80, 0.0.0.0:8080:80 or [::1]:8080:80"
	spec, proto, hasProto := strings.Cut(s, "/")
	proto = strings.ToLower(proto)
	if !hasProto {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		return contract.Port{}, fmt.Errorf("-p %s: protocol %q, want tcp or udp", s, proto)
	}
	var addr string
	hasAddr := false
	if strings.HasPrefix(spec, "[") {
		a, rest, ok := strings.Cut(spec[1:], "]:")
		if !ok {
			return contract.Port{}, fmt.Errorf("-p %s: %s", s, form)
		}
		addr, spec, hasAddr = a, rest, true
	} else if parts := strings.Split(spec, ":"); len(parts) == 3 {
		addr, spec, hasAddr = parts[0], parts[1]+":"+parts[2], true
	} else if len(parts) > 3 {
		return contract.Port{}, fmt.Errorf("-p %s: write an IPv6 address in brackets: [%s]:HOST:GUEST", s, strings.Join(parts[:len(parts)-2], ":"))
	}
	h, g, ok := strings.Cut(spec, ":")
	if !ok {
		return contract.Port{}, fmt.Errorf("-p %s: %s", s, form)
	}
	host, err1 := strconv.Atoi(h)
	guest, err2 := strconv.Atoi(g)
	if err1 != nil || err2 != nil || host < 1 || host > 65535 || guest < 1 || guest > 65535 {
		return contract.Port{}, fmt.Errorf("-p %s: ports must be numbers in 1..65535", s)
	}
	p := contract.Port{Host: host, Guest: guest, Protocol: proto}
	if hasAddr {
		if addr == "" {
			return contract.Port{}, fmt.Errorf("-p %s: empty address: %s", s, form)
		}
		ip, err := netip.ParseAddr(addr)
		if err != nil || ip.Zone() != "" {
			return contract.Port{}, fmt.Errorf("-p %s: %q is not an IP address: write one such as 127.0.0.1, 0.0.0.0 (every interface) or [::1]", s, addr)
		}
		p.Address = ip.String()
	}
	return p, nil
}
