// Package flatten turns a stack of image layers (uncompressed tar streams,
// bottom first) into one tar stream of the final root filesystem, the way
// a container runtime would unpack them, but without a file system:
//
//   - OCI whiteouts (.wh.NAME) and opaque markers (.wh..wh..opq) are
//     applied, never emitted;
//   - each path appears once, with its topmost version; every directory
//     comes first (parents before children), then files, symlinks and
//     devices, then hard links, so a link's target always precedes it;
//   - names are cleaned and confined to the root ("../../etc/x" is
//     "etc/x"), directories on the way are resolved through symlinks
//     inside the root like containerd does, hard links are resolved inside
//     the root (a link to a missing path is dropped), symlink targets are
//     kept verbatim since they resolve inside the guest's root;
//   - modes, owners, device numbers, xattrs and times with nanoseconds are
//     kept; the output is the same bytes for the same layers.
//
// Flatten reads each layer twice: once for headers only (seeking over file
// data), once to copy the winning files' data. Memory grows with the
// number of entries, never with file sizes.
package flatten
