// Command outerinit is /init of the nested KVM test's outer guest (a QEMU
// TCG VM with AMD SVM): it mounts /proc, /dev and /sys, loads the KVM modules
// listed in /modules/order (none when the kernel has KVM built in), runs
// /vmmrun with the arguments in /vmmrun.args (one per line, runs
// separated by "---"; a run whose first line is @PROGRAM runs PROGRAM
// instead), interrupts it when the inner guest asks for the
// power button, reports how each run exited, and powers off. It is
// static Go so the test needs no busybox.
package main
