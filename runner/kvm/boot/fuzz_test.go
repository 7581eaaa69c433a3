package boot

import (
	"bytes"
	"testing"
)

// FuzzLoad feeds arbitrary kernel and initrd files to the loader: a
// corrupt artifact must give an error, never a panic or a write outside
// guest memory (the slice bounds would panic).
func FuzzLoad(f *testing.F) {
	f.Add(fakeBzImage(0x020f, []byte("KERNEL")), []byte("INITRD"), "console=ttyS0", uint8(1))
	f.Add(fakeBzImage(0x0206, nil), []byte{}, "", uint8(2))
	f.Add([]byte("MZ"), []byte(nil), "x", uint8(0))
	mem := make([]byte, MinMemory)
	f.Fuzz(func(t *testing.T, kernel, initrd []byte, cmdline string, cpus uint8) {
		img := Image{
			Kernel: bytes.NewReader(kernel), KernelSize: int64(len(kernel)),
			Cmdline: cmdline, CPUs: int(cpus),
			Devices: []MMIODevice{{Base: MMIOBase, Size: 0x1000, IRQ: 5}},
		}
		if len(initrd) > 0 {
			img.Initrd, img.InitrdSize = bytes.NewReader(initrd), int64(len(initrd))
		}
		Load(mem, img)
	})
}
