// Package scripttest sets up the testscript suites of hyperbuild and
// hyperboot: the environment a script runs in (with a hyperd state
// directory of its own, $HYPER_ROOT, whose daemon and pods are killed
// when the script ends), the conditions it can test ([kernel], [qemu],
// [kvm], [busybox], [e2fsck]) and the helper commands that make inputs no
// real user would have to make (an OCI busybox image) or look below the
// CLI (api, killhyperd, killshim, novm, waitvm, retry).
package scripttest
