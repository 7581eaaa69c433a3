package disk

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// go-diskfs stamps FAT directory entries with time.Now() (or
// SOURCE_DATE_EPOCH read from the environment), including the volume label
// and the "." and ".." entries that its Chtimes cannot reach, and leaves
// the volume serial at zero in reproducible mode. fixFAT rewrites every
// timestamp in the tree to t and sets the serial, in the primary and the
// backup boot sector, so that the ESP depends only on its contents.

type rwAt interface {
	io.ReaderAt
	io.WriterAt
}

type fatGeom struct {
	start          int64 // volume offset on the disk
	bps, spc       int64
	fatStart       int64
	dataStart      int64
	backupBoot     int64
	fsInfo         int64
	totalBytes     int64
	rootCluster    uint32
	clusterEntries uint32 // FAT entries available
}

func readFATGeom(f io.ReaderAt, start int64) (fatGeom, error) {
	b := make([]byte, sectorSize)
	if _, err := f.ReadAt(b, start); err != nil {
		return fatGeom{}, fmt.Errorf("reading the FAT boot sector: %w", err)
	}
	g := fatGeom{
		start:       start,
		bps:         int64(binary.LittleEndian.Uint16(b[11:13])),
		spc:         int64(b[13]),
		backupBoot:  int64(binary.LittleEndian.Uint16(b[50:52])),
		fsInfo:      int64(binary.LittleEndian.Uint16(b[48:50])),
		rootCluster: binary.LittleEndian.Uint32(b[44:48]),
	}
	reserved := int64(binary.LittleEndian.Uint16(b[14:16]))
	nfats := int64(b[16])
	spf := int64(binary.LittleEndian.Uint32(b[36:40]))
	if b[510] != 0x55 || b[511] != 0xaa || g.bps == 0 || g.spc == 0 || spf == 0 || string(b[82:87]) != "FAT32" {
		return fatGeom{}, fmt.Errorf("%w: no FAT32 boot sector", ErrNotArtifact)
	}
	g.fatStart = start + reserved*g.bps
	g.dataStart = g.fatStart + nfats*spf*g.bps
	g.clusterEntries = uint32(spf * g.bps / 4)
	g.totalBytes = int64(binary.LittleEndian.Uint32(b[32:36])) * g.bps
	return g, nil
}

func (g fatGeom) clusterBytes() int64 { return g.bps * g.spc }

func (g fatGeom) clusterOffset(c uint32) int64 {
	return g.dataStart + int64(c-2)*g.clusterBytes()
}

// chain follows a cluster chain in the first FAT.
func (g fatGeom) chain(f io.ReaderAt, first uint32) ([]uint32, error) {
	var out []uint32
	var e [4]byte
	for c := first; c >= 2 && c < 0x0ffffff8; {
		if c >= g.clusterEntries || len(out) > int(g.clusterEntries) {
			return nil, fmt.Errorf("%w: FAT cluster chain from %d is broken at %d", ErrNotArtifact, first, c)
		}
		out = append(out, c)
		if _, err := f.ReadAt(e[:], g.fatStart+int64(c)*4); err != nil {
			return nil, fmt.Errorf("reading the FAT: %w", err)
		}
		c = binary.LittleEndian.Uint32(e[:]) & 0x0fffffff
	}
	return out, nil
}

// fatDateTime encodes t (UTC; clamped to FAT's 1980..2107) as FAT's date
// and 2-second-resolution time.
func fatDateTime(t time.Time) (date, tm uint16) {
	t = t.UTC()
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if t.Year() > 2107 {
		t = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
	}
	date = uint16(t.Year()-1980)<<9 | uint16(t.Month())<<5 | uint16(t.Day())
	tm = uint16(t.Hour())<<11 | uint16(t.Minute())<<5 | uint16(t.Second()/2)
	return date, tm
}

func fixFAT(f rwAt, start int64, t time.Time, serial uint32) error {
	g, err := readFATGeom(f, start)
	if err != nil {
		return err
	}
	// Hidden sectors (the partition's first LBA) and the volume serial.
	var hidden, s [4]byte
	binary.LittleEndian.PutUint32(hidden[:], uint32(start/sectorSize))
	binary.LittleEndian.PutUint32(s[:], serial)
	for _, sec := range []int64{0, g.backupBoot} {
		if _, err := f.WriteAt(hidden[:], start+sec*g.bps+28); err != nil {
			return fmt.Errorf("writing the FAT boot sector: %w", err)
		}
		if _, err := f.WriteAt(s[:], start+sec*g.bps+67); err != nil {
			return fmt.Errorf("writing the FAT volume serial: %w", err)
		}
	}
	date, tm := fatDateTime(t)
	if err := g.stampDir(f, g.rootCluster, 0, date, tm, 0); err != nil {
		return err
	}
	return g.fixFSInfo(f)
}

// fixFSInfo records the free cluster count and the next free cluster in
// the FSInfo sector and its backup (go-diskfs leaves them "unknown",
// which fsck.fat reports).
func (g fatGeom) fixFSInfo(f rwAt) error {
	fat := make([]byte, int64(g.clusterEntries)*4)
	if _, err := f.ReadAt(fat, g.fatStart); err != nil {
		return fmt.Errorf("reading the FAT: %w", err)
	}
	clusters := uint32((g.totalBytes - (g.dataStart - g.start)) / g.clusterBytes())
	free, next := uint32(0), uint32(0xffffffff)
	for c := uint32(2); c < clusters+2 && c < g.clusterEntries; c++ {
		if binary.LittleEndian.Uint32(fat[c*4:])&0x0fffffff == 0 {
			free++
			if next == 0xffffffff {
				next = c
			}
		}
	}
	var b [8]byte
	binary.LittleEndian.PutUint32(b[0:4], free)
	binary.LittleEndian.PutUint32(b[4:8], next)
	for _, sec := range []int64{g.fsInfo, g.backupBoot + 1} {
		if _, err := f.WriteAt(b[:], g.start+sec*g.bps+488); err != nil {
			return fmt.Errorf("writing the FSInfo sector: %w", err)
		}
	}
	return nil
}

// stampDir sets the timestamps in the directory at cluster first and
// below, and points ".." at parent (0 for the root, as the FAT spec and
// fsck.fat want; go-diskfs writes the root's cluster number).
func (g fatGeom) stampDir(f rwAt, first, parent uint32, date, tm uint16, depth int) error {
	if depth > 16 {
		return fmt.Errorf("%w: FAT directories nested too deep", ErrNotArtifact)
	}
	clusters, err := g.chain(f, first)
	if err != nil {
		return err
	}
	buf := make([]byte, g.clusterBytes())
	for _, c := range clusters {
		off := g.clusterOffset(c)
		if _, err := f.ReadAt(buf, off); err != nil {
			return fmt.Errorf("reading a FAT directory: %w", err)
		}
		var subdirs []uint32
		end := false
		for i := 0; i+32 <= len(buf) && !end; i += 32 {
			e := buf[i : i+32]
			switch {
			case e[0] == 0:
				end = true
				continue
			case e[0] == 0xe5 || e[11] == 0x0f: // deleted, long-name slot
				continue
			}
			e[13] = 0
			binary.LittleEndian.PutUint16(e[14:16], tm)
			binary.LittleEndian.PutUint16(e[16:18], date)
			binary.LittleEndian.PutUint16(e[18:20], date)
			binary.LittleEndian.PutUint16(e[22:24], tm)
			binary.LittleEndian.PutUint16(e[24:26], date)
			if string(e[0:11]) == "..         " {
				binary.LittleEndian.PutUint16(e[20:22], uint16(parent>>16))
				binary.LittleEndian.PutUint16(e[26:28], uint16(parent))
			}
			if e[11]&0x10 != 0 && e[0] != '.' {
				sub := uint32(binary.LittleEndian.Uint16(e[20:22]))<<16 | uint32(binary.LittleEndian.Uint16(e[26:28]))
				subdirs = append(subdirs, sub)
			}
		}
		if _, err := f.WriteAt(buf, off); err != nil {
			return fmt.Errorf("writing a FAT directory: %w", err)
		}
		for _, sub := range subdirs {
			p := first
			if first == g.rootCluster {
				p = 0
			}
			if err := g.stampDir(f, sub, p, date, tm, depth+1); err != nil {
				return err
			}
		}
		if end {
			break
		}
	}
	return nil
}
