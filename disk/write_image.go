package disk

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/diskfs/go-diskfs/partition/gpt"
)

// WriteImage writes the raw GPT artifact to out (see the package doc for
// the layout). It returns warnings for the user, such as an artifact that
// only hyperboot can boot because systemd-boot was not found. out appears
// complete or not at all.
func WriteImage(ctx context.Context, out string, a Artifact, opts ...Option) (warnings []string, err error) {
	o := makeOptions(opts)
	sizes, err := a.sizes()
	if err != nil {
		return nil, fmt.Errorf("writing artifact %s: %w", out, err)
	}
	files := []espFile{
		{path: ESPKernel, src: a.Kernel, size: sizes.Kernel},
		{path: ESPInitrd, src: a.Initrd, size: sizes.Initrd},
		{path: ESPCmdline, data: []byte(a.Cmdline + "\n"), size: int64(len(a.Cmdline) + 1)},
	}
	m := a.Manifest
	m.Cmdline = a.Cmdline
	if fi, err := os.Stat(o.bootloader); o.bootloader != "" && err == nil && fi.Mode().IsRegular() {
		m.Bootloader = "systemd-boot"
		files = append(files, espFile{path: espLoader, src: o.bootloader, size: fi.Size()})
		files = append(files, loaderFiles(a.Cmdline, "hyper pod "+m.Pod)...)
	} else {
		where := o.bootloader
		if where == "" {
			where = "(none given)"
		}
		warnings = append(warnings, fmt.Sprintf("systemd-boot not found at %s (Debian package systemd-boot-efi): %s boots only with hyperboot, not on UEFI machines", where, out))
	}

	// The manifest records the ESP and image sizes, which depend a little
	// on the manifest's own size: size the ESP with room for the largest
	// numbers, then encode the final manifest.
	m.Sizes = sizes
	m.Sizes.ESP, m.Sizes.Image = 1<<62, 1<<62
	draft, err := m.encode()
	if err != nil {
		return nil, err
	}
	need := map[string]int64{ESPManifest: int64(len(draft))}
	for _, f := range files {
		need[f.path] = f.size
	}
	l := planLayout(espSizeFor(need), sizes.PodFS)
	m.Sizes.ESP, m.Sizes.Image = l.espSize, l.total
	mj, err := m.encode()
	if err != nil {
		return nil, err
	}
	files = append(files, espFile{path: ESPManifest, data: mj, size: int64(len(mj))})

	if err := writeAtomically(out, func(f *os.File) error { return writeImage(ctx, f, l, a, files, m) }); err != nil {
		return nil, fmt.Errorf("writing artifact %s: %w", out, err)
	}
	return warnings, nil
}

func writeImage(ctx context.Context, f *os.File, l layout, a Artifact, files []espFile, m Manifest) error {
	if err := f.Truncate(l.total); err != nil {
		return err
	}
	h := sha256.New()
	if err := writeESP(ctx, f, l.espStart, l.espSize, files, h); err != nil {
		return err
	}
	pod, err := os.Open(a.PodFS)
	if err != nil {
		return fmt.Errorf("pod filesystem: %w", err)
	}
	defer pod.Close()
	ph := sha256.New()
	n, err := copySparse(ctx, f, l.podStart, io.LimitReader(pod, m.Sizes.PodFS), ph)
	if err != nil {
		return fmt.Errorf("copying pod filesystem %s: %w", a.PodFS, err)
	}
	if n != m.Sizes.PodFS {
		return fmt.Errorf("pod filesystem %s: read %d bytes, want %d (file changed?)", a.PodFS, n, m.Sizes.PodFS)
	}
	fmt.Fprintf(h, "pod\x00%d\x00%x\n", n, ph.Sum(nil))
	var content [32]byte
	copy(content[:], h.Sum(nil))

	serial := sha256.Sum256(append(content[:], "fat-serial"...))
	if err := normalizeFAT(f, l.espStart, l.espSize, m.Built, binary.LittleEndian.Uint32(serial[:4])); err != nil {
		return fmt.Errorf("normalizing the ESP: %w", err)
	}
	return writeGPT(f, l, content)
}

func writeGPT(f *os.File, l layout, content [32]byte) error {
	t := &gpt.Table{
		LogicalSectorSize:  sectorSize,
		PhysicalSectorSize: sectorSize,
		ProtectiveMBR:      true,
		GUID:               guid(content, "disk"),
		Partitions: []*gpt.Partition{
			{
				Index: 1, Type: gpt.EFISystemPartition, Name: espName, GUID: guid(content, "esp"),
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

// writeAtomically runs write on a temporary file beside out and renames it
// to out when write succeeds; otherwise the temporary file is removed.
func writeAtomically(out string, write func(*os.File) error) (err error) {
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		return fmt.Errorf("%w: %s is a directory", ErrBadInput, out)
	}
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
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
	return os.Rename(f.Name(), out)
}
