package kvm

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/runner"
	"github.com/hyperbuild/hyper/runner/kvm/boot"
	"github.com/hyperbuild/hyper/runner/kvm/virtio"
	"github.com/hyperbuild/hyper/runner/usernet"
)

// addUserNet attaches a virtio-net device whose frames go to and come
// from the user-mode network's NIC (usernet), with the guest address mac.
func (m *machine) addUserNet(nic io.ReadWriteCloser, mac [6]byte) (boot.MMIODevice, error) {
	m.tap = nic
	m.nic = virtio.NewNet(nic, mac)
	if err := m.nic.SetMTU(usernet.MTU); err != nil {
		return boot.MMIODevice{}, fmt.Errorf("user network: %w", err)
	}
	m.nic.OfferTSO() // usernet takes frames up to usernet.MaxTxFrame
	d := m.nextMMIO()
	m.nicMMIO = virtio.NewMMIO(m.nic, m.gmem, irqFunc(m.irq), d.IRQ)
	m.virtio = append(m.virtio, m.nicMMIO)
	return d, nil
}

// randomMAC is a unicast, locally administered address.
func randomMAC() [6]byte {
	var mac [6]byte
	rand.Read(mac[:])
	mac[0] = mac[0]&^1 | 2
	return mac
}

// userNetCmdline adds the user network's static set-up (usernet's
// addresses, the same as QEMU's slirp gives) to cmdline, leaving any the
// user or the pod file set.
func userNetCmdline(cmdline string) string {
	parts := strings.Fields(cmdline)
	for _, kv := range [][2]string{
		{contract.CmdlineIP, usernet.GuestIP},
		{contract.CmdlineGateway, usernet.Gateway},
		{contract.CmdlineDNS, usernet.DNS},
	} {
		if !hasParam(parts, kv[0]) {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, " ")
}

// hasParam reports whether the command line's fields set key (as key or
// key=...).
func hasParam(fields []string, key string) bool {
	for _, f := range fields {
		if f == key || strings.HasPrefix(f, key+"=") {
			return true
		}
	}
	return false
}

// startUserNet starts the user-mode network for cfg, publishing ports,
// and gives cfg its NIC and the guest its addresses. A port that cannot
// be published is an error wrapping runner.ErrPortBusy or
// runner.ErrPortAddress, as the runner's own check says it.
func startUserNet(cfg *Config, ports []contract.Port) (*usernet.Network, error) {
	mac := randomMAC()
	n, err := usernet.New(usernet.Config{MAC: mac, Ports: ports})
	if err != nil {
		return nil, portError(err)
	}
	cfg.UserNet, cfg.MAC = n.NIC(), mac
	cfg.Cmdline = userNetCmdline(cfg.Cmdline)
	return n, nil
}

// portError classifies a failure to publish a port as the runner does.
func portError(err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("kvm: %w: %w: another program uses it", err, runner.ErrPortBusy)
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EACCES):
		return fmt.Errorf("kvm: %w: %w", err, runner.ErrPortAddress)
	}
	return fmt.Errorf("kvm: %w", err)
}
