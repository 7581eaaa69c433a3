package disk

// DefaultBootloader is where Debian's systemd-boot-efi installs the
// systemd-boot EFI binary.
const DefaultBootloader = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"

// Option configures WriteImage.
type Option func(*options)

type options struct {
	bootloader string
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
