// Package kvm is the pure-Go VMM behind hyperboot --backend kvm: it boots
// a bzImage on /dev/kvm with any number of vCPUs, an 8250 console, a
// read-only virtio-blk disk, a virtio-net NIC (user-mode network or tap), a
// virtio-console whose port 1 is the agent channel, and an exit port, and
// registers itself with package runner as "kvm":
//
//	import _ "github.com/hyperbuild/hyper/runner/kvm"
//
// It uses gokvm's kvm package for the ioctls and nothing of its machine:
// the pieces live in subpackages that know nothing of KVM and are tested
// (and fuzzed) on byte slices — boot (memory layout, zero page, ACPI),
// serial (the UART), virtio (queues, virtio-mmio, virtio-blk,
// virtio-net, virtio-console), guestmem (bounds-checked guest memory).
// This package wires them to vCPUs. Tests that need KVM skip without it (kvmtest); the
// nested tests (HYPER_NESTED=1) prove the whole under QEMU TCG.
//
// A VM ends, and Run returns, on the first of: a write to the exit port
// (0xf4, the status byte, as QEMU's isa-debug-exit), an ACPI power-off
// (SLP_EN in PM1a_CNT), a reset (i8042 0xfe, port 0xcf9, triple
// fault), an internal KVM error, or ctx being cancelled. Every vCPU
// thread is then kicked out of KVM_RUN (immediate_exit plus a signal) and
// joined before the VM's file descriptors and memory are released, so
// nothing is left running and nothing deadlocks, with or without a
// terminal.
//
// Devices are emulated on the vCPU thread that touched them: a virtio
// notify processes the queue before the vCPU re-enters the guest, and a
// read-only disk served from the page cache needs no I/O thread. Only
// what arrives from the host side (the NIC's frames, the agent port's
// bytes) has a goroutine, which Run ends and joins before it releases
// guest memory.
//
// Stopping gracefully: a cancelled ctx presses the ACPI fixed-hardware
// power button (PM1 PWRBTN_STS, raising the level-triggered SCI); Linux's
// ACPI button driver reports KEY_POWER, which hyperstart takes as a stop
// request, and the pod ends as usual (exit line, exit port). If the VM is
// still running Config.StopTimeout later it is stopped hard.
//
// Network: Net "user" (the default) attaches a virtio-net NIC to the
// user-mode network of package usernet, gvisor-tap-vsock's gateway in
// this process: rootless, on QEMU slirp's addresses (the backend adds
// hyper.ip, hyper.gw and hyper.dns to the command line), DNS with the
// host's resolvers, and the Boot's published ports as host listeners
// opened before the VM starts (a busy port fails Start) and closed when
// it has stopped. "tap:NAME" attaches the NIC to that tap device instead
// (created if needed, which takes root). Both speak frames with
// virtio-net headers, so the NIC copies bytes and parses nothing; a
// goroutine moves received frames into the guest and ends when the NIC's
// host end is closed at stop.
//
// Agent channel: Config.Agent is a virtio-console device (multiport)
// whose port 1 is named contract.AgentPort; the guest finds it in
// /sys/class/virtio-ports and hyperstart's agent serves it. The backend's
// Machine.Agent opens the host's end at once, before the guest has booted:
// bytes written wait (64 KiB at most, then Write blocks) until the guest
// opens the port, and a goroutine moves bytes both ways while the VM runs.
//
// Guest memory map (boot's package doc has the whole of it): RAM from 0
// up to 3 GiB at most; beyond that it continues at 4 GiB, above the MMIO
// hole (a second memory slot and e820 entry). In the hole, from
// 0xd000_0000, one 4 KiB virtio-mmio window per device in this order,
// each described in the DSDT (so no virtio_mmio.device= on the command
// line) with its own edge-triggered IOAPIC line from 5:
//
//	0xd000_0000  IRQ 5  virtio-blk, the artifact (read-only, /dev/vda)
//	next         next   virtio-blk, one per Config.DataDisks entry (disk
//	                    volumes; read-write, serial = the volume's name)
//	next         next   virtio-net, with Config.Tap or Config.UserNet
//	next         next   virtio-console, the agent port, with Config.Agent
//	next         next   virtio-9p, one per Config.Shares entry (host volumes)
//	0xfec0_0000         IOAPIC; 0xfee0_0000 local APICs (in-kernel)
//
// Disk volumes: each Config.DataDisks entry is a virtio-blk device on
// its image file, read-write, answering GET_ID with the volume's name.
// Requests are bounded (1 GiB, whole sectors, inside the disk) and every
// guest address is checked as for the artifact; writes go straight to the
// file and only the guest's FLUSH syncs it (fsync), which is what its
// ext4 journal needs to survive a kill of the VMM.
//
// Host volumes: each Config.Shares entry is a virtio-9p device whose
// mount tag is the volume's name, served by a 9P2000.L server confined
// to the shared directory (virtio.ShareFS: openat2 beneath the root, no
// link followed, read-only honoured). Its requests are answered by a
// goroutine per device, out of order, so a slow file does not stall the
// vCPU that asked or the requests behind it.
package kvm
