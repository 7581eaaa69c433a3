package virtio

import "unsafe"

func unsafePointerDiff(p, base *byte) int64 {
	return int64(uintptr(unsafe.Pointer(p)) - uintptr(unsafe.Pointer(base)))
}
