// Package contract is the guest contract: the plain data that hyperbuild
// writes into the initramfs and hyperstart reads as PID 1 inside the VM.
//
// Both front ends (the HCL pod file and Hyper's podfile.json, package spec)
// decode into a Pod; the builder then resolves each container's image and
// fills in its digest and final Process. The package imports nothing but
// the standard library, so hyperstart stays a small static binary; it also
// holds the few constants the host and the guest must agree on: where the
// contract lives in the initramfs, the pod partition's label, the kernel
// command-line keys, and the final exit-status line on the console.
package contract
