// Package kernelcfg owns the hyperkernel: the Linux configuration the guest
// needs, as data, and the machinery that builds and caches it.
//
// The configuration is a table of Features, each naming the CONFIG_ options
// it needs, plus a Trim list of options switched off for size and boot time.
// Fragment renders them; a build applies the fragment on `make tinyconfig` of
// Debian's linux-source-6.1 (ARCH=x86_64), runs `make olddefconfig`, and then
// checks every wanted option against the final .config: an option that
// olddefconfig dropped (a missing dependency, a typo) fails the build with
// its name and the feature that wanted it.
//
// Build compiles `make -jN bzImage` in a temporary directory under the cache
// and renames the result to $HYPER_CACHE/kernel/<key>/ (default
// os.UserCacheDir()/hyper), holding bzImage, config, version and fragment.
// The key is the sha256 of the source tarball's digest, the fragment and the
// first line of `gcc --version`. A lock file makes a second builder wait for
// the first. The entry records its bzImage's sha256 (bzImage.sha256); a
// cached bzImage that no longer matches it is refused by Cached
// (ErrCacheCorrupt) and rebuilt by Build, with a warning (WithWarnings).
// Cached returns the entry or ErrNotBuilt without building. The build's
// progress counts compiled objects against a total: the count a previous
// build of the same fragment recorded (objects), else estimateObjects'
// reading of the configured tree's Makefiles, shown as ~N.
//
// Pulled kernels (package artifact: a hyperkernel pushed as an OCI
// artifact) are adopted by Adopt into kernel/image-HEX/, HEX the image
// manifest's digest, with the same files plus origin (the pinned
// reference); ImageEntry finds one, List lists every entry with its
// origin.
//
// FromFile accepts a bring-your-own bzImage after checking its header and
// its configuration: the one it embeds (CONFIG_IKCONFIG, read from the
// decompressed kernel: gzip, zstd, lz4 or bzip2; not xz, lzma or lzo), else
// config-RELEASE beside it (/boot's convention). Every option that
// BootFeatures (a named part of Features) sets to y must be built in;
// modules do not count, as the initramfs has none (ErrMissingBuiltins
// lists what is missing). A kernel whose configuration cannot be found is
// accepted with a warning that it is unchecked.
//
//	k, err := kernelcfg.Build(ctx, kernelcfg.WithProgress(os.Stderr))
//	// k.Path is the bzImage, k.Config the final .config.
//
// Graceful stop: on q35/pc, and on microvm with acpi=on (QEMU's default),
// the VMM's power button (QMP system_powerdown) arrives through ACPI_BUTTON
// as KEY_POWER on the "Power Button" /dev/input/event* device; hyperstart
// watches it. Where there is no ACPI (microvm acpi=off, a VMM without an
// ACPI table), the runner sends SIGTERM's equivalent over a channel the guest
// already has: a virtio-console port or vsock message to hyperstart; the
// kernel needs nothing more for that.
//
// Booting: BootArgs is the command line (console=ttyS0 quiet panic=-1
// no_timer_check), plus EarlyTSCArg on microvm. `quiet` keeps the console
// silent except a few harmless KERN_ERR lines listed in QuietNoise (no PCI
// on microvm, the KVM vendor module that does not match the CPU); a runner
// drops them with IsQuietNoise. Run QEMU with -no-reboot so that a panic
// ends the VM.
//
// Tests: `go test ./kernelcfg` checks the data, the config check, the cache
// key and its integrity, the lock, the progress, the bzImage and IKCONFIG
// readers (synthetic images, Debian's cloud kernel in /boot when it is
// there, the cached hyperkernel), and (without -short)
// boots the cached kernel under QEMU TCG on microvm and q35.
// HYPER_KERNEL_BUILD=1 adds TestBuildReal, which builds into the default
// cache (or finds it there); HYPER_KERNEL_BUILD=fresh builds into a
// temporary one. A build is ~655 CPU-seconds: 22 minutes of wall time on a
// busy 2-core machine; two builds gave byte-identical bzImages.
package kernelcfg
