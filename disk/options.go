package disk

import "os"

// DefaultBootloader is where Debian's systemd-boot-efi installs the
// systemd-boot EFI binary.
const DefaultBootloader = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"

// Option configures WriteImage and WriteDir.
type Option func(*options)

type options struct {
	bootloader string
	tempDir    string
	bios       *BIOSBoot
}

func makeOptions(opts []Option) options {
	o := options{bootloader: DefaultBootloader}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithBootloader uses the systemd-boot EFI binary at path ("" for none:
// the artifact then boots only with hyperboot, and WriteImage warns).
func WithBootloader(path string) Option {
	return func(o *options) { o.bootloader = path }
}

// WithTempDir writes the artifact in dir and renames it to its output
// path when complete (default: beside the output). dir must be on the
// output's filesystem; a builder passes its locked scratch directory, so
// that what a killed build leaves is swept with it.
func WithTempDir(dir string) Option {
	return func(o *options) { o.tempDir = dir }
}

// BIOSBoot is a legacy-BIOS boot path beside the ESP's UEFI one: boot code
// for the protective MBR (which finds the ESP by its GPT "legacy BIOS
// bootable" attribute, set when a BIOSBoot is given), files for the ESP,
// room left free in the ESP, and an installer that runs on the image once
// the ESP is written and before its timestamps and serial are normalized,
// so that what it writes is reproducible too.
type BIOSBoot struct {
	MBR     []byte            // at most 440 bytes, written at LBA 0
	Files   map[string][]byte // ESP path -> content, e.g. /syslinux.cfg
	Reserve int64             // free bytes the ESP keeps for Install's files
	// Install writes the boot sector and loader into the FAT volume at
	// espStart in f (an image file, already holding the ESP's files).
	Install func(f *os.File, espStart int64) error
	// Name is recorded in the manifest's bootloader ("systemd-boot+NAME").
	Name string
}

// WithBIOSBoot adds a legacy-BIOS boot path to WriteImage's artifact.
func WithBIOSBoot(b *BIOSBoot) Option {
	return func(o *options) { o.bios = b }
}
