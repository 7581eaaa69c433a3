package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// checkDisk prints what the VMM's virtio-blk disk looks like from inside:
// the start of its first sector, its serial (GET_ID) and whether the
// kernel sees it read-only.
func checkDisk() {
	var f *os.File
	var err error
	for range 50 { // the driver may still be probing
		if f, err = os.Open("/dev/vda"); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		fmt.Printf("disk: %v\n", err)
		return
	}
	defer f.Close()
	b := make([]byte, 32)
	if _, err := f.ReadAt(b, 0); err != nil {
		fmt.Printf("disk: reading: %v\n", err)
		return
	}
	serial, _ := os.ReadFile("/sys/block/vda/serial")
	ro, _ := os.ReadFile("/sys/block/vda/ro")
	fmt.Printf("disk: %q serial=%q ro=%s write=%v\n", strings.TrimRight(string(b), "\x00"),
		strings.TrimSpace(string(serial)), strings.TrimSpace(string(ro)), directWrite("/dev/vda"))
}

// directWrite tries to write one sector past the page cache. Linux
// refuses it (EPERM) because the device offers VIRTIO_BLK_F_RO; were the
// request sent, the VMM would answer VIRTIO_BLK_S_IOERR.
func directWrite(dev string) error {
	fd, err := unix.Open(dev, unix.O_WRONLY|unix.O_DIRECT|unix.O_SYNC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	buf, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return err
	}
	defer unix.Munmap(buf)
	_, err = unix.Pwrite(fd, buf[:512], 0)
	return err
}
