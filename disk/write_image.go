package disk

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/diskfs/go-diskfs/partition/gpt"
)

// WriteImage writes the raw GPT artifact to out (see the package doc for
// the layout). It returns warnings for the user, such as an artifact that
// only hyperboot can boot because systemd-boot was not found. out appears
// complete or not at all.
func WriteImage(ctx context.Context, out string, a Artifact, opts ...Option) (warnings []string, err error) {
	o := makeOptions(opts)
	p, err := planImage(out, a, o)
	if err != nil {
		return nil, fmt.Errorf("writing artifact %s: %w", out, err)
	}
	if err := writeAtomically(out, o.tempDir, func(f *os.File) error { return p.write(ctx, f) }); err != nil {
		return nil, fmt.Errorf("writing artifact %s: %w", out, err)
	}
	return p.warnings, nil
}

// imagePlan is everything decided before the first byte is written.
type imagePlan struct {
	a        Artifact
	bios     *BIOSBoot
	m        Manifest
	l        layout
	files    []espFile
	warnings []string
}

func planImage(out string, a Artifact, o options) (*imagePlan, error) {
	sizes, err := a.sizes()
	if err != nil {
		return nil, err
	}
	p := &imagePlan{a: a, m: a.Manifest, bios: o.bios}
	p.m.Cmdline = a.Cmdline
	p.files = []espFile{
		{path: ESPKernel, src: a.Kernel, size: sizes.Kernel},
		{path: ESPInitrd, src: a.Initrd, size: sizes.Initrd},
		{path: ESPCmdline, data: []byte(a.Cmdline + "\n"), size: int64(len(a.Cmdline) + 1)},
	}
	if fi, err := os.Stat(o.bootloader); o.bootloader != "" && err == nil && fi.Mode().IsRegular() {
		p.m.Bootloader = "systemd-boot"
		p.files = append(p.files, espFile{path: espLoader, src: o.bootloader, size: fi.Size()})
		p.files = append(p.files, loaderFiles(a.Cmdline, "hyper pod "+p.m.Pod)...)
	} else {
		where := o.bootloader
		if where == "" {
			where = "(none given)"
		}
		p.warnings = append(p.warnings, fmt.Sprintf("systemd-boot not found at %s (Debian package systemd-boot-efi): %s boots only with hyperboot, not on UEFI machines", where, out))
	}

	if err := p.addBIOS(); err != nil {
		return nil, err
	}

	// The manifest records the ESP and image sizes, which depend a little
	// on the manifest's own size: size the ESP with room for the largest
	// numbers, then encode the final manifest.
	p.m.Sizes = sizes
	p.m.Sizes.ESP, p.m.Sizes.Image = 1<<62, 1<<62
	draft, err := p.m.encode()
	if err != nil {
		return nil, err
	}
	need := map[string]int64{ESPManifest: int64(len(draft))}
	for _, f := range p.files {
		need[f.path] = f.size
	}
	if p.bios != nil {
		need["/.bios-reserve"] = p.bios.Reserve // kept free for Install
	}
	p.l = planLayout(espSizeFor(need), sizes.PodFS)
	p.m.Sizes.ESP, p.m.Sizes.Image = p.l.espSize, p.l.total
	mj, err := p.m.encode()
	if err != nil {
		return nil, err
	}
	p.files = append(p.files, espFile{path: ESPManifest, data: mj, size: int64(len(mj))})
	return p, nil
}

// write fills f: the ESP, then the pod partition, then (from the hash of
// both) the FAT serial and the GPT with its GUIDs.
func (p *imagePlan) write(ctx context.Context, f *os.File) error {
	l := p.l
	if err := f.Truncate(l.total); err != nil {
		return err
	}
	h := sha256.New()
	if err := writeESP(ctx, f, l.espStart, l.espSize, p.files, h); err != nil {
		return err
	}
	if p.bios != nil {
		if err := p.bios.Install(f, l.espStart); err != nil {
			return fmt.Errorf("installing the BIOS boot loader: %w", err)
		}
		fmt.Fprintf(h, "bios\x00%x\n", sha256.Sum256(p.bios.MBR))
	}
	pod, err := os.Open(p.a.PodFS)
	if err != nil {
		return fmt.Errorf("pod filesystem: %w", err)
	}
	defer pod.Close()
	ph := sha256.New()
	want := p.m.Sizes.PodFS
	n, err := copySparse(ctx, f, l.podStart, io.LimitReader(pod, want), ph)
	if err != nil {
		return fmt.Errorf("copying pod filesystem %s: %w", p.a.PodFS, err)
	}
	if n != want {
		return fmt.Errorf("pod filesystem %s: read %d bytes, want %d (file changed?)", p.a.PodFS, n, want)
	}
	fmt.Fprintf(h, "pod\x00%d\x00%x\n", n, ph.Sum(nil))
	var content [32]byte
	copy(content[:], h.Sum(nil))

	serial := sha256.Sum256(append(content[:], "fat-serial"...))
	if err := normalizeFAT(f, l.espStart, l.espSize, p.m.Built, binary.LittleEndian.Uint32(serial[:4])); err != nil {
		return fmt.Errorf("normalizing the ESP: %w", err)
	}
	if err := writeGPT(f, l, content, p.bios != nil); err != nil {
		return err
	}
	if p.bios != nil {
		if _, err := f.WriteAt(p.bios.MBR, 0); err != nil {
			return fmt.Errorf("writing the MBR boot code: %w", err)
		}
	}
	return nil
}

// addBIOS checks the BIOS boot path and adds its files to the ESP.
func (p *imagePlan) addBIOS() error {
	b := p.bios
	if b == nil {
		return nil
	}
	if len(b.MBR) == 0 || len(b.MBR) > mbrCodeSize || b.Install == nil || b.Reserve < 0 {
		return fmt.Errorf("%w: BIOS boot path needs 1..%d bytes of MBR code (got %d) and an installer", ErrBadInput, mbrCodeSize, len(b.MBR))
	}
	names := make([]string, 0, len(b.Files))
	for name := range b.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p.files = append(p.files, espFile{path: name, data: b.Files[name], size: int64(len(b.Files[name]))})
	}
	if p.m.Bootloader != "" && b.Name != "" {
		p.m.Bootloader += "+" + b.Name
	} else if b.Name != "" {
		p.m.Bootloader = b.Name
	}
	return nil
}

// mbrCodeSize is the MBR's boot code area, before the disk signature and
// the partition table.
const mbrCodeSize = 440

// legacyBIOSBootable is the GPT partition attribute (bit 2) by which
// BIOS boot code such as syslinux's gptmbr.bin finds the partition to boot.
const legacyBIOSBootable = 1 << 2

func writeGPT(f *os.File, l layout, content [32]byte, bios bool) error {
	var espAttrs uint64
	if bios {
		espAttrs = legacyBIOSBootable
	}
	t := &gpt.Table{
		LogicalSectorSize:  sectorSize,
		PhysicalSectorSize: sectorSize,
		ProtectiveMBR:      true,
		GUID:               guid(content, "disk"),
		Partitions: []*gpt.Partition{
			{
				Index: 1, Type: gpt.EFISystemPartition, Name: espName, GUID: guid(content, "esp"), Attributes: espAttrs,
				Start: uint64(l.espStart / sectorSize), End: uint64((l.espStart+l.espSize)/sectorSize - 1),
				Size: uint64(l.espSize),
			},
			{
				Index: 2, Type: gpt.LinuxFilesystem, Name: podName, GUID: guid(content, "pod"),
				Start: uint64(l.podStart / sectorSize), End: uint64((l.podStart+l.podSize)/sectorSize - 1),
				Size: uint64(l.podSize),
			},
		},
	}
	if err := t.Write(f, l.total); err != nil {
		return fmt.Errorf("writing the GPT: %w", err)
	}
	return nil
}

// writeAtomically runs write on a temporary file in tempDir (default:
// beside out) and renames it to out when write succeeds; otherwise the
// temporary file is removed. It replaces nothing but a regular file.
func writeAtomically(out, tempDir string, write func(*os.File) error) (err error) {
	if err := replaceableFile(out); err != nil {
		return err
	}
	if tempDir == "" {
		tempDir = filepath.Dir(out)
	}
	f, err := os.CreateTemp(tempDir, "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	// Checked again: the write may have taken minutes.
	if err = replaceableFile(out); err != nil {
		return err
	}
	return os.Rename(f.Name(), out)
}

// replaceableFile refuses an out that a rename would destroy: anything
// but a regular file or nothing (a directory, a device, a fifo, a
// socket, a symlink, which the rename would replace rather than follow).
func replaceableFile(out string) error {
	fi, err := os.Lstat(out)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is %s, not a regular file; not replacing it", ErrBadInput, out, FileKind(fi.Mode()))
	}
	return nil
}

// FileKind names a file's type for an error message ("a named pipe
// (fifo)").
func FileKind(m os.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&os.ModeSymlink != 0:
		return "a symlink"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe (fifo)"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}
