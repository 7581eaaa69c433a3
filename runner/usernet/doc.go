// Package usernet is the rootless user-mode network of the kvm backend:
// gvisor-tap-vsock's gateway (gVisor's netstack, its NAT forwarders and
// DNS server) in the VMM's own process, behind the VM's virtio-net device.
// No daemon, no tap device, no root.
//
// The guest sees the same network as under QEMU's slirp, so that one
// address model serves both backends and the runner gives the guest the
// same static set-up on its command line:
//
//	10.0.2.15/24  the guest (GuestIP; hyper.ip)
//	10.0.2.2      the gateway (Gateway; hyper.gw): outbound TCP and UDP
//	              to any address are made by this process on the host
//	10.0.2.3      DNS (DNS; hyper.dns), answered with the host's
//	              resolvers (Go's resolver: /etc/hosts, resolv.conf)
//
// Published ports (contract.Port) are host listeners this package opens
// in New, before the guest boots, so a busy port is an error then; each
// connection (TCP) or client (UDP) is relayed to the guest's port through
// the netstack. Close releases them.
//
// The guest is not trusted: every frame it sends is bounded (Ethernet
// header to a 64 KiB TSO segment), must come from its own MAC address and go
// to the gateway or to broadcast, or it is dropped. Frames towards the
// guest queue up to a bound (rxQueue) and are dropped after a short wait
// when a guest stops taking them, as a wire would.
//
//	net, err := usernet.New(usernet.Config{MAC: mac, Ports: ports})
//	nic := virtio.NewNet(net.NIC(), mac) // frames with virtio-net headers
//	defer net.Close()
package usernet
