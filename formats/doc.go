// Package formats turns hyper's raw GPT artifact into the disk formats
// that clouds and hypervisors import, and adds a legacy-BIOS boot path.
//
//	err := formats.Convert(ctx, formats.QCOW2, "pod.img", "pod.qcow2",
//		formats.WithEpoch(epoch))
//	img, err := formats.ContainerDisk("pod.img") // a v1.Image to push
//
// | format        | what                                      | written by |
// |---------------|-------------------------------------------|------------|
// | qcow2         | compressed, sparse (QEMU, OpenStack)      | qemu-img   |
// | vmdk          | stream-optimized (AWS, VMware)            | qemu-img, CID derived from content |
// | vhd           | fixed, 1 MiB aligned (Azure)              | this package |
// | gce           | disk.raw (whole GiB) in a sparse oldgnu tar.gz | this package |
// | containerdisk | OCI image, /disk/disk.img owned 107:107   | this package (go-containerregistry) |
// | raw-bios      | raw + syslinux's gptmbr.bin and ldlinux   | syslinux, through disk.WithBIOSBoot |
//
// qemu-img does qcow2 and vmdk, whose formats are large and which it
// writes reproducibly but for the VMDK's random CID (patched here). Its
// VHD footer carries the time and a random UUID, and it writes no tar, so
// those are written here: a fixed VHD is the raw disk plus a 512-byte
// footer. Every output depends only on its input and the epoch
// (SOURCE_DATE_EPOCH): no format here forbids that.
package formats
