package disk

// DefaultBootloader is where Debian's systemd-boot-efi installs the
// systemd-boot EFI binary.
const DefaultBootloader = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"

// Option configures WriteImage and WriteDir.
type Option func(*options)

type options struct {
	bootloader string
	tempDir    string
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
