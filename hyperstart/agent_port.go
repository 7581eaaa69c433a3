package hyperstart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// Where the agent's port shows up in the guest.
const (
	virtioPortsDir   = "/sys/class/virtio-ports"
	virtioConsoleDrv = "/sys/bus/virtio/drivers/virtio_console"
)

// How long the agent looks for its port: a virtio-serial device names
// its ports through control messages the kernel may handle after init
// has started.
const (
	agentPortWait = 5 * time.Second
	agentPortPoll = 20 * time.Millisecond
	// hostPoll is how often the agent looks for the host while nobody
	// is connected to the port (the driver offers no event to wait on
	// but SIGIO).
	hostPoll = 100 * time.Millisecond
)

// errNoAgentPort means the VM has no port named contract.AgentPort: the
// pod runs without an agent, as it did before there was one.
var errNoAgentPort = errors.New("no agent port (" + contract.AgentPort + ")")

// findAgentPort returns the device node of the virtio-serial port named
// contract.AgentPort, creating the node under devDir from sysfs when
// devtmpfs has not made it.
func findAgentPort(sysDir, devDir string) (string, error) {
	entries, err := os.ReadDir(sysDir)
	if err != nil {
		return "", errNoAgentPort
	}
	for _, e := range entries {
		name, err := os.ReadFile(filepath.Join(sysDir, e.Name(), "name"))
		if err != nil || strings.TrimSpace(string(name)) != contract.AgentPort {
			continue
		}
		dev := filepath.Join(devDir, e.Name())
		if _, err := os.Stat(dev); err == nil {
			return dev, nil
		}
		mm, err := os.ReadFile(filepath.Join(sysDir, e.Name(), "dev"))
		if err != nil {
			return "", fmt.Errorf("agent port %s: %w", e.Name(), err)
		}
		major, minor, err := parseDevNumber(string(mm))
		if err != nil {
			return "", fmt.Errorf("agent port %s: %w", e.Name(), err)
		}
		if err := (Dev{Path: dev, Mode: unix.S_IFCHR | 0o600, Major: major, Minor: minor}).Do(); err != nil {
			return "", fmt.Errorf("agent port %s: %w", e.Name(), err)
		}
		return dev, nil
	}
	return "", errNoAgentPort
}

// parseDevNumber parses sysfs's "MAJOR:MINOR\n".
func parseDevNumber(s string) (uint32, uint32, error) {
	maj, min, ok := strings.Cut(strings.TrimSpace(s), ":")
	a, err1 := strconv.ParseUint(maj, 10, 32)
	b, err2 := strconv.ParseUint(min, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("device number %q: want MAJOR:MINOR", strings.TrimSpace(s))
	}
	return uint32(a), uint32(b), nil
}

// waitAgentPort looks for the agent's port until it appears or wait has
// passed; at once when no virtio console device is bound at all.
func waitAgentPort(wait time.Duration) (string, error) {
	deadline := time.Now().Add(wait)
	for {
		dev, err := findAgentPort(virtioPortsDir, "/dev")
		if err == nil || !errors.Is(err, errNoAgentPort) {
			return dev, err
		}
		if bound, _ := filepath.Glob(filepath.Join(virtioConsoleDrv, "virtio*")); len(bound) == 0 || time.Now().After(deadline) {
			return "", err
		}
		time.Sleep(agentPortPoll)
	}
}

// runAgent serves the host on the agent port for the rest of the VM's
// life: a session per host connection, waiting for the host in between.
// Without the port it logs that (debug) and returns: the pod runs as it
// would without an agent.
func runAgent(a *Agent) {
	dev, err := waitAgentPort(agentPortWait)
	if err != nil {
		a.Log.Debugf("agent: %v: the pod runs without one", err)
		return
	}
	a.Log.Debugf("agent: serving on %s", dev)
	for {
		f, err := os.OpenFile(dev, os.O_RDWR, 0)
		if err != nil {
			a.Log.Printf("agent: opening %s: %v", dev, err)
			time.Sleep(time.Second)
			continue
		}
		waitHost(f)
		err = a.Serve(f)
		f.Close()
		a.Log.Debugf("agent: session ended: %v", err)
	}
}

// waitHost returns once the host has the port open. While it has not,
// the driver reports POLLHUP (and reads return EOF at once).
func waitHost(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	for {
		hup := false
		rc.Control(func(fd uintptr) {
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN | unix.POLLOUT}}
			if n, err := unix.Poll(fds, 0); err == nil && n > 0 {
				hup = fds[0].Revents&unix.POLLHUP != 0
			}
		})
		if !hup {
			return
		}
		time.Sleep(hostPoll)
	}
}
