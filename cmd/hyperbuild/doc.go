// Command hyperbuild compiles a pod file (HCL, or Hyper's podfile.json)
// into one bootable VM image: the hyperkernel, an initramfs holding
// hyperstart and the guest contract, and an ext4 partition with each
// container's flattened image, in a GPT disk. Its subcommands validate pod
// files, inspect artifacts, write ext4 images from tarballs (mkfs), build
// the kernel ahead of time and manage the image cache. The logic lives in
// the packages (builder, spec, layers, disk, kernelcfg); this command only
// parses flags, prints errors once, and exits 0, 1 (failed) or 2 (bad
// command line or pod file).
//
//	hyperbuild pod.hcl -o pod.img
package main
