package kvm

import (
	"github.com/hyperbuild/hyper/runner/kvm/boot"
	"github.com/hyperbuild/hyper/runner/kvm/virtio"
)

// addAgent puts con, the virtio-console device whose port 1 is the agent
// channel, on the virtio-mmio bus. Run serves it while the VM runs; the
// caller keeps con to open the host's end.
func (m *machine) addAgent(con *virtio.Console) boot.MMIODevice {
	d := m.nextMMIO()
	m.agent = con
	m.agentMMIO = virtio.NewMMIO(con, m.gmem, irqFunc(m.irq), d.IRQ)
	m.virtio = append(m.virtio, m.agentMMIO)
	return d
}
