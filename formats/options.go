package formats

import (
	"io"
	"time"
)

// Option configures Convert and ContainerDisk.
type Option func(*options)

type options struct {
	epoch    time.Time
	qemuImg  string
	syslinux string
	warn     func(string)
	progress io.Writer
}

func makeOptions(opts []Option) options {
	o := options{
		epoch:    time.Unix(0, 0).UTC(),
		qemuImg:  "qemu-img",
		syslinux: "syslinux",
		warn:     func(string) {},
		progress: io.Discard,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithEpoch is the time recorded where a format records one (the VHD
// footer, the tar header, the image config); default the Unix epoch, so
// that outputs are reproducible unless asked otherwise.
func WithEpoch(t time.Time) Option { return func(o *options) { o.epoch = t.UTC() } }

// WithQEMUImg runs this qemu-img (default: qemu-img on $PATH).
func WithQEMUImg(path string) Option { return func(o *options) { o.qemuImg = path } }

// WithSyslinux runs this syslinux installer (default: syslinux on $PATH).
func WithSyslinux(path string) Option { return func(o *options) { o.syslinux = path } }
