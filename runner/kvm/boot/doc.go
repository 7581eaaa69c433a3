// Package boot lays out guest memory for a Linux bzImage under the x86
// 32-bit boot protocol (Documentation/arch/x86/boot.rst): the protected-
// mode kernel, the zero page with its e820 map, the command line, the
// initrd, and the ACPI tables (RSDP, XSDT, FADT, DSDT, MADT) that tell
// the kernel how many CPUs it has, where its virtio-mmio devices are and
// how to power off. It writes into a
// byte slice and returns the vCPU entry state, so it is tested without KVM.
//
// Guest-physical memory map:
//
//	0x0000_0000  real-mode IVT/BDA (left zero)
//	0x0000_7000  zero page (struct boot_params)
//	0x0002_0000  kernel command line (up to 64 KiB)
//	0x0009_fc00  EBDA (reserved)
//	0x000a_0000  VGA hole / option ROMs (reserved, not backed by devices)
//	0x000e_0000  RSDP, then XSDT, FADT, DSDT, MADT (reserved in e820)
//	0x0010_0000  protected-mode kernel (decompresses and relocates itself)
//	     ...     RAM
//	top - n      initrd, page-aligned, as high as initrd_addr_max allows
//	0xc000_0000  end of low RAM at most (MaxMemory): the rest of the 4 GiB is MMIO
//	0xd000_0000  virtio-mmio windows, 4 KiB each (MMIOBase)
//	0xfec0_0000  IOAPIC (in-kernel)
//	0xfee0_0000  local APICs (in-kernel)
//	0xfffb_c000  KVM identity-map page and TSS (3 pages)
//	0x1_0000_0000  RAM beyond MaxMemory continues here (guestmem.HighBase)
//
// I/O ports the VMM serves: 0x3f8 COM1, 0x64 i8042 (reset), 0xf4 exit
// status, 0x600 ACPI PM1 event block, 0x604 PM1 control (power-off),
// 0xcf9 reset control (the FADT's reset register).
package boot
