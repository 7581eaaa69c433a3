// Package flatten turns a stack of image layers (uncompressed tar streams,
// bottom first) into one tar stream of the final root filesystem, the way
// a container runtime would unpack them, but without a file system:
//
//   - OCI whiteouts (.wh.NAME) and opaque markers (.wh..wh..opq) are
//     applied, never emitted;
//   - each path appears once, with its topmost version. All directories
//     come first, in path order (parents before children); then files,
//     symlinks and devices, layer by layer in each layer's order; then the
//     spec's files; then hard links, so a link's target always precedes
//     it. A hard-linked inode is written under the path it was created at
//     when that path still names it, else under its first name in path
//     order; a link whose target was later replaced keeps the old content;
//   - names are cleaned and confined to the root ("../../etc/x" is
//     "etc/x"), directories on the way are resolved through symlinks
//     inside the root like containerd does, hard links are resolved inside
//     the root (a link to a missing path is dropped), symlink targets are
//     kept verbatim since they resolve inside the guest's root;
//   - modes, owners, device numbers, xattrs and times with nanoseconds are
//     kept; the output is the same bytes for the same layers.
//
// Flatten reads each layer twice: once for headers only (seeking over file
// data; layers are scanned concurrently), once in full to copy the winning
// files' data from the offsets the first read found while hashing the
// layer against its DiffID on a read-ahead goroutine. Memory grows with
// the number of entries, never with file sizes. The root directory itself
// is not emitted; GNU sparse entries are refused (ErrSparse).
package flatten
