package boot

import (
	"bytes"
	"testing"
)

func TestPkgLength(t *testing.T) {
	tests := []struct {
		body int
		want []byte
	}{
		{0, []byte{0x01}},
		{62, []byte{0x3f}},
		{63, []byte{0x41, 0x04}},         // 65 = 0x41: low nibble 1, then 0x04
		{4093, []byte{0x4f, 0xff}},       // 4095
		{4094, []byte{0x81, 0x00, 0x01}}, // 4097
	}
	for _, tt := range tests {
		got := pkgLength(make([]byte, tt.body))
		if !bytes.Equal(got[:len(tt.want)], tt.want) || len(got) != tt.body+len(tt.want) {
			t.Errorf("pkgLength(%d bytes) = % x..., want % x", tt.body, got[:len(tt.want)], tt.want)
		}
	}
}

// TestDSDTDevice checks the AML of one virtio-mmio device byte by byte
// (lengths counted by hand from ACPI 6.5 §20.2).
func TestDSDTDevice(t *testing.T) {
	got := dsdt([]MMIODevice{{Base: 0xd0000000, Size: 0x1000, IRQ: 5}})
	want := []byte{
		0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x05, 0x00, // Name (_S5_, Package (2) {5, 0})
		0x10, 0x42, 0x04, '_', 'S', 'B', '_', // Scope (_SB_), PkgLength 66: two bytes
		0x5b, 0x82, 0x3a, 'V', 'R', '0', '0', // Device (VR00), PkgLength 58
		0x08, '_', 'H', 'I', 'D', 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00,
		0x08, '_', 'U', 'I', 'D', 0x00,
		0x08, '_', 'C', 'R', 'S', 0x11, 0x1a, 0x0a, 0x17,
		0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x10, 0x00, 0x00,
		0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00,
		0x79, 0x00,
	}
	if !bytes.Equal(got, want) {
		t.Errorf("dsdt =\n% x\nwant\n% x", got, want)
	}
}
