package usernet

import (
	"io"
	"testing"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// frame is a transmitted frame as the device hands it over: header,
// Ethernet header (dst, src, type), payload.
func frame(dst, src [6]byte, typ uint16, payload []byte) []byte {
	f := make([]byte, HdrLen, HdrLen+header.EthernetMinimumSize+len(payload))
	f = append(f, dst[:]...)
	f = append(f, src[:]...)
	f = append(f, byte(typ>>8), byte(typ))
	return append(f, payload...)
}

var broadcast = [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// TestNICDrops: what the guest must not send is dropped before the
// netstack sees it, and counted.
func TestNICDrops(t *testing.T) {
	n := newNet(t)
	nic := n.NIC()
	other := [6]byte{2, 0, 0, 0, 0, 0x99}
	arpPayload := make([]byte, 28)
	for _, tt := range []struct {
		name string
		p    []byte
		drop bool
	}{
		{"empty", nil, true},
		{"header only", make([]byte, HdrLen), true},
		{"short ethernet header", frame(GatewayMAC, guestMAC, 0x0800, nil)[:HdrLen+13], true},
		{"longer than any frame", frame(GatewayMAC, guestMAC, 0x0800, make([]byte, 65535+5)), true},
		{"forged source", frame(GatewayMAC, other, 0x0806, arpPayload), true},
		{"to another host", frame(other, guestMAC, 0x0800, make([]byte, 20)), true},
		{"multicast", frame([6]byte{0x33, 0x33, 0, 0, 0, 1}, guestMAC, 0x86dd, make([]byte, 40)), true},
		{"to the gateway", frame(GatewayMAC, guestMAC, 0x0800, make([]byte, 20)), false},
		{"broadcast", frame(broadcast, guestMAC, 0x0806, arpPayload), false},
		{"longest frame (TSO)", frame(GatewayMAC, guestMAC, 0x0800, make([]byte, 65535+4)), false},
	} {
		before := nic.TxDropped.Load()
		k, err := nic.Write(tt.p)
		if err != nil || k != len(tt.p) {
			t.Errorf("%s: Write = %d, %v; want %d, nil", tt.name, k, err, len(tt.p))
		}
		if dropped := nic.TxDropped.Load() > before; dropped != tt.drop {
			t.Errorf("%s: dropped %v, want %v", tt.name, dropped, tt.drop)
		}
	}
}

// TestNICRx: frames for the guest carry a zero header; frames for another
// address are not delivered; a full queue drops rather than blocks; Close
// ends a Read with EOF.
func TestNICRx(t *testing.T) {
	nic := newNIC(guestMAC, GatewayMAC)
	send := func(dst [6]byte) {
		eth := make([]byte, header.EthernetMinimumSize+20)
		copy(eth, dst[:])
		copy(eth[6:], GatewayMAC[:])
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(eth)})
		defer pkt.DecRef()
		nic.DeliverNetworkPacket(0, pkt)
	}
	send(guestMAC)
	send([6]byte{2, 0, 0, 0, 0, 0x99})
	buf := make([]byte, HdrLen+MaxFrame)
	k, err := nic.Read(buf)
	if err != nil || k != HdrLen+header.EthernetMinimumSize+20 {
		t.Fatalf("Read = %d, %v", k, err)
	}
	for i, b := range buf[:HdrLen] {
		if b != 0 {
			t.Errorf("header byte %d = %#x", i, b)
		}
	}
	if got := tcpip.LinkAddress(buf[HdrLen : HdrLen+6]); got != tcpip.LinkAddress(guestMAC[:]) {
		t.Errorf("delivered a frame for %v", got)
	}
	if nic.RxDropped.Load() != 1 {
		t.Errorf("RxDropped = %d, want 1 (the frame for another host)", nic.RxDropped.Load())
	}
	for range rxQueue + 1 {
		send(broadcast) // the last waits rxWait, then is dropped
	}
	if nic.RxDropped.Load() != 2 {
		t.Errorf("RxDropped = %d after overfilling, want 2", nic.RxDropped.Load())
	}
	nic.Close()
	for {
		if _, err := nic.Read(buf); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("Read after Close = %v, want EOF", err)
		}
	}
}

// FuzzNICWrite: whatever the guest transmits, the NIC and the netstack
// behind it neither panic nor hang. Half the inputs get a valid
// Ethernet header, so that the netstack parses the rest (ARP, IPv4, TCP,
// UDP, ICMP as the guest makes them up).
func FuzzNICWrite(f *testing.F) {
	f.Add(false, uint16(0x0800), []byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 2, 15, 10, 0, 2, 2})
	f.Add(true, uint16(0x0806), make([]byte, 28))
	f.Add(false, uint16(0x0800), []byte{0x45, 0, 0, 28, 0, 0, 0x20, 0, 64, 17, 0, 0, 10, 0, 2, 15, 10, 0, 2, 3, 0, 53, 0, 53, 0, 8, 0, 0})
	f.Add(false, uint16(0), []byte{})
	n, err := New(Config{MAC: guestMAC})
	if err != nil {
		f.Fatal(err)
	}
	defer n.Close()
	nic := n.NIC()
	go io.Copy(io.Discard, nic) // the guest takes what it is sent
	f.Fuzz(func(t *testing.T, raw bool, typ uint16, payload []byte) {
		p := payload
		if !raw {
			dst := GatewayMAC
			if typ&1 == 1 {
				dst = broadcast
			}
			p = frame(dst, guestMAC, typ, payload)
		}
		if k, err := nic.Write(p); k != len(p) || err != nil {
			t.Fatalf("Write = %d, %v", k, err)
		}
	})
}
