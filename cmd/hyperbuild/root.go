package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/builder"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/formats"
	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/internal/units"
	"github.com/hyperbuild/hyper/internal/version"
	"github.com/hyperbuild/hyper/spec"
)

const rootExample = `  # Compile a pod into one bootable disk image, then boot it
  hyperbuild pod.hcl -o pod.img
  hyperboot pod.img

  # Set variables, use a local OCI layout, write a directory for qemu -kernel
  hyperbuild web.hcl -var image=oci:./busybox-oci:latest --format dir -o web/

  # Hyper's podfile.json works too
  hyperbuild podfile.json -o hello.img

  # A compressed qcow2 for OpenStack or libvirt; a KubeVirt containerDisk
  hyperbuild pod.hcl --format qcow2 -o pod.qcow2
  hyperbuild pod.hcl --format containerdisk -o pod-cdisk.tar

  # An SPDX SBOM of the pod's images, for the pipeline
  hyperbuild pod.hcl -o pod.img --sbom pod.spdx.json

  # Stream the image, e.g. onto a disk
  hyperbuild pod.hcl -o - | dd of=/dev/sdX bs=4M`

// specFlags are the flags that load a pod file.
type specFlags struct {
	vars     []string
	varFiles []string
}

func (f *specFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "set a pod-file variable: -var NAME=VALUE (repeatable)")
	cmd.Flags().StringArrayVar(&f.varFiles, "var-file", nil, "read variables from an HCL file (repeatable)")
}

// load parses and checks a pod file; diagnostics are printed here, once,
// with source snippets, and reported as a silent usage error (status 2).
func (f *specFlags) load(path string, stderr io.Writer) (*specResult, error) {
	vars := map[string]string{}
	for _, kv := range f.vars {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, cli.Usage(fmt.Errorf("-var %q: want NAME=VALUE", kv))
		}
		vars[k] = v
	}
	l := spec.NewLoader(spec.WithVars(vars), spec.WithVarFiles(f.varFiles...))
	pod, diags := l.Load(path)
	if diags.HasErrors() {
		l.WriteDiagnostics(stderr, diags, cli.IsTTY(stderr))
		return nil, &cli.ExitError{Status: cli.StatusUsage, Silent: true, Err: fmt.Errorf("%s: invalid pod", path)}
	}
	if len(diags) > 0 {
		l.WriteDiagnostics(stderr, diags, cli.IsTTY(stderr))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return &specResult{pod: pod, dir: filepath.Dir(abs)}, nil
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	var (
		sf       specFlags
		out      string
		format   string
		kernel   string
		hs       string
		diskFree string
		insecure []string
		quiet    bool
		force    bool
		sb       sbomFlags
		pf       publishFlags
	)
	cmd := &cobra.Command{
		Use:   "hyperbuild POD.hcl|POD.json -o OUT.img",
		Short: "Compile a pod into an immutable, bootable VM image",
		Long: `hyperbuild compiles a pod (one or more OCI/Docker images that run together)
into one artifact: the hyperkernel, an initramfs holding hyperstart (the
pod's PID 1) and an ext4 disk holding each image's flattened layers, in a
GPT image that boots with hyperboot or on any UEFI VM.

The pod file is HCL (see docs/pod-spec.md) or Hyper's podfile.json. Images
are referenced as skopeo does: busybox:1.36 (a registry, docker:// by
default), oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REF].

-o writes a new path, or replaces a previous artifact (a raw image whose
ESP holds hyper's manifest, or a --format dir directory); --force lets it
replace another regular file. It never writes over a device, a fifo, a
socket, a directory, or any input of the build (the pod file, -var-files,
--kernel, hyperstart, local images). -o - streams the raw image to
standard output (not to a terminal): hyperbuild POD -o - | dd of=DEVICE.

--format picks the artifact's shape: raw (GPT, UEFI), raw-bios (also boots
on legacy-BIOS machines), dir, qcow2 (compressed), vhd (fixed, Azure), gce
(disk.raw in a sparse tar.gz), vmdk (stream-optimized, AWS and VMware),
containerdisk (an OCI image archive for KubeVirt). qcow2 and vmdk need
qemu-img (Debian qemu-utils), raw-bios syslinux; the cloud formats carry
the BIOS path too when syslinux is installed. docs/deploy.md says how each
cloud takes them. With SOURCE_DATE_EPOCH set, every format is byte for
byte reproducible.

--sbom FILE also writes a software bill of materials: each image's
packages, from its dpkg (Debian, Ubuntu, distroless) or apk (Alpine)
database, as SPDX 2.3 JSON or, with --sbom-format cyclonedx, CycloneDX
1.5. It describes the roots on the pod disk, is reproducible with
SOURCE_DATE_EPOCH, and is written only when the build succeeds.

Exit status: 0 built, 1 the build failed, 2 bad command line, pod file or
output, 130/143 stopped by SIGINT/SIGTERM (a second one kills at once).
Nothing is written to -o unless the build succeeds. Work files go in a
.hyperbuild-* directory beside -o, locked while its build runs; one that a
killed build left is removed by the next build in that directory.`,
		Example: rootExample,
		// A misspelt subcommand reads as a pod file; suggest the command.
		SuggestionsMinimumDistance: 2,
		Version:                    version.String(),
		Args:                       cobra.ArbitraryArgs,
		SilenceUsage:               true,
		SilenceErrors:              true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cli.Usage(fmt.Errorf("no pod file given: hyperbuild POD.hcl -o OUT.img (see hyperbuild --help)"))
			}
			if err := notACommand(cmd, args[0]); err != nil {
				return err
			}
			if len(args) > 1 {
				return cli.Usage(fmt.Errorf("one pod file at a time, got %d arguments: %q", len(args), args))
			}
			if out == "" {
				return cli.Usage(fmt.Errorf("no output given: add -o OUT.img"))
			}
			f, err := formats.Parse(format)
			if err != nil {
				return cli.Usage(fmt.Errorf("--format: %w", err))
			}
			if err := checkStdout(out, stdout); err != nil {
				return err
			}
			if err := pf.check(out, f); err != nil {
				return err
			}
			free, err := units.ParseSize(diskFree)
			if err != nil {
				return cli.Usage(fmt.Errorf("--disk-free: %w", err))
			}
			sr, err := sf.load(args[0], stderr)
			if err != nil {
				return err
			}
			opts := []builder.Option{
				builder.WithFormat(f),
				builder.WithKernel(kernel),
				builder.WithHyperstart(hs),
				builder.WithDiskFree(free),
				builder.WithInsecureRegistries(insecure...),
				builder.WithWarnings(func(w string) { fmt.Fprintf(stderr, "hyperbuild: warning: %s\n", w) }),
				builder.WithInputs(sf.inputs(args[0])...),
				builder.WithForce(force),
				builder.WithStdout(stdout),
			}
			if !quiet {
				opts = append(opts, builder.WithProgress(stderr, cli.IsTTY(stderr)))
			}
			opts = append(opts, pf.options()...)
			sbOpts, err := sb.options(cmd)
			if err != nil {
				return err
			}
			opts = append(opts, sbOpts...)
			res, err := builder.Build(cmd.Context(), sr.pod, sr.dir, out, opts...)
			if errors.Is(err, builder.ErrOutput) {
				return cli.Usage(err)
			}
			if err != nil {
				return err
			}
			if !quiet {
				where := res.Output
				if where == builder.Stdout {
					where = "the image to standard output"
				}
				fmt.Fprintf(stderr, "built %s (%s, %s) in %.1fs: pod %q, %d container(s)\n",
					where, res.Format, units.Human(res.Size), res.Elapsed.Seconds(), res.Pod.Name, len(res.Pod.Containers))
			}
			sb.report(stderr, quiet)
			return pf.finish(cmd.Context(), res, insecure, stdout, stderr, quiet)
		},
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	sf.register(cmd)
	sb.register(cmd)
	pf.register(cmd.Flags())
	fl := cmd.Flags()
	fl.StringVarP(&out, "output", "o", "", "write the artifact here: a new path or a previous artifact (a file; a directory with --format dir; - streams a raw image to standard output)")
	fl.BoolVar(&force, "force", false, "let -o replace a regular file that is not a previous artifact")
	fl.StringVar(&format, "format", "raw", "output format: raw (one GPT disk image), dir (bzImage, initrd.img, pod.ext4, ...), qcow2, vhd, gce, vmdk, raw-bios or containerdisk (see docs/deploy.md)")
	fl.StringVar(&kernel, "kernel", "", "boot this bzImage instead of the hyperkernel")
	fl.StringVar(&hs, "hyperstart", "", "the hyperstart binary to use (default: beside hyperbuild, or $HYPER_HYPERSTART)")
	fl.StringVar(&diskFree, "disk-free", "1MiB", "free space to leave in the pod filesystem")
	fl.StringArrayVar(&insecure, "insecure-registry", nil, "allow plain HTTP to this registry host (localhost is always allowed)")
	fl.BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors")
	cmd.AddCommand(newValidate(stdout, stderr), newInspect(stdout), newMkfs(stdout, stderr), newKernel(stdout, stderr), newCache(stdout), newFmt(stdout, stderr), newPush(stdout, stderr), newPull(stdout, stderr))
	completions(cmd)
	cli.Teach(cmd)
	return cmd
}

// completions tells the shell what each argument is: pod files (.hcl,
// podfile.json) for the build and validate, artifacts (.img, or artifact
// directories) for inspect, and so on; directories are offered to descend
// into.
func completions(root *cobra.Command) {
	pods := cli.CompleteFiles(".hcl", ".json")
	root.ValidArgsFunction = pods
	// Setting up a completion for a flag this command has cannot fail.
	var values []string
	for _, f := range formats.All() {
		values = append(values, string(f)+"\t"+f.About())
	}
	_ = root.RegisterFlagCompletionFunc("format", cli.CompleteValues(values...))
	for _, c := range root.Commands() {
		switch c.Name() {
		case "validate":
			c.ValidArgsFunction = pods
		case "inspect":
			c.ValidArgsFunction = cli.CompleteFiles(".img")
		case "mkfs":
			c.ValidArgsFunction = cli.CompleteFiles(".tar")
		case "fmt":
			c.ValidArgsFunction = cli.CompleteFileArgs(".hcl")
		}
	}
}

// notACommand refuses a pod-file argument that names no file and looks
// like a command (a bare word: no "/", no "."), such as "images" or a
// misspelt "valdate": hyperbuild has no such command, and it is no pod
// file either.
func notACommand(cmd *cobra.Command, arg string) error {
	if arg == "" || strings.ContainsAny(arg, "/.") || strings.HasPrefix(arg, "-") {
		return nil
	}
	if _, err := os.Lstat(arg); err == nil {
		return nil
	}
	if arg == "version" {
		return cli.Usage(fmt.Errorf("unknown command %q for %q: did you mean \"hyperbuild --version\"?", arg, cmd.CommandPath()))
	}
	return cli.Usage(fmt.Errorf("%w (and no file %q exists to read as a pod file)", cli.UnknownCommand(cmd, arg), arg))
}

// inputs are the files the pod file's loading read, which -o may not be.
func (f *specFlags) inputs(pod string) []builder.Input {
	in := []builder.Input{{What: "the pod file", Path: pod}}
	for _, v := range f.varFiles {
		in = append(in, builder.Input{What: "a -var-file", Path: v})
	}
	return in
}

// checkStdout refuses -o - when standard output is a terminal: an image
// is binary, and megabytes of it would only garble the screen.
func checkStdout(out string, stdout io.Writer) error {
	if out == builder.Stdout && cli.IsTTY(stdout) {
		return cli.Usage(errors.New("-o - writes the image to standard output, which is a terminal; redirect it (-o - > pod.img) or pipe it (-o - | dd of=DEVICE)"))
	}
	return nil
}

type specResult struct {
	pod *contract.Pod
	dir string
}
