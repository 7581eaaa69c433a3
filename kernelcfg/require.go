package kernelcfg

import (
	"fmt"
	"sort"
)

// BootFeatures names the Features a pod cannot boot without: hyperstart
// mounts its file systems, finds the pod disk on virtio-blk through its
// GPT label, builds each container's overlay root in namespaces, talks
// on the 8250 console, and the firmware starts the kernel through its
// EFI stub with a gzip initramfs. A brought kernel (FromFile) must have
// every option these features set to y built in: the initramfs holds no
// modules, so =m is as good as missing. The options come from Features,
// so the two cannot drift apart; the test checks each name is there.
var BootFeatures = []string{
	"syscalls for Go, busybox and container workloads",
	"hyperstart mounts: devtmpfs, tmpfs, proc, sysfs, devpts, shm, mqueue",
	"overlayfs",
	"namespaces",
	"virtio blk/net (pci+mmio)",
	"8250 console",
	"EFI stub",
	"ext4 (read-only pod disk)",
	"GPT partitions",
	"initramfs (gzip)",
	"networking: inet, unix, packet (dhcp)",
}

// menuOptions only open a menu in Kconfig (PARTITION_ADVANCED lets one
// pick partition types; without it EFI_PARTITION is on by default): the
// options inside are what a pod needs, and they are checked.
var menuOptions = map[string]bool{"PARTITION_ADVANCED": true, "VIRTIO_MENU": true}

// bootOptions is every option (without CONFIG_) that BootFeatures set to
// y, with the first feature that wants it.
func bootOptions() map[string]string {
	out := map[string]string{}
	for _, name := range BootFeatures {
		for _, f := range Features {
			if f.Name != name {
				continue
			}
			for _, o := range f.Options {
				if s := parseSetting(o); s.Value == "y" && !menuOptions[s.Name] {
					if _, ok := out[s.Name]; !ok {
						out[s.Name] = f.Name
					}
				}
			}
		}
	}
	return out
}

// MissingForBoot lists, sorted, the options of BootFeatures that cfg (a
// parsed .config) does not build in, each as
// "CONFIG_VIRTIO_BLK=m (a module) [virtio blk/...]".
func MissingForBoot(cfg map[string]string) []string {
	var missing []string
	for name, feature := range bootOptions() {
		switch v := cfg[name]; v {
		case "y":
			continue
		case "m":
			missing = append(missing, fmt.Sprintf("CONFIG_%s=m (a module) [%s]", name, feature))
		case "", "n":
			missing = append(missing, fmt.Sprintf("CONFIG_%s is not set [%s]", name, feature))
		default:
			missing = append(missing, fmt.Sprintf("CONFIG_%s=%s [%s]", name, v, feature))
		}
	}
	sort.Strings(missing)
	return missing
}
