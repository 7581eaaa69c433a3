package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/builder"
	"github.com/hyperbuild/hyper/disk/ext4"
	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/internal/units"
)

func newMkfs(stderr io.Writer) *cobra.Command {
	var out, label, free string
	cmd := &cobra.Command{
		Use:   "mkfs ROOTFS.tar -o ROOTFS.ext4",
		Short: "Write an ext4 filesystem from a tarball, rootless",
		Long: `mkfs streams a tar archive (plain; "-" reads standard input) into an ext4
filesystem image in one pass, like mke2fs -d but from a tarball, without root
and without extracting anything. Owners, modes, devices, hard links, xattrs
and nanosecond times (after 2038 too) are kept. The image has no journal and
is sized to its content plus --disk-free.`,
		Example: `  hyperbuild mkfs rootfs.tar -o rootfs.ext4 --label root
  docker export CONTAINER | hyperbuild mkfs - -o rootfs.ext4 --disk-free 64MiB`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return cli.Usage(fmt.Errorf("no output given: add -o ROOTFS.ext4"))
			}
			n, err := units.ParseSize(free)
			if err != nil {
				return cli.Usage(fmt.Errorf("--disk-free: %w", err))
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
			return mkfs(in, out, label, n, stderr)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the ext4 image to write")
	cmd.Flags().StringVar(&label, "label", "", "filesystem label (at most 16 bytes)")
	cmd.Flags().StringVar(&free, "disk-free", "1MiB", "free space to leave in the filesystem")
	return cmd
}

// mkfs writes in a locked scratch directory beside out and renames at the
// end: a bad tarball or a full disk never leaves a partial image, and what
// a killed mkfs leaves is swept by the next build or mkfs there.
func mkfs(in io.Reader, out, label string, free int64, stderr io.Writer) error {
	builder.SweepScratch(filepath.Dir(out))
	scratch, err := builder.NewScratch(filepath.Dir(out))
	if err != nil {
		return fmt.Errorf("creating %s: %w", out, err)
	}
	defer scratch.Close()
	tmp, err := os.Create(scratch.Path("fs.ext4"))
	if err != nil {
		return fmt.Errorf("creating %s: %w", out, err)
	}
	defer tmp.Close()
	opts := []ext4.Option{ext4.WithFreeSpace(free), ext4.WithTime(builder.SourceDateEpoch())}
	if label != "" {
		opts = append(opts, ext4.WithLabel(label))
	}
	st, err := ext4.Build(tmp, in, opts...)
	if err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	fmt.Fprintf(stderr, "wrote %s (%s)\n", out, units.Human(st.Size))
	return nil
}
