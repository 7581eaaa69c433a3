// Package sbom lists the packages an image ships, from the package
// databases in its flattened root filesystem, and writes them as a
// software bill of materials: SPDX 2.3 JSON or CycloneDX 1.5 JSON.
//
// Scan reads one flattened rootfs tar (layers.Image.Flatten's output, the
// tree that goes onto the pod disk) and picks out Debian's dpkg status
// (var/lib/dpkg/status, and distroless's var/lib/dpkg/status.d/), Alpine's
// apk database (lib/apk/db/installed) and os-release. It reads the whole
// stream, so it can sit on a tee beside the ext4 writer, and never holds
// more than one database line in memory. Every database is hostile input:
// sizes, lines and package counts are bounded (see the Max constants), and
// a malformed database is an error naming the file and line, never a
// silently shorter list.
//
// Document gathers the pod's images and their inventories; WriteSPDX and
// WriteCycloneDX render it. The output is a function of the document
// alone: the creation time is the build's (SOURCE_DATE_EPOCH), and the
// SPDX namespace and CycloneDX serial number are derived from the
// content, so a rebuild writes the same bytes.
package sbom
