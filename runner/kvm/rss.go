package kvm

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// processRSS is VmRSS from /proc/self/status, in bytes (0 if unknown).
func processRSS() int64 { return statusKiB("VmRSS:") << 10 }

// fileRSS is RssFile plus RssShmem, the resident pages mapped from files
// (the VMM's own binary, mostly; from an initramfs, as in the nested
// tests, those count as shmem), in bytes: what the VMM costs beyond
// guest RAM splits into these and its anonymous memory (Go's heap and
// stacks).
func fileRSS() int64 { return (statusKiB("RssFile:") + statusKiB("RssShmem:")) << 10 }

// statusKiB is a field of /proc/self/status in KiB (0 if unknown).
func statusKiB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb
			}
		}
	}
	return 0
}

// resident is how many bytes of mem are in RAM (mincore).
func resident(mem []byte) int64 {
	if len(mem) == 0 {
		return 0
	}
	page := os.Getpagesize()
	vec := make([]byte, (len(mem)+page-1)/page)
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&mem[0])), uintptr(len(mem)), uintptr(unsafe.Pointer(&vec[0])))
	if errno != 0 {
		return 0
	}
	var n int64
	for _, v := range vec {
		if v&1 != 0 {
			n++
		}
	}
	return n * int64(page)
}
