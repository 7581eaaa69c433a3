// Package kvm is the pure-Go VMM behind hyperboot --backend kvm: it boots
// a bzImage on /dev/kvm with any number of vCPUs, an 8250 console, a
// read-only virtio-blk disk, a virtio-net NIC on a tap device and an exit
// port, and registers itself with package runner as "kvm":
//
//	import _ "github.com/hyperbuild/hyper/runner/kvm"
//
// It uses gokvm's kvm package for the ioctls and nothing of its machine:
// the pieces live in subpackages that know nothing of KVM and are tested
// (and fuzzed) on byte slices — boot (memory layout, zero page, ACPI),
// serial (the UART), virtio (queues, virtio-mmio, virtio-blk,
// virtio-net), guestmem (bounds-checked guest memory). This package wires
// them to vCPUs. Tests that need KVM skip without it (kvmtest); the
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
// notify processes the queue before the vCPU re-enters the guest. There
// is no I/O thread to start, stop or leak, and a read-only disk served
// from the page cache does not need one.
//
// Stopping gracefully: a cancelled ctx presses the ACPI fixed-hardware
// power button (PM1 PWRBTN_STS, raising the level-triggered SCI); Linux's
// ACPI button driver reports KEY_POWER, which hyperstart takes as a stop
// request, and the pod ends as usual (exit line, exit port). If the VM is
// still running Config.StopTimeout later it is stopped hard.
//
// Network: Net "tap:NAME" attaches a virtio-net NIC to that tap device
// (created if needed, which takes root); its frames carry virtio-net
// headers both ways, so the NIC copies bytes and parses nothing. A
// goroutine moves received frames into the guest and ends when the tap is
// closed at stop. "user" gives the guest no network yet.
//
// Guest RAM beyond 3 GiB continues at 4 GiB, above the MMIO hole (a
// second memory slot and e820 entry).
//
// Not yet: user-mode networking and so port publishing.
package kvm
