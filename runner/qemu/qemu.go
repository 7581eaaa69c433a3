package qemu

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/hyperbuild/hyper/runner"
)

// Binary is the QEMU program the backend runs, looked up in PATH.
const Binary = "qemu-system-x86_64"

// ErrNoQEMU: QEMU is not installed.
var ErrNoQEMU = errors.New(Binary + " not found: install it with `apt-get install qemu-system-x86` (or `make deps`)")

// Backend boots pods with QEMU. The zero value picks everything itself.
type Backend struct {
	// Binary overrides the QEMU program (a name in PATH or a path).
	Binary string
	// Machine overrides the machine type (Microvm, Q35, PC).
	Machine string
	// Accel overrides the accelerator (AccelKVM, AccelTCG); empty: kvm when
	// runner.KVMUsable, else tcg.
	Accel string
}

func init() { runner.Register(&Backend{}) }

var _ runner.Backend = (*Backend)(nil)

// Name is "qemu".
func (*Backend) Name() string { return "qemu" }

// Available checks that QEMU is installed.
func (q *Backend) Available() error {
	_, err := q.binary()
	return err
}

func (q *Backend) binary() (string, error) {
	name := q.Binary
	if name == "" {
		name = Binary
	}
	p, err := exec.LookPath(name)
	if err != nil {
		if q.Binary == "" {
			return "", ErrNoQEMU
		}
		return "", fmt.Errorf("qemu binary %q: %w", name, err)
	}
	return p, nil
}

// Check refuses a boot whose ports QEMU cannot publish (an IPv6 host
// address, a protocol other than tcp and udp), or that publishes ports
// without user networking, before anything starts.
func (q *Backend) Check(b runner.Boot) error {
	if len(b.Ports) == 0 {
		return nil
	}
	if mode, _, err := runner.ParseNet(b.Net); err != nil {
		return err
	} else if mode != runner.NetUser {
		return fmt.Errorf("publishing ports needs --net user, not %q: %w", b.Net, runner.ErrUnsupported)
	}
	return checkPorts(b.Ports)
}

var _ runner.Checker = (*Backend)(nil)

// Environment overrides for the zero Backend (what hyperboot uses), to
// compare machine types or force software emulation without a rebuild.
const (
	EnvMachine = "HYPERBOOT_QEMU_MACHINE" // microvm, q35 or pc
	EnvAccel   = "HYPERBOOT_QEMU_ACCEL"   // kvm or tcg
)

// choose fills in the machine type and accelerator.
func (q *Backend) choose() (machine, accel string, why string) {
	machine, accel = q.Machine, q.Accel
	if machine == "" {
		machine = os.Getenv(EnvMachine)
	}
	if machine == "" {
		machine = Microvm
	}
	if accel == "" {
		accel = os.Getenv(EnvAccel)
	}
	if accel == "" {
		if err := runner.KVMUsable(); err != nil {
			accel, why = AccelTCG, fmt.Sprintf("software emulation (TCG): %v", err)
		} else {
			accel, why = AccelKVM, "KVM"
		}
	}
	return machine, accel, why
}

// hostTSCkHz reads the host's TSC frequency from /proc/cpuinfo ("cpu MHz",
// the best there is without privileges); 0 when unknown.
func hostTSCkHz() int64 {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(k) == "cpu MHz" {
			mhz, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil && mhz > 0 {
				return int64(mhz * 1000)
			}
		}
	}
	return 0
}
