package main

import (
	"fmt"
	"os"
	"strings"
)

// checkDisk prints what the VMM's virtio-blk disk looks like from inside:
// the start of its first sector, its serial (GET_ID) and whether the
// kernel sees it read-only.
func checkDisk() {
	f, err := os.Open("/dev/vda")
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
	_, werr := os.OpenFile("/dev/vda", os.O_WRONLY, 0)
	fmt.Printf("disk: %q serial=%q ro=%s write-open=%v\n", strings.TrimRight(string(b), "\x00"),
		strings.TrimSpace(string(serial)), strings.TrimSpace(string(ro)), werr)
}
