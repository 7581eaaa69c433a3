package formats

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/hyperbuild/hyper/disk"
)

// The legacy-BIOS boot path is syslinux's: gptmbr.bin in the protective
// MBR finds the partition marked "legacy BIOS bootable" (the ESP), runs
// its FAT boot sector, which loads ldlinux.sys and ldlinux.c32, which read
// /syslinux.cfg and boot the ESP's own bzImage and initrd. So one ESP
// serves both firmwares, with one copy of the kernel. GRUB's BIOS path
// would need a BIOS boot partition and grub-bios-setup, which wants a
// block device; syslinux installs into an image file through mtools.

// gptMBRPaths are where Debian's syslinux-common puts gptmbr.bin.
var gptMBRPaths = []string{"/usr/lib/syslinux/mbr/gptmbr.bin", "/usr/lib/SYSLINUX/gptmbr.bin"}

// syslinuxReserve is the room kept in the ESP for ldlinux.sys (58 KiB)
// and ldlinux.c32 (117 KiB) in syslinux 6.04, with some to spare.
const syslinuxReserve = 512 << 10

// syslinuxFiles reads gptmbr.bin.
func syslinuxFiles() ([]byte, error) {
	for _, p := range gptMBRPaths {
		b, err := os.ReadFile(p)
		if err == nil {
			if len(b) != 440 {
				return nil, fmt.Errorf("%s: %d bytes, want the 440 of MBR boot code", p, len(b))
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("--format %s needs syslinux's gptmbr.bin (%s): %w (install the Debian package syslinux-common)", RawBIOS, gptMBRPaths[0], ErrMissingTool)
}

// BIOSBoot returns the legacy-BIOS boot path for disk.WithBIOSBoot: an
// artifact written with it boots on UEFI (systemd-boot) and on BIOS
// (syslinux) machines alike, with the kernel command line cmdline.
func BIOSBoot(cmdline string, opts ...Option) (*disk.BIOSBoot, error) {
	o := makeOptions(opts)
	if err := checkTool(RawBIOS, o); err != nil {
		return nil, err
	}
	mbr, err := syslinuxFiles()
	if err != nil {
		return nil, err
	}
	return &disk.BIOSBoot{
		MBR:     mbr,
		Files:   map[string][]byte{"/syslinux.cfg": syslinuxConfig(cmdline)},
		Reserve: syslinuxReserve,
		Install: o.installSyslinux,
		Name:    "syslinux",
	}, nil
}

func syslinuxConfig(cmdline string) []byte {
	return []byte(fmt.Sprintf("DEFAULT hyper\nPROMPT 0\nTIMEOUT 0\nLABEL hyper\n  LINUX %s\n  INITRD %s\n  APPEND %s\n",
		disk.ESPKernel, disk.ESPInitrd, cmdline))
}

// installSyslinux writes syslinux's FAT boot sector, ldlinux.sys and
// ldlinux.c32 into the volume at espStart, through mtools: no loop
// device, no root.
func (o options) installSyslinux(f *os.File, espStart int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"--offset", strconv.FormatInt(espStart, 10), "--install", f.Name()}
	cmd := exec.CommandContext(ctx, o.syslinux, args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", o.syslinux, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}
