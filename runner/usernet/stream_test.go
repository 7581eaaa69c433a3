package usernet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestServeStream: a frame from the stream reaches the gateway (an ARP
// request for it, answered), the answer comes back length-prefixed
// without a header, and a bad length ends the stream with ErrStream.
func TestServeStream(t *testing.T) {
	n := newNet(t)
	host, peer := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- n.ServeStream(host) }()

	arp := []byte{0, 1, 8, 0, 6, 4, 0, 1}
	arp = append(arp, guestMAC[:]...)
	arp = append(arp, 10, 0, 2, 15)
	arp = append(arp, 0, 0, 0, 0, 0, 0)
	arp = append(arp, 10, 0, 2, 2)
	f := frame(broadcast, guestMAC, 0x0806, arp)[HdrLen:]
	var msg []byte
	msg = binary.BigEndian.AppendUint32(msg, uint32(len(f)))
	msg = append(msg, f...)
	peer.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := peer.Write(msg); err != nil {
		t.Fatal(err)
	}
	var size [4]byte
	if _, err := io.ReadFull(peer, size[:]); err != nil {
		t.Fatalf("no answer: %v", err)
	}
	reply := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(peer, reply); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(reply[:6], guestMAC[:]) || !bytes.Equal(reply[6:12], GatewayMAC[:]) || reply[12] != 8 || reply[13] != 6 {
		t.Errorf("reply % x, want an ARP reply from the gateway to the guest", reply[:14])
	}
	if _, err := peer.Write([]byte{0, 1, 0, 0}); err != nil { // 64 KiB: longer than any frame
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrStream) {
			t.Errorf("ServeStream = %v, want ErrStream", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeStream did not end on a bad length")
	}
}

// FuzzStream: whatever the peer of the stream sends, the reader neither
// panics nor reads past what a frame may be.
func FuzzStream(f *testing.F) {
	f.Add([]byte{0, 0, 0, 14, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 0x15, 8, 6})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 0})
	n, err := New(Config{MAC: guestMAC})
	if err != nil {
		f.Fatal(err)
	}
	defer n.Close()
	go io.Copy(io.Discard, n.NIC())
	f.Fuzz(func(t *testing.T, b []byte) {
		err := n.readStream(bytes.NewReader(b))
		if err == nil {
			t.Fatal("readStream ended without an error")
		}
	})
}
