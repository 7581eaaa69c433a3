package builder

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/formats"
)

// write makes the artifact at dest in o.format from a's parts: the disk
// package writes raw and dir (raw-bios with syslinux's boot path added);
// the other formats are converted from a raw image written in workDir.
func (o *options) write(ctx context.Context, dest string, a disk.Artifact, workDir string) error {
	tmp := disk.WithTempDir(workDir)
	switch {
	case o.format == FormatDir:
		return disk.WriteDir(ctx, dest, a, tmp)
	case o.format == FormatRaw:
		return o.writeImage(ctx, dest, a, tmp)
	case o.format == formats.RawBIOS:
		bios, err := formats.BIOSBoot(a.Cmdline)
		if err != nil {
			return err
		}
		return o.writeImage(ctx, dest, a, tmp, disk.WithBIOSBoot(bios))
	}
	// The clouds' and KubeVirt's VMs boot with legacy BIOS unless told
	// otherwise, so converted formats carry both boot paths when syslinux
	// is installed.
	raw := filepath.Join(workDir, "disk.img")
	opts := []disk.Option{tmp}
	bios, err := formats.BIOSBoot(a.Cmdline)
	switch {
	case err == nil:
		opts = append(opts, disk.WithBIOSBoot(bios))
	case errors.Is(err, formats.ErrMissingTool):
		o.warn(fmt.Sprintf("%s boots on UEFI machines only, not on legacy-BIOS ones: %v", dest, err))
	default:
		return err
	}
	if err := o.writeImage(ctx, raw, a, opts...); err != nil {
		return err
	}
	return formats.Convert(ctx, o.format, raw, dest, formats.WithEpoch(o.epoch), formats.WithTempDir(workDir))
}

func (o *options) writeImage(ctx context.Context, dest string, a disk.Artifact, opts ...disk.Option) error {
	warnings, err := disk.WriteImage(ctx, dest, a, opts...)
	for _, w := range warnings {
		o.warn(w)
	}
	return err
}
