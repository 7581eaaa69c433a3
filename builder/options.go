package builder

import (
	"io"
	"os"
	"strconv"
	"time"

	"github.com/hyperbuild/hyper/formats"
)

// Format is the shape of the build's output: raw, dir, or one that
// package formats makes from a raw image (qcow2, vhd, gce, vmdk,
// raw-bios, containerdisk).
type Format = formats.Format

// The output formats that the disk package writes itself.
const (
	// FormatRaw is one GPT disk image: ESP (kernel, initrd, cmdline,
	// manifest, systemd-boot) + the pod's ext4 partition.
	FormatRaw Format = formats.Raw
	// FormatDir is a directory holding bzImage, initrd.img, pod.ext4,
	// cmdline and manifest.json, for people who use qemu -kernel.
	FormatDir Format = formats.Dir
)

// Option configures a Builder.
type Option func(*options)

type options struct {
	format     Format
	kernel     string
	hyperstart string
	cacheDir   string
	insecure   []string
	progress   io.Writer
	tty        bool
	diskFree   int64
	epoch      time.Time
	warn       func(string)
	inputs     []Input
	force      bool
	stdout     io.Writer
	sbom       *sbomOutput

	// kernelImage is WithKernelImage's reference (builder/kernel.go).
	kernelImage string
}

func makeOptions(opts ...Option) options {
	o := options{
		format:   FormatRaw,
		progress: io.Discard,
		diskFree: 1 << 20,
		epoch:    SourceDateEpoch(),
		warn:     func(string) {},
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithFormat picks the output format (default raw; see formats.All).
func WithFormat(f Format) Option { return func(o *options) { o.format = f } }

// WithKernel boots a bzImage of the user's instead of the hyperkernel; it
// wins over the pod file's kernel { path }.
func WithKernel(path string) Option { return func(o *options) { o.kernel = path } }

// WithHyperstart names the hyperstart binary to put in the initramfs.
func WithHyperstart(path string) Option { return func(o *options) { o.hyperstart = path } }

// WithCacheDir sets the cache for images and kernels.
func WithCacheDir(dir string) Option { return func(o *options) { o.cacheDir = dir } }

// WithInsecureRegistries allows plain HTTP to these registry hosts.
func WithInsecureRegistries(hosts ...string) Option {
	return func(o *options) { o.insecure = append(o.insecure, hosts...) }
}

// WithProgress shows progress of long steps (pulls, the kernel build) on
// w; tty says whether w is a terminal that can redraw lines.
func WithProgress(w io.Writer, tty bool) Option {
	return func(o *options) { o.progress, o.tty = w, tty }
}

// WithDiskFree leaves this many free bytes in the pod filesystem.
func WithDiskFree(n int64) Option { return func(o *options) { o.diskFree = n } }

// WithEpoch sets the build time recorded in the artifact (default:
// SOURCE_DATE_EPOCH, else now).
func WithEpoch(t time.Time) Option { return func(o *options) { o.epoch = t.UTC() } }

// WithWarnings receives warnings (e.g. no UEFI loader available).
func WithWarnings(f func(string)) Option { return func(o *options) { o.warn = f } }

// SourceDateEpoch honours SOURCE_DATE_EPOCH (reproducible-builds.org); a
// build without it records the current time.
func SourceDateEpoch() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Now().UTC().Truncate(time.Second)
}

// WithInputs names more files the build reads (the pod file, -var-files),
// which the output must not be; Build adds the kernel, hyperstart and
// local images itself.
func WithInputs(in ...Input) Option { return func(o *options) { o.inputs = append(o.inputs, in...) } }

// WithForce lets the output replace a regular file that is not a previous
// artifact (--force). Devices, directories and inputs stay refused.
func WithForce(force bool) Option { return func(o *options) { o.force = force } }

// WithStdout is where Build streams a raw image when out is Stdout.
func WithStdout(w io.Writer) Option { return func(o *options) { o.stdout = w } }
