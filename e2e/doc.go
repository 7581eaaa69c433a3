// Package e2e holds the end-to-end tests: each example in examples/ is
// built with the project's own builder, from images made offline
// (busybox from Debian's busybox-static, served from an OCI layout or an
// in-process registry), and booted with the project's own runner under
// QEMU. They skip, saying why, when the hyperkernel is not built (make
// kernel), QEMU is missing (make deps) or busybox-static is absent.
package e2e
