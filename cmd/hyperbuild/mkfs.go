package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/builder"
	"github.com/hyperbuild/hyper/disk/ext4"
	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/internal/ctxio"
	"github.com/hyperbuild/hyper/internal/scratch"
	"github.com/hyperbuild/hyper/internal/units"
)

func newMkfs(stdout, stderr io.Writer) *cobra.Command {
	var (
		out, label, free string
		force            bool
	)
	cmd := &cobra.Command{
		Use:   "mkfs ROOTFS.tar -o ROOTFS.ext4",
		Short: "Write an ext4 filesystem from a tarball, rootless",
		Long: `mkfs streams a tar archive (plain; "-" reads standard input) into an ext4
filesystem image in one pass, like mke2fs -d but from a tarball, without root
and without extracting anything. Owners, modes, devices, hard links, xattrs
and nanosecond times (after 2038 too) are kept. The image has no journal and
is sized to its content plus --disk-free.

-o follows hyperbuild's rules: a new path, or a previous ext4 image
(--force: any regular file); never a device, fifo, socket, directory or the
tarball itself. -o - writes the image to standard output (not a terminal).`,
		Example: `  hyperbuild mkfs rootfs.tar -o rootfs.ext4 --label root
  docker export CONTAINER | hyperbuild mkfs - -o rootfs.ext4 --disk-free 64MiB
  hyperbuild mkfs rootfs.tar -o - | gzip > rootfs.ext4.gz`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return cli.Usage(fmt.Errorf("no output given: add -o ROOTFS.ext4"))
			}
			n, err := units.ParseSize(free)
			if err != nil {
				return cli.Usage(fmt.Errorf("--disk-free: %w", err))
			}
			if len(label) > 16 {
				return cli.Usage(fmt.Errorf("--label %q: %w", label, ext4.ErrLabelTooLong))
			}
			if err := checkStdout(out, stdout); err != nil {
				return err
			}
			dest := out
			if out != builder.Stdout {
				inputs := []builder.Input{{What: "the tarball", Path: args[0]}}
				if args[0] == "-" {
					inputs = nil
				}
				if dest, err = builder.CheckOutput(out, builder.OutputExt4, inputs, force); errors.Is(err, builder.ErrOutput) {
					return cli.Usage(err)
				} else if err != nil {
					return err
				}
			}
			in := cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			return mkfs(cmd.Context(), in, dest, label, n, stdout, stderr)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the ext4 image to write: a new path or a previous image (- for standard output)")
	cmd.Flags().StringVar(&label, "label", "", "filesystem label (at most 16 bytes)")
	cmd.Flags().StringVar(&free, "disk-free", "1MiB", "free space to leave in the filesystem")
	cmd.Flags().BoolVar(&force, "force", false, "let -o replace a regular file that is not an ext4 image")
	return cmd
}

// mkfs writes in a locked scratch directory beside out (for standard
// output, in the temporary directory) and renames at the end: a bad
// tarball or a full disk never leaves a partial image, and what a killed
// mkfs leaves is swept by the next build or mkfs there.
//
// A signal (ctx) stops it at once, even while it waits on a silent
// standard input: the writer is left to fail on its closed file.
func mkfs(ctx context.Context, in io.Reader, out, label string, free int64, stdout, stderr io.Writer) error {
	parent := filepath.Dir(out)
	if out == builder.Stdout {
		parent = os.TempDir()
	}
	scratch.Sweep(parent, builder.ScratchPrefix)
	work, err := scratch.New(parent, builder.ScratchPrefix)
	if err != nil {
		return fmt.Errorf("creating %s: %w", out, err)
	}
	defer work.Close()
	tmp, err := os.Create(work.Join("fs.ext4"))
	if err != nil {
		return fmt.Errorf("creating %s: %w", out, err)
	}
	defer tmp.Close()
	opts := []ext4.Option{ext4.WithFreeSpace(free), ext4.WithTime(builder.SourceDateEpoch())}
	if label != "" {
		opts = append(opts, ext4.WithLabel(label))
	}
	var st ext4.Stats
	done := make(chan error, 1)
	go func() {
		var err error
		st, err = ext4.Build(tmp, ctxio.Reader(ctx, in), opts...)
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = context.Cause(ctx)
	}
	if err != nil {
		return err
	}
	if out == builder.Stdout {
		// The image is sparse; a stream carries its holes as zeros.
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if _, err := io.Copy(stdout, ctxio.Reader(ctx, tmp)); err != nil {
			return fmt.Errorf("writing the image to standard output: %w", err)
		}
		fmt.Fprintf(stderr, "wrote the image to standard output (%s)\n", units.Human(st.Size))
		return nil
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	// Checked again: something may have appeared at out meanwhile.
	if fi, err := os.Lstat(out); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is no longer a regular file; not replacing it", builder.ErrOutput, out)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	fmt.Fprintf(stderr, "wrote %s (%s)\n", out, units.Human(st.Size))
	return nil
}
