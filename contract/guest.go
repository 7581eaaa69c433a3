package contract

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Where things are, agreed between the builder, the runner and hyperstart.
const (
	// Path is where the contract (JSON) lives in the initramfs.
	Path = "/hyper/pod.json"
	// PodLabel is the ext4 label of the pod partition.
	PodLabel = "hyper-pod"
	// ContainersDir holds one directory per container on the pod partition.
	ContainersDir = "containers"
	// ExitPort is the I/O port hyperstart writes the pod's status byte to
	// (QEMU's isa-debug-exit, and our KVM runner's equivalent).
	ExitPort = 0xf4
)

// RootfsDir is a container's root filesystem relative to the pod
// partition's root: containers/NAME/rootfs.
func RootfsDir(container string) string {
	return path.Join(ContainersDir, container, "rootfs")
}

// Kernel command-line keys hyperstart understands.
const (
	// CmdlineDebug makes hyperstart log each step with timings.
	CmdlineDebug = "hyper.debug"
	// CmdlineIP is a static address: hyper.ip=ADDR/PREFIX.
	CmdlineIP = "hyper.ip"
	// CmdlineGateway is the default route: hyper.gw=ADDR.
	CmdlineGateway = "hyper.gw"
	// CmdlineDNS is a comma-separated list of resolvers: hyper.dns=A,B.
	CmdlineDNS = "hyper.dns"
)

// ExitLinePrefix starts the one machine-readable line hyperstart prints on
// the console when the pod ends: "HYPER-POD-EXIT status=137".
const ExitLinePrefix = "HYPER-POD-EXIT status="

// ExitLine is the final console line reporting the pod's exit status.
func ExitLine(status int) string {
	return ExitLinePrefix + strconv.Itoa(status)
}

// ParseExitLine returns the status from a console line, if it is the exit
// line (leading carriage returns and spaces are tolerated).
func ParseExitLine(line string) (int, bool) {
	line = strings.TrimSpace(line)
	i := strings.Index(line, ExitLinePrefix)
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[i+len(ExitLinePrefix):]))
	if err != nil || n < 0 || n > 255 {
		return 0, false
	}
	return n, true
}

// Validate checks what hyperstart needs before running a pod: it is the
// guest's last line of defence, the spec package gives users located
// diagnostics long before.
func (p *Pod) Validate() error {
	if p.Version != Version {
		return fmt.Errorf("contract version %d, want %d", p.Version, Version)
	}
	if len(p.Containers) == 0 {
		return fmt.Errorf("pod %q has no containers", p.Name)
	}
	seen := map[string]bool{}
	for _, c := range p.Containers {
		if c.Name == "" || strings.ContainsAny(c.Name, "/\x00") || c.Name == "." || c.Name == ".." {
			return fmt.Errorf("container name %q is not a valid directory name", c.Name)
		}
		if seen[c.Name] {
			return fmt.Errorf("container %q appears twice", c.Name)
		}
		seen[c.Name] = true
		if !c.Restart.Valid() {
			return fmt.Errorf("container %q: restart policy %q", c.Name, c.Restart)
		}
	}
	return nil
}
