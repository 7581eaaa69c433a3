package disk

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
	"github.com/diskfs/go-diskfs/partition/gpt"

	"github.com/hyperbuild/hyper/contract"
)

// Open opens the artifact at path, a file written by WriteImage or a
// directory written by WriteDir, and reads its manifest and command line.
func Open(path string) (*Image, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("opening artifact: %w", err)
	}
	var img *Image
	if fi.IsDir() {
		img, err = openDir(path)
	} else {
		img, err = openRaw(path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening artifact %s: %w", path, err)
	}
	return img, nil
}

func openDir(dir string) (*Image, error) {
	img := &Image{path: dir, dir: true, podPath: filepath.Join(dir, DirPodFS)}
	mb, err := os.ReadFile(filepath.Join(dir, DirManifest))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: no %s in the directory", ErrNotArtifact, DirManifest)
	}
	if err != nil {
		return nil, err
	}
	if img.manifest, err = decodeManifest(mb); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotArtifact, err)
	}
	cb, err := os.ReadFile(filepath.Join(dir, DirCmdline))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMissing, err)
	}
	img.cmdline = strings.TrimSuffix(string(cb), "\n")
	for _, n := range []string{DirKernel, DirInitrd} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMissing, err)
		}
	}
	st, err := os.Stat(img.podPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMissing, err)
	}
	img.podSize = st.Size()
	return img, nil
}

func openRaw(path string) (img *Image, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	img = &Image{path: path, f: f, podPath: path}
	t, err := gpt.Read(f, sectorSize, sectorSize)
	if err != nil {
		return nil, fmt.Errorf("%w: no GPT partition table: %w", ErrNotArtifact, err)
	}
	var esp, pod *PartitionInfo
	for _, p := range t.Partitions {
		if p.Type == gpt.Unused {
			continue
		}
		pi := PartitionInfo{
			Index: p.Index, Name: p.Name, Type: string(p.Type), GUID: p.GUID,
			Start: int64(p.Start) * sectorSize, Size: int64(p.End-p.Start+1) * sectorSize,
		}
		img.parts = append(img.parts, pi)
		switch {
		case p.Type == gpt.EFISystemPartition && esp == nil:
			esp = &img.parts[len(img.parts)-1]
		case p.Name == podName && pod == nil:
			pod = &img.parts[len(img.parts)-1]
		}
	}
	if esp == nil {
		return nil, fmt.Errorf("%w: no EFI System Partition", ErrMissing)
	}
	if pod == nil {
		return nil, fmt.Errorf("%w: no partition named %q", ErrMissing, podName)
	}
	img.podOff, img.podSize = pod.Start, pod.Size
	if err := checkExt4(f, pod.Start); err != nil {
		return nil, fmt.Errorf("%w: the pod partition %w", ErrNotArtifact, err)
	}
	img.espStart = esp.Start
	v, err := readFAT(f, esp.Start, esp.Size)
	if err == nil {
		err = v.walk(f, nil, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: the ESP: %w", ErrNotArtifact, err)
	}
	if img.esp, err = fat32.Read(file.New(f, true), esp.Size, esp.Start, sectorSize); err != nil {
		return nil, fmt.Errorf("%w: reading the ESP: %w", ErrNotArtifact, err)
	}
	mb, err := img.readESP(ESPManifest)
	if err != nil {
		return nil, err
	}
	if img.manifest, err = decodeManifest(mb); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotArtifact, err)
	}
	cb, err := img.readESP(ESPCmdline)
	if err != nil {
		return nil, err
	}
	img.cmdline = strings.TrimSuffix(string(cb), "\n")
	return img, nil
}

// checkExt4 checks an ext4 superblock's magic and label; the error says
// what is wrong, for the caller to say where.
func checkExt4(f io.ReaderAt, off int64) error {
	sb := make([]byte, 136)
	if _, err := f.ReadAt(sb, off+1024); err != nil {
		return fmt.Errorf("holds no ext4 filesystem: %w", err)
	}
	if sb[56] != 0x53 || sb[57] != 0xef {
		return errors.New("holds no ext4 filesystem")
	}
	if l := strings.TrimRight(string(sb[120:136]), "\x00"); l != contract.PodLabel {
		return fmt.Errorf("has the ext4 label %q, want %q", l, contract.PodLabel)
	}
	return nil
}
