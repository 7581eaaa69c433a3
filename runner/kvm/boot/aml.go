package boot

import "encoding/binary"

// A few AML encodings (ACPI 6.x §20), enough for the DSDT: named
// integers and packages, strings, buffers, scopes and devices.

const (
	amlZero      = 0x00
	amlOne       = 0x01
	amlName      = 0x08
	amlByte      = 0x0a
	amlString    = 0x0d
	amlScope     = 0x10
	amlBuffer    = 0x11
	amlPackage   = 0x12
	amlExtPrefix = 0x5b
	amlDevice    = 0x82
)

// pkgLength prefixes body with its PkgLength, which counts itself.
func pkgLength(body []byte) []byte {
	n := len(body)
	switch {
	case n+1 < 1<<6:
		return append([]byte{byte(n + 1)}, body...)
	case n+2 < 1<<12:
		t := n + 2
		return append([]byte{0x40 | byte(t&0xf), byte(t >> 4)}, body...)
	default:
		t := n + 3
		return append([]byte{0x80 | byte(t&0xf), byte(t >> 4), byte(t >> 12)}, body...)
	}
}

func amlInt(v uint8) []byte {
	switch v {
	case 0:
		return []byte{amlZero}
	case 1:
		return []byte{amlOne}
	}
	return []byte{amlByte, v}
}

// name is Name (seg, value); seg is a four-character name segment.
func name(seg string, value []byte) []byte {
	return append(append([]byte{amlName}, seg...), value...)
}

func str(s string) []byte {
	return append(append([]byte{amlString}, s...), 0)
}

func buffer(b []byte) []byte {
	body := append([]byte{amlByte, byte(len(b))}, b...)
	return append([]byte{amlBuffer}, pkgLength(body)...)
}

func pkg(elems ...[]byte) []byte {
	body := []byte{byte(len(elems))}
	for _, e := range elems {
		body = append(body, e...)
	}
	return append([]byte{amlPackage}, pkgLength(body)...)
}

func scope(seg string, body ...[]byte) []byte {
	b := []byte(seg)
	for _, e := range body {
		b = append(b, e...)
	}
	return append([]byte{amlScope}, pkgLength(b)...)
}

func device(seg string, body ...[]byte) []byte {
	b := []byte(seg)
	for _, e := range body {
		b = append(b, e...)
	}
	return append([]byte{amlExtPrefix, amlDevice}, pkgLength(b)...)
}

// Resource descriptors (§6.4) for _CRS.
func memory32Fixed(base, size uint32) []byte {
	b := []byte{0x86, 0x09, 0x00, 0x01} // read-write
	b = binary.LittleEndian.AppendUint32(b, base)
	return binary.LittleEndian.AppendUint32(b, size)
}

// edgeInterrupt is Interrupt (ResourceConsumer, Edge, ActiveHigh,
// Exclusive) { gsi }: the VMM pulses its lines.
func edgeInterrupt(gsi uint32) []byte {
	return binary.LittleEndian.AppendUint32([]byte{0x89, 0x06, 0x00, 0x03, 0x01}, gsi)
}

var endTag = []byte{0x79, 0x00}

// MMIODevice is a virtio-mmio register window and its interrupt.
type MMIODevice struct {
	Base, Size uint32
	IRQ        uint32
}

// dsdt is the DSDT's AML: \_S5 for power-off, and one LNRO0005 device
// per virtio-mmio window, which Linux's virtio_mmio driver binds to (as
// on QEMU's microvm), so no kernel command-line device list is needed.
func dsdt(devs []MMIODevice) []byte {
	aml := name("_S5_", pkg(amlInt(5), amlInt(0)))
	var sb [][]byte
	for i, d := range devs {
		crs := append(append(memory32Fixed(d.Base, d.Size), edgeInterrupt(d.IRQ)...), endTag...)
		sb = append(sb, device(vrName(i),
			name("_HID", str("LNRO0005")),
			name("_UID", amlInt(uint8(i))),
			name("_CRS", buffer(crs))))
	}
	if len(sb) > 0 {
		aml = append(aml, scope("_SB_", sb...)...)
	}
	return aml
}

func vrName(i int) string {
	const hex = "0123456789ABCDEF"
	return "VR" + string(hex[i>>4&0xf]) + string(hex[i&0xf])
}
