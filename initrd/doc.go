// Package initrd writes the pod's initramfs: a deterministic cpio (newc)
// archive, compressed with gzip (the default), zstd or nothing, holding
// hyperstart as /init, /dev/console (c 5 1), the guest contract at
// contract.Path, the mount points hyperstart needs, and any extra entries.
//
//	err := initrd.Write(f, "hyperstart", pod, initrd.WithCompression(initrd.Zstd))
//	entries, err := initrd.List(f) // compression detected from the magic
//
// The archive is reproducible: entries sorted by path with parents first,
// one fixed mtime (WithMTime, default the Unix epoch), uid and gid 0,
// inode numbers in archive order.
//
// The cpio library (github.com/cavaliergopher/cpio v1.0.1) neither writes
// nor reads a header's rdev major and minor, which a device node such as
// /dev/console needs; rdev.go patches those header fields on the way out
// and recovers them on the way in.
package initrd
