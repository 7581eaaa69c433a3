// Command vmmrun boots a kernel with the kvm backend's VMM and exits with
// the guest's exit-port status. The nested KVM test runs it (built static)
// inside a QEMU guest; it is also handy to try the VMM by hand:
//
//	vmmrun -kernel bzImage -initrd initrd.cpio -append "console=ttyS0 quiet"
//
// With -agent-echo N it also sends N bytes on the agent port and checks
// that the guest (testinit.agent) echoes them.
//
// It prints one summary line on stderr: how the guest stopped, the time
// from start to the first vCPU entry, and the host RSS beyond guest RAM.
package main
