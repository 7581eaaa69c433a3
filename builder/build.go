package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/formats"
	"github.com/hyperbuild/hyper/initrd"
	"github.com/hyperbuild/hyper/internal/scratch"
	"github.com/hyperbuild/hyper/internal/version"
	"github.com/hyperbuild/hyper/kernelcfg"
	"github.com/hyperbuild/hyper/layers"
	"github.com/hyperbuild/hyper/layers/imageref"
)

// BaseCmdline is what every artifact's kernel command line starts with
// (kernelcfg.BootArgs: the serial console, quiet, reboot on panic); the
// pod's kernel { cmdline } follows it, so the pod can override (a later
// loglevel= or debug wins over quiet).
var BaseCmdline = strings.Join(kernelcfg.BootArgs, " ")

// Result says what a build made.
type Result struct {
	Pod      *contract.Pod
	Output   string
	Format   Format
	Kernel   *kernelcfg.Kernel
	Manifest disk.Manifest
	Size     int64
	Elapsed  time.Duration
	// SBOM is the path the SBOM was written to (WithSBOM); "" without one.
	SBOM string
}

// Build compiles a loaded pod into an artifact at out ("-", Stdout, with
// WithStdout: a raw image streamed there). baseDir is the pod file's
// directory (relative image paths are resolved against it). The pod's
// containers get their digests and final processes filled in. Before any
// slow step, CheckOutput decides whether out may be written (ErrOutput).
// On any error, or when ctx is cancelled, nothing is left at out.
func Build(ctx context.Context, pod *contract.Pod, baseDir, out string, opts ...Option) (*Result, error) {
	start := time.Now()
	o := makeOptions(opts...)
	hs, err := findHyperstart(o.hyperstart)
	if err != nil {
		return nil, err
	}
	dest, err := o.destination(out, o.inputsOf(pod, baseDir, hs))
	if err != nil {
		return nil, err
	}
	if err := formats.NeedsTool(o.format); err != nil {
		return nil, err
	}
	dataDisks, err := o.planDataDisks(pod, out)
	if err != nil {
		return nil, err
	}
	if err := o.checkSBOM(out, dest, o.inputsOf(pod, baseDir, hs)); err != nil {
		return nil, err
	}
	defer o.sbom.discard()
	k, err := o.kernelFor(ctx, pod)
	if err != nil {
		return nil, err
	}
	images, err := o.resolve(ctx, pod, baseDir)
	if err != nil {
		return nil, err
	}

	// What a killed build left beside the output goes first.
	scratch.Sweep(filepath.Dir(dest), ScratchPrefix)
	work, err := scratch.New(filepath.Dir(dest), ScratchPrefix)
	if err != nil {
		return nil, err
	}
	defer work.Close()
	if out == Stdout {
		dest = work.Join("pod.img")
	}

	fsPath := work.Join("pod.ext4")
	fsSize, err := writePodFS(ctx, fsPath, pod, images, o.diskFree, o.epoch, o.sbom)
	if err != nil {
		return nil, err
	}
	if err := o.sbom.render(pod, images, &o); err != nil {
		return nil, err
	}
	rdPath := work.Join("initrd.img")
	if err := writeInitrd(rdPath, hs, pod, o.epoch); err != nil {
		return nil, err
	}

	cmdline := strings.TrimSpace(BaseCmdline + " " + pod.Kernel.Cmdline)
	a := disk.Artifact{
		Kernel:    k.Path,
		Initrd:    rdPath,
		Cmdline:   cmdline,
		PodFS:     fsPath,
		PodFSSize: fsSize,
		Manifest:  manifest(pod, k, cmdline, o.epoch),
	}
	if err := o.write(ctx, dest, a, work.Path); err != nil {
		return nil, err
	}
	// After the artifact, which is then whole: a failure here leaves no
	// partial disk, and the next build makes it.
	if err := o.makeDataDisks(dataDisks); err != nil {
		return nil, err
	}
	if err := o.sbom.commit(); err != nil {
		return nil, err
	}
	var size int64
	if out == Stdout {
		size, err = copyOut(ctx, o.stdout, dest)
	} else {
		size, err = outputSize(dest)
	}
	if err != nil {
		return nil, err
	}
	return &Result{Pod: pod, Output: out, Format: o.format, Kernel: k, Manifest: a.Manifest, Size: size, Elapsed: time.Since(start), SBOM: o.sbom.written()}, nil
}

// destination checks out and returns the path to write; for Stdout, a
// path in the temporary directory, where the scratch directory goes.
func (o *options) destination(out string, inputs []Input) (string, error) {
	if out == Stdout {
		switch {
		case o.format == FormatDir:
			return "", fmt.Errorf("%w: -o - streams a raw image to standard output; --format dir writes a directory, so name one", ErrOutput)
		case o.stdout == nil:
			return "", fmt.Errorf("%w: -o -: no standard output to write to", ErrOutput)
		}
		return filepath.Join(os.TempDir(), "pod.img"), nil
	}
	kind := OutputRaw
	if o.format == FormatDir {
		kind = OutputDir
	}
	return CheckOutput(out, kind, inputs, o.force)
}

// inputsOf lists what the build reads from files: the caller's (the pod
// file, -var-files), the kernel, hyperstart and local images.
func (o *options) inputsOf(pod *contract.Pod, baseDir, hyperstart string) []Input {
	in := append([]Input(nil), o.inputs...)
	in = append(in, Input{"the kernel", o.kernel}, Input{"the kernel", pod.Kernel.Path}, Input{"hyperstart", hyperstart})
	for _, c := range pod.Containers {
		if ref, err := imageref.Parse(c.Image); err == nil && ref.IsLocal() {
			in = append(in, Input{fmt.Sprintf("container %q's image", c.Name), ref.Resolve(baseDir).Path})
		}
	}
	return in
}

// resolve pins every container's image by digest and merges its config
// into the container's final process.
func (o *options) resolve(ctx context.Context, pod *contract.Pod, baseDir string) ([]*layers.Image, error) {
	lopts := []layers.Option{layers.WithBaseDir(baseDir), layers.WithProgress(o.progress, o.tty)}
	if o.cacheDir != "" {
		lopts = append(lopts, layers.WithCacheDir(o.cacheDir))
	}
	if len(o.insecure) > 0 {
		lopts = append(lopts, layers.WithInsecureRegistries(o.insecure...))
	}
	resolvers := map[string]*layers.Resolver{}
	images := make([]*layers.Image, len(pod.Containers))
	for i := range pod.Containers {
		c := &pod.Containers[i]
		r, ok := resolvers[c.Platform]
		if !ok {
			popts := lopts
			if c.Platform != "" {
				popts = append(popts[:len(popts):len(popts)], layers.WithPlatform(c.Platform))
			}
			r = layers.NewResolver(popts...)
			resolvers[c.Platform] = r
		}
		img, err := r.Resolve(ctx, c.Image)
		if err != nil {
			return nil, fmt.Errorf("container %q: %w", c.Name, err)
		}
		proc, err := layers.Merge(*c, &img.Config)
		if err != nil {
			return nil, fmt.Errorf("container %q: %w", c.Name, err)
		}
		c.Digest, c.Process = img.Digest, proc
		images[i] = img
	}
	return images, nil
}

// writeInitrd puts hyperstart and the guest's copy of the contract into
// the initramfs. File contents are already in the containers' roots, so
// the guest's copy leaves them out.
func writeInitrd(path, hyperstart string, pod *contract.Pod, epoch time.Time) error {
	guest := *pod
	guest.Files = nil
	guest.Volumes = guestVolumes(pod.Volumes)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating the initramfs: %w", err)
	}
	defer f.Close()
	if err := initrd.Write(f, hyperstart, &guest, initrd.WithMTime(epoch)); err != nil {
		return fmt.Errorf("writing the initramfs: %w", err)
	}
	return f.Close()
}

func manifest(pod *contract.Pod, k *kernelcfg.Kernel, cmdline string, epoch time.Time) disk.Manifest {
	m := disk.ManifestFor(pod)
	m.Built = epoch
	m.HyperVersion = version.String()
	m.Kernel = disk.KernelInfo{Version: k.Version, ConfigHash: k.ConfigHash}
	m.Cmdline = cmdline
	return m
}

func outputSize(out string) (int64, error) {
	var n int64
	err := filepath.Walk(out, func(_ string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("measuring %s: %w", out, err)
	}
	return n, nil
}

// PodJSON is the normalized contract as `hyperbuild validate --json` shows it.
func PodJSON(pod *contract.Pod) ([]byte, error) {
	b, err := json.MarshalIndent(pod, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Resolve pins each container's image and merges its config, as Build
// does, without writing anything but the image cache (validate --resolve).
func Resolve(ctx context.Context, pod *contract.Pod, baseDir string, opts ...Option) error {
	o := makeOptions(opts...)
	_, err := o.resolve(ctx, pod, baseDir)
	return err
}
