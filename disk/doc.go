// Package disk writes and reads hyper's artifact: one GPT disk image that
// hyperboot boots (direct kernel boot from the files in the ESP) and that a
// UEFI machine boots unmodified (systemd-boot in the ESP).
//
//	warnings, err := disk.WriteImage(ctx, "web.img", disk.Artifact{
//		Kernel: "bzImage", Initrd: "initrd.img", Cmdline: "console=ttyS0",
//		PodFS: "pod.ext4", Manifest: disk.ManifestFor(pod),
//	})
//	img, err := disk.Open("web.img") // or a --format dir directory
//
// Layout (512-byte sectors, partitions 1 MiB aligned):
//
//	LBA 0        protective MBR, GPT header and entries
//	1 MiB        partition 1 "hyper-efi": EFI System Partition, FAT32
//	             (label HYPER-EFI), the smallest valid FAT32 that holds
//	               /hyper/bzImage /hyper/initrd.img /hyper/cmdline
//	               /hyper/manifest.json
//	               /EFI/BOOT/BOOTX64.EFI /loader/loader.conf
//	               /loader/entries/hyper.conf   (when systemd-boot is found)
//	             WithBIOSBoot adds a legacy-BIOS path: boot code in the
//	             MBR, the ESP marked "legacy BIOS bootable", its loader's
//	             files (syslinux's, from package formats) in the ESP
//	...          partition 2 "hyper-pod": the pod's ext4 (label
//	             contract.PodLabel), copied sparse
//	end - 1 MiB  backup GPT
//
// The image is reproducible: the disk and partition GUIDs and the FAT
// volume serial are derived from a sha256 of everything written, every FAT
// timestamp is the manifest's build time, and nothing else varies. The
// image is written to a temporary file beside the output and renamed into
// place only when complete; an error or a cancelled context removes it.
//
// Open reads an artifact back with go-diskfs (no loop mounts) for
// hyperboot and hyperbuild inspect. It treats the file as untrusted: the
// FAT geometry and every cluster chain are checked before go-diskfs reads
// them, and the pod partition must hold an ext4 labelled contract.PodLabel.
//
// The directory format (WriteDir) holds the same files side by side
// (bzImage, initrd.img, pod.ext4, cmdline, manifest.json) for people who
// boot with qemu -kernel; Open reads both.
//
// A disk volume's data disk is not part of the artifact: it is a plain
// ext4 image with a journal beside it (DataDiskPath: web.img ->
// web.data.ext4), made by CreateDataDisk (exactly the volume's size,
// seeded from a directory with WriteSeedTar, linked into place only when
// whole) and checked by CheckDataDisk before a run.
package disk
