package usernet

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
)

// ErrStream: the peer of a stream sent a frame length no frame has.
var ErrStream = errors.New("bad frame length on the stream")

// ServeStream connects the guest's NIC to a byte stream that carries
// frames as QEMU's -netdev stream (and socket) does: each frame after a
// 4-byte big-endian length, no virtio-net header. It returns when either
// side ends: the stream's EOF or error (closing the NIC), or the NIC's
// Close (closing conn). A length outside 14 to MaxFrame ends it with
// ErrStream: the peer is then not speaking this protocol.
func (n *Network) ServeStream(conn net.Conn) error {
	defer conn.Close()
	done := make(chan struct{})
	go func() { // the guest's frames: NIC reads, the stream carries them out
		defer close(done)
		defer conn.Close() // ends the loop below when the NIC closes
		buf := make([]byte, HdrLen+MaxFrame)
		out := make([]byte, 4+MaxFrame)
		for {
			k, err := n.nic.Read(buf)
			if err != nil {
				return
			}
			f := buf[HdrLen:k]
			binary.BigEndian.PutUint32(out, uint32(len(f)))
			copy(out[4:], f)
			if _, err := conn.Write(out[:4+len(f)]); err != nil {
				return
			}
		}
	}()
	err := n.readStream(bufio.NewReaderSize(conn, 64<<10))
	n.nic.Close()
	<-done
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// readStream hands each frame of r to the NIC, as the guest's.
func (n *Network) readStream(r io.Reader) error {
	frame := make([]byte, HdrLen+MaxFrame)
	var size [4]byte
	for {
		if _, err := io.ReadFull(r, size[:]); err != nil {
			return err
		}
		k := binary.BigEndian.Uint32(size[:])
		if k < 14 || k > MaxFrame {
			return fmt.Errorf("%w: %d bytes (14 to %d)", ErrStream, k, MaxFrame)
		}
		if _, err := io.ReadFull(r, frame[HdrLen:HdrLen+k]); err != nil {
			return err
		}
		n.nic.Write(frame[:HdrLen+k])
	}
}
