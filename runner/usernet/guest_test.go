package usernet

import (
	"context"
	"testing"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// guestMAC is the fake guest's address.
var guestMAC = [6]byte{0x02, 0, 0, 0, 0, 0x15}

// fakeGuest is a second netstack standing in for the guest's kernel: its
// Ethernet frames go through the NIC exactly as virtio.Net moves them
// (Write and Read, virtio-net header in front), at GuestIP, with the
// gateway as its default route.
func fakeGuest(t *testing.T, nic *NIC) *stack.Stack {
	t.Helper()
	ep := channel.New(512, MTU+header.EthernetMinimumSize, tcpip.LinkAddress(guestMAC[:]))
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol},
	})
	if e := s.CreateNIC(1, ethernet.New(ep)); e != nil {
		t.Fatalf("guest NIC: %s", e)
	}
	pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: addr(GuestIP), PrefixLen: 24}}
	if e := s.AddProtocolAddress(1, pa, stack.AddressProperties{}); e != nil {
		t.Fatalf("guest address: %s", e)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: header.IPv4EmptySubnet, Gateway: addr(Gateway), NIC: 1}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { // guest -> gateway: the transmit queue
		defer func() { done <- struct{}{} }()
		for {
			pkt := ep.ReadContext(ctx)
			if pkt == nil {
				return
			}
			v := pkt.ToView()
			frame := append(make([]byte, HdrLen), v.AsSlice()...)
			v.Release()
			pkt.DecRef()
			nic.Write(frame)
		}
	}()
	go func() { // gateway -> guest: the receive queue
		defer func() { done <- struct{}{} }()
		buf := make([]byte, HdrLen+MaxFrame)
		for {
			k, err := nic.Read(buf)
			if err != nil {
				return
			}
			pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(buf[HdrLen:k])})
			ep.InjectInbound(0, pkt)
			pkt.DecRef()
		}
	}()
	t.Cleanup(func() {
		cancel()
		nic.Close()
		<-done
		<-done
		s.Close()
		s.Wait()
	})
	return s
}
