package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// echoAgent finds the virtio-console port named contract.AgentPort, as
// hyperstart does, and echoes one message: a little-endian uint64 length,
// then that many bytes, sent back unchanged. The host's end is open from
// the start (the VMM opens it before the guest boots), so a read that
// returns nothing means the port is not there yet.
func echoAgent() {
	dev, err := findPort(contract.AgentPort)
	if err != nil {
		fmt.Printf("testinit: agent port: %v\n", err)
		return
	}
	f, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		fmt.Printf("testinit: agent port: %v\n", err)
		return
	}
	defer f.Close()
	var hdr [8]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		fmt.Printf("testinit: agent port %s: reading the length: %v\n", dev, err)
		return
	}
	n := binary.LittleEndian.Uint64(hdr[:])
	if n > 16<<20 {
		fmt.Printf("testinit: agent port %s: length %d\n", dev, n)
		return
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(f, msg); err != nil {
		fmt.Printf("testinit: agent port %s: reading %d bytes: %v\n", dev, n, err)
		return
	}
	if _, err := f.Write(msg); err != nil {
		fmt.Printf("testinit: agent port %s: writing: %v\n", dev, err)
		return
	}
	fmt.Printf("testinit: agent port %s (%s) echoed %d bytes\n", dev, contract.AgentPort, n)
}

// findPort returns the device node of the virtio port called name,
// waiting a while for the driver to add it.
func findPort(name string) (string, error) {
	for range 100 {
		names, _ := filepath.Glob("/sys/class/virtio-ports/*/name")
		for _, p := range names {
			b, err := os.ReadFile(p)
			if err == nil && strings.TrimSpace(string(b)) == name {
				return filepath.Join("/dev", filepath.Base(filepath.Dir(p))), nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", errors.New("no virtio port named " + name + " in /sys/class/virtio-ports")
}
