package formats

import "time"

// Option configures Convert and ContainerDisk.
type Option func(*options)

type options struct {
	epoch    time.Time
	qemuImg  string
	syslinux string
	tempDir  string
}

func makeOptions(opts []Option) options {
	o := options{
		epoch:    time.Unix(0, 0).UTC(),
		qemuImg:  "qemu-img",
		syslinux: "syslinux",
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

// WithTempDir writes the output in a directory made in dir and renames it
// into place when complete (default: beside the output). dir must be on
// the output's file system; a builder passes its locked scratch directory,
// so that what a killed build leaves is swept with it.
func WithTempDir(dir string) Option { return func(o *options) { o.tempDir = dir } }
