package formats

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Convert writes the raw GPT image at raw to out in format f (one of the
// Converted formats). out appears complete or not at all: the format is
// written in a temporary directory beside it and renamed into place.
func Convert(ctx context.Context, f Format, raw, out string, opts ...Option) error {
	o := makeOptions(opts)
	if !f.Converted() {
		return fmt.Errorf("converting to %q: %w (Convert makes %s, %s, %s, %s and %s)", f, ErrUnknownFormat, QCOW2, VHD, GCE, VMDK, ContainerDiskFormat)
	}
	if err := checkTool(f, o); err != nil {
		return err
	}
	fi, err := os.Stat(raw)
	if err != nil {
		return fmt.Errorf("converting to %s: %w", f, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("converting to %s: %s is not a regular file", f, raw)
	}
	err = writeAtomically(out, o.tempDir, func(tmp string) error {
		switch f {
		case QCOW2:
			return o.qcow2(ctx, raw, tmp)
		case VMDK:
			return o.vmdk(ctx, raw, tmp)
		case VHD:
			return o.vhd(ctx, raw, tmp)
		case GCE:
			return o.gce(ctx, raw, tmp)
		default:
			return o.containerDisk(ctx, raw, tmp)
		}
	})
	if err != nil {
		return fmt.Errorf("converting %s to %s: %w", raw, f, err)
	}
	return nil
}

// checkTool fails before any work when f needs a program that is not
// installed, and names the Debian package that has it.
func checkTool(f Format, o options) error {
	switch f {
	case QCOW2, VMDK:
		return lookTool(o.qemuImg, f, "qemu-utils")
	case RawBIOS:
		return lookTool(o.syslinux, f, "syslinux (with syslinux-common)")
	}
	return nil
}

// NeedsTool fails when format f cannot be made here for want of a program,
// naming the Debian package to install. raw, dir, vhd, gce and
// containerdisk need none.
func NeedsTool(f Format, opts ...Option) error {
	o := makeOptions(opts)
	if err := checkTool(f, o); err != nil {
		return err
	}
	if f == RawBIOS {
		_, err := syslinuxFiles()
		return err
	}
	return nil
}

func lookTool(name string, f Format, pkg string) error {
	if _, err := execLookPath(name); err != nil {
		return fmt.Errorf("--format %s needs %s: %w (install the Debian package %s)", f, name, ErrMissingTool, pkg)
	}
	return nil
}

// writeAtomically runs write with a path in a new temporary directory
// in tempDir (default: beside out), whose base name is always "disk" plus
// out's extension (formats record their own file name: VMDK's descriptor
// does), then renames the result to out. It replaces only a regular file.
func writeAtomically(out, tempDir string, write func(tmp string) error) (err error) {
	if err := replaceable(out); err != nil {
		return err
	}
	if tempDir == "" {
		tempDir = filepath.Dir(out)
	}
	dir, err := os.MkdirTemp(tempDir, "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "disk"+filepath.Ext(out))
	if err := write(tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := replaceable(out); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

func replaceable(out string) error {
	fi, err := os.Lstat(out)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file; not replacing it", out)
	}
	return nil
}

func syncFile(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
