package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// fatVolume is a FAT32 volume's geometry and first FAT, checked against
// the partition it lives in. go-diskfs (v1.9.4) trusts what it reads: a
// huge sectors-per-FAT makes it allocate gigabytes, a looping cluster
// chain makes it loop forever, a chain shorter than its file makes it
// panic. Open checks a volume with check before go-diskfs reads it, and
// WriteImage rewrites go-diskfs's directory entries with stamp.
type fatVolume struct {
	start       int64 // volume offset on the disk
	bps, spc    int64
	reserved    int64
	fatStart    int64 // disk offsets
	dataStart   int64
	fsInfo      int64 // sectors from the volume start
	backupBoot  int64
	rootCluster uint32
	maxCluster  uint32 // highest valid cluster number
	fat         []byte // the first FAT, up to maxCluster
}

var errBadFAT = errors.New("bad FAT32 volume")

func readFAT(f io.ReaderAt, start, size int64) (*fatVolume, error) {
	b := make([]byte, sectorSize)
	if _, err := f.ReadAt(b, start); err != nil {
		return nil, fmt.Errorf("%w: reading the boot sector: %w", errBadFAT, err)
	}
	v := &fatVolume{
		start:       start,
		bps:         int64(binary.LittleEndian.Uint16(b[11:13])),
		spc:         int64(b[13]),
		reserved:    int64(binary.LittleEndian.Uint16(b[14:16])),
		fsInfo:      int64(binary.LittleEndian.Uint16(b[48:50])),
		backupBoot:  int64(binary.LittleEndian.Uint16(b[50:52])),
		rootCluster: binary.LittleEndian.Uint32(b[44:48]),
	}
	nfats := int64(b[16])
	spf := int64(binary.LittleEndian.Uint32(b[36:40]))
	total := int64(binary.LittleEndian.Uint32(b[32:36])) * v.bps
	switch {
	case b[510] != 0x55 || b[511] != 0xaa || string(b[82:87]) != "FAT32":
		return nil, fmt.Errorf("%w: no FAT32 boot sector", errBadFAT)
	case v.bps != 512 && v.bps != 4096, v.spc == 0 || v.spc&(v.spc-1) != 0:
		return nil, fmt.Errorf("%w: %d bytes per sector, %d sectors per cluster", errBadFAT, v.bps, v.spc)
	case nfats != 2 || v.reserved < 8 || v.fsInfo >= v.reserved || v.backupBoot+1 >= v.reserved:
		return nil, fmt.Errorf("%w: %d FATs, %d reserved sectors", errBadFAT, nfats, v.reserved)
	case total <= 0 || total > size || spf <= 0 || (v.reserved+2*spf)*v.bps >= total:
		return nil, fmt.Errorf("%w: %d bytes with %d-sector FATs in a %d-byte partition", errBadFAT, total, spf, size)
	}
	v.fatStart = start + v.reserved*v.bps
	v.dataStart = v.fatStart + 2*spf*v.bps
	clusters := (start + total - v.dataStart) / v.clusterBytes()
	entries := spf * v.bps / 4
	if clusters < 1 || entries < 3 {
		return nil, fmt.Errorf("%w: no data clusters", errBadFAT)
	}
	v.maxCluster = uint32(min(clusters+1, entries-1, 0x0ffffff6))
	if v.rootCluster < 2 || v.rootCluster > v.maxCluster {
		return nil, fmt.Errorf("%w: root directory at cluster %d", errBadFAT, v.rootCluster)
	}
	v.fat = make([]byte, (int64(v.maxCluster)+1)*4)
	if _, err := f.ReadAt(v.fat, v.fatStart); err != nil {
		return nil, fmt.Errorf("%w: reading the FAT: %w", errBadFAT, err)
	}
	return v, nil
}

func (v *fatVolume) clusterBytes() int64 { return v.bps * v.spc }

func (v *fatVolume) clusterOffset(c uint32) int64 {
	return v.dataStart + int64(c-2)*v.clusterBytes()
}

func (v *fatVolume) next(c uint32) uint32 {
	return binary.LittleEndian.Uint32(v.fat[c*4:]) & 0x0fffffff
}

// chain follows a cluster chain, refusing loops and clusters out of range.
func (v *fatVolume) chain(first uint32) ([]uint32, error) {
	var out []uint32
	for c := first; ; {
		if c < 2 || c > v.maxCluster {
			return nil, fmt.Errorf("%w: cluster chain from %d reaches cluster %d", errBadFAT, first, c)
		}
		if len(out) >= int(v.maxCluster) {
			return nil, fmt.Errorf("%w: cluster chain from %d loops", errBadFAT, first)
		}
		out = append(out, c)
		if c = v.next(c); c >= 0x0ffffff8 {
			return out, nil
		}
	}
}

// visitFn sees each short directory entry (32 bytes, changes are written
// back when walk has a writer) and the cluster of the directory holding it.
type visitFn func(e []byte, dir uint32)

// walk visits every directory entry reachable from the root and checks
// every chain: directories must not loop, files must have a cluster for
// each of their bytes. With w set, each directory cluster is written back
// after fn has seen its entries.
func (v *fatVolume) walk(r io.ReaderAt, w io.WriterAt, fn visitFn) error {
	seen := map[uint32]bool{}
	var dir func(first uint32, depth int) error
	dir = func(first uint32, depth int) error {
		if seen[first] || depth > 32 {
			return fmt.Errorf("%w: directory at cluster %d reached twice", errBadFAT, first)
		}
		seen[first] = true
		clusters, err := v.chain(first)
		if err != nil {
			return err
		}
		buf := make([]byte, v.clusterBytes())
		var subdirs []uint32
		for _, c := range clusters {
			off := v.clusterOffset(c)
			if _, err := r.ReadAt(buf, off); err != nil {
				return fmt.Errorf("reading a FAT directory: %w", err)
			}
			end := false
			for i := 0; i+32 <= len(buf); i += 32 {
				e := buf[i : i+32]
				if e[0] == 0 {
					end = true
					break
				}
				if e[0] == 0xe5 || e[11] == 0x0f {
					continue
				}
				if fn != nil {
					fn(e, first)
				}
				start := uint32(binary.LittleEndian.Uint16(e[20:22]))<<16 | uint32(binary.LittleEndian.Uint16(e[26:28]))
				size := int64(binary.LittleEndian.Uint32(e[28:32]))
				switch {
				case e[0] == '.' || e[11]&0x08 != 0: // . and .., volume label
				case e[11]&0x10 != 0:
					subdirs = append(subdirs, start)
				case size > 0:
					fc, err := v.chain(start)
					if err != nil {
						return err
					}
					if int64(len(fc))*v.clusterBytes() < size {
						return fmt.Errorf("%w: a %d-byte file has %d clusters", errBadFAT, size, len(fc))
					}
				}
			}
			if w != nil {
				if _, err := w.WriteAt(buf, off); err != nil {
					return fmt.Errorf("writing a FAT directory: %w", err)
				}
			}
			if end {
				break
			}
		}
		for _, s := range subdirs {
			if err := dir(s, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return dir(v.rootCluster, 0)
}
