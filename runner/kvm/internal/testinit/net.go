package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hyperbuild/hyper/runner/kvm/internal/packet"
)

// checkNet brings eth0 (the VMM's virtio-net NIC) up and reports its
// address and whether it has both sent frames (its own broadcasts) and
// received some (the outer init's, through the tap), within 15 s.
func checkNet() {
	var mac []byte
	var err error
	for range 50 {
		if mac, err = os.ReadFile("/sys/class/net/eth0/address"); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		fmt.Printf("net: no eth0: %v\n", err)
		return
	}
	if err := up("eth0"); err != nil {
		fmt.Printf("net: eth0 up: %v\n", err)
	}
	var rx, tx int
	for i := range 150 {
		if i%10 == 0 {
			packet.SendBroadcast("eth0")
		}
		rx, tx = counter("rx_packets"), counter("tx_packets")
		if rx > 0 && tx > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Printf("net: eth0 mac=%s rx=%v tx=%v\n", strings.TrimSpace(string(mac)), rx > 0, tx > 0)
}

func counter(name string) int {
	b, _ := os.ReadFile("/sys/class/net/eth0/statistics/" + name)
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func up(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
