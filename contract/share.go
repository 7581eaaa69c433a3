package contract

// Host volumes (VolumeHost) reach the guest over 9P2000.L on virtio: the
// runner gives each a virtio-9p device whose mount tag is the volume's
// name, and hyperstart mounts it with these options.
const (
	// ShareMsize is the largest 9P message hyperstart asks for; the kvm
	// backend's server allows exactly this much (QEMU more).
	ShareMsize = 256 << 10
	// ShareMountOptions are the 9p mount's options: the tag's transport,
	// the dialect with Linux semantics, permission checks on the client
	// (the guest's uids, as the host's, are the files' owners) and no
	// cache, so that each side sees the other's writes at once.
	ShareMountOptions = "trans=virtio,version=9p2000.L,access=client,cache=none,msize=262144"
)
