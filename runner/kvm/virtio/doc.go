// Package virtio is the VMM's virtio device model: split virtqueues, the
// virtio-mmio transport (version 2), a block device, a network device
// in front of a tap (frames pass through with their virtio-net header;
// the receive queue is filled asynchronously through Deliver), and a
// multiport console whose port 1 is a named byte stream to the host (the
// agent channel: Console.Open on the host, /dev/vportNp1 in the guest),
// with bounded buffering and backpressure both ways, and a 9P device
// (virtio-9p) that shares a host directory: hugelgupf/p9's 9P2000.L
// server over ShareFS, which reaches every file beneath the share's root
// with openat2 and follows no link (see ShareFS for the rules and the
// uid mapping). Its requests are answered out of order (MMIO.Take and
// Complete), each message at most P9MsizeMax bytes.
//
// Everything the guest controls — ring addresses, indices, descriptor
// addresses, lengths, flags and next links — is treated as hostile. A
// chain is walked once, checked against guest memory bounds, the queue
// size and the descriptor ordering rules, and turned into plain host
// slices; devices only ever see those slices. A chain that breaks the
// rules puts the device in NEEDS_RESET (virtio 1.x §2.1.2) instead of
// touching memory it should not, and a request that is well formed but
// wrong (a sector past the end, a write to a read-only disk, an unknown
// type) is answered with a status byte.
//
// The package does not know about KVM: guest memory is a guestmem.Memory
// and interrupts go through the Interrupter interface, so the whole model
// is unit-tested and fuzzed over a byte slice.
//
//	t := virtio.NewMMIO(blk, mem, irqs, 5)
//	t.Write(off, data) // from the VMM's MMIO exit handler
//	t.Read(off, data)
package virtio
