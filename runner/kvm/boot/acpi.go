package boot

import (
	"encoding/binary"
	"fmt"
)

// The ACPI tables describe a PC without legacy devices: the MADT lists
// the vCPUs (kernels such as Debian's are built without MP-table support,
// so ACPI is the only way to bring up more than one) and the in-kernel
// IOAPIC; the FADT has a PM1 event and control block in I/O space, a
// fixed-hardware power button (the VMM's graceful stop) and no PM timer,
// SMI or GPEs, and the DSDT holds \_S5, so the guest powers off by
// writing SLP_EN to PM1a_CNT: one port write the VMM sees. It is not a
// hardware-reduced platform on purpose: Linux then drops the legacy ISA
// IRQ mappings, and the 8250 console's IRQ 4 (enumerated without ACPI)
// would have no route, leaving user space without a console.

const (
	hdrLen = 36

	fadtLen        = 276
	fadtRevision   = 6
	fadtFlagWBINVD = 1 << 0
	fadtSlpButton  = 1 << 5 // no fixed-hardware sleep button
	fadtResetReg   = 1 << 10
	bootArchNoVGA  = 1 << 2
	bootArchNoCMOS = 1 << 5
	gasSystemIO    = 1
	gasAccessByte  = 1
	sciIRQ         = 9    // level-triggered, raised while a PM1 event is pending
	resetValue     = 0x06 // to port 0xcf9: hard reset

	madtPCATCompat = 1
	madtLAPIC      = 0
	madtIOAPIC     = 1
	lapicEnabled   = 1
)

// writeACPI writes RSDP, XSDT, FADT, DSDT and MADT into area, which lies
// at guest address base, and returns the RSDP's address.
func writeACPI(area []byte, base uint64, cpus int, devs []MMIODevice) (uint64, error) {
	clear(area)
	const (
		rsdpOff = 0x000
		xsdtOff = 0x040
		fadtOff = 0x100
		madtOff = 0x300
		dsdtOff = 0x1000
	)
	madtLen := hdrLen + 8 + 8*cpus + 12
	if madtOff+madtLen > dsdtOff {
		return 0, fmt.Errorf("%w: %d do not fit the MADT", ErrTooManyCPUs, cpus)
	}

	aml := dsdt(devs)
	if dsdtOff+hdrLen+len(aml) > len(area) {
		return 0, fmt.Errorf("%w: %d devices do not fit the DSDT", ErrTooManyDevices, len(devs))
	}
	dsdt := area[dsdtOff : dsdtOff+hdrLen+len(aml)]
	header(dsdt, "DSDT", 2)
	copy(dsdt[hdrLen:], aml)
	checksum(dsdt, 9)

	fadt := area[fadtOff : fadtOff+fadtLen]
	header(fadt, "FACP", fadtRevision)
	dsdtAddr := base + dsdtOff
	binary.LittleEndian.PutUint32(fadt[40:], uint32(dsdtAddr))
	binary.LittleEndian.PutUint16(fadt[46:], sciIRQ)
	binary.LittleEndian.PutUint32(fadt[56:], PM1EventPort)   // PM1a_EVT_BLK
	binary.LittleEndian.PutUint32(fadt[64:], PM1ControlPort) // PM1a_CNT_BLK
	fadt[88] = 4                                             // PM1_EVT_LEN
	fadt[89] = 2                                             // PM1_CNT_LEN
	binary.LittleEndian.PutUint16(fadt[109:], bootArchNoVGA|bootArchNoCMOS)
	binary.LittleEndian.PutUint32(fadt[112:], fadtFlagWBINVD|fadtSlpButton|fadtResetReg)
	gas(fadt[116:], ResetPort) // RESET_REG
	fadt[128] = resetValue
	binary.LittleEndian.PutUint64(fadt[140:], dsdtAddr)
	copy(fadt[268:], "HYPERVMM")
	checksum(fadt, 9)

	madt := area[madtOff : madtOff+madtLen]
	header(madt, "APIC", 4)
	binary.LittleEndian.PutUint32(madt[36:], LAPICAddr)
	binary.LittleEndian.PutUint32(madt[40:], madtPCATCompat)
	e := madt[hdrLen+8:]
	for i := range cpus {
		e[0], e[1], e[2], e[3] = madtLAPIC, 8, uint8(i), uint8(i)
		binary.LittleEndian.PutUint32(e[4:], lapicEnabled)
		e = e[8:]
	}
	e[0], e[1], e[2] = madtIOAPIC, 12, uint8(cpus) // IOAPIC id after the CPUs'
	binary.LittleEndian.PutUint32(e[4:], IOAPICAddr)
	binary.LittleEndian.PutUint32(e[8:], 0) // GSI base
	checksum(madt, 9)

	xsdt := area[xsdtOff : xsdtOff+hdrLen+16]
	header(xsdt, "XSDT", 1)
	binary.LittleEndian.PutUint64(xsdt[hdrLen:], base+fadtOff)
	binary.LittleEndian.PutUint64(xsdt[hdrLen+8:], base+madtOff)
	checksum(xsdt, 9)

	rsdp := area[rsdpOff : rsdpOff+36]
	copy(rsdp, "RSD PTR ")
	copy(rsdp[9:], "HYPER ")
	rsdp[15] = 2 // ACPI 2.0+: use the XSDT
	binary.LittleEndian.PutUint32(rsdp[20:], 36)
	binary.LittleEndian.PutUint64(rsdp[24:], base+xsdtOff)
	checksum(rsdp[:20], 8)
	checksum(rsdp, 32)
	return base + rsdpOff, nil
}

// header fills a system description table header; the length is the
// slice's.
func header(t []byte, sig string, rev uint8) {
	copy(t[0:], sig)
	binary.LittleEndian.PutUint32(t[4:], uint32(len(t)))
	t[8] = rev
	copy(t[10:], "HYPER ")
	copy(t[16:], "HYPERVMM")
	binary.LittleEndian.PutUint32(t[24:], 1)
	copy(t[28:], "HYPR")
	binary.LittleEndian.PutUint32(t[32:], 1)
}

// checksum sets t[at] so that the bytes of t sum to zero.
func checksum(t []byte, at int) {
	t[at] = 0
	var sum uint8
	for _, b := range t {
		sum += b
	}
	t[at] = -sum
}

// gas writes a Generic Address Structure for a one-byte I/O port.
func gas(b []byte, port uint64) {
	b[0], b[1], b[2], b[3] = gasSystemIO, 8, 0, gasAccessByte
	binary.LittleEndian.PutUint64(b[4:], port)
}
