// Package scripttest sets up the testscript suites of hyperbuild and
// hyperboot: the environment a script runs in, the conditions it can test
// ([kernel], [qemu], [kvm], [busybox], [e2fsck]) and the helper commands
// that make inputs no real user would have to make (an OCI busybox image).
package scripttest
