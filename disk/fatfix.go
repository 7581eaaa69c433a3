package disk

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// go-diskfs stamps FAT directory entries with time.Now() (or
// SOURCE_DATE_EPOCH read from the environment), including the volume label
// and the "." and ".." entries that its Chtimes cannot reach; it points
// ".." of top-level directories at the root's cluster instead of 0; it
// leaves the volume serial at zero in reproducible mode and the FSInfo
// free count unknown. normalizeFAT fixes all of that, so that the ESP
// depends only on its contents and fsck.fat finds nothing to say.

type rwAt interface {
	io.ReaderAt
	io.WriterAt
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

func normalizeFAT(f rwAt, start, size int64, t time.Time, serial uint32) error {
	v, err := readFAT(f, start, size)
	if err != nil {
		return err
	}
	// Hidden sectors (the partition's first LBA) and the volume serial,
	// in the boot sector and its backup.
	var hidden, s [4]byte
	binary.LittleEndian.PutUint32(hidden[:], uint32(start/sectorSize))
	binary.LittleEndian.PutUint32(s[:], serial)
	for _, sec := range []int64{0, v.backupBoot} {
		if _, err := f.WriteAt(hidden[:], start+sec*v.bps+28); err != nil {
			return fmt.Errorf("writing the FAT boot sector: %w", err)
		}
		if _, err := f.WriteAt(s[:], start+sec*v.bps+67); err != nil {
			return fmt.Errorf("writing the FAT volume serial: %w", err)
		}
	}
	date, tm := fatDateTime(t)
	parent := map[uint32]uint32{} // directory cluster -> its parent's (0 for the root)
	stamp := func(e []byte, dir uint32) {
		e[13] = 0
		binary.LittleEndian.PutUint16(e[14:16], tm)
		binary.LittleEndian.PutUint16(e[16:18], date)
		binary.LittleEndian.PutUint16(e[18:20], date)
		binary.LittleEndian.PutUint16(e[22:24], tm)
		binary.LittleEndian.PutUint16(e[24:26], date)
		switch {
		case string(e[0:11]) == "..         ":
			p := parent[dir]
			binary.LittleEndian.PutUint16(e[20:22], uint16(p>>16))
			binary.LittleEndian.PutUint16(e[26:28], uint16(p))
		case e[0] != '.' && e[11]&0x10 != 0:
			sub := uint32(binary.LittleEndian.Uint16(e[20:22]))<<16 | uint32(binary.LittleEndian.Uint16(e[26:28]))
			if dir != v.rootCluster {
				parent[sub] = dir
			}
		}
	}
	if err := v.walk(f, f, stamp); err != nil {
		return err
	}
	return v.writeFSInfo(f)
}

// writeFSInfo records the free cluster count and the first free cluster in
// the FSInfo sector and its backup.
func (v *fatVolume) writeFSInfo(f io.WriterAt) error {
	free, first := uint32(0), uint32(0xffffffff)
	for c := uint32(2); c <= v.maxCluster; c++ {
		if v.next(c) == 0 {
			free++
			first = min(first, c)
		}
	}
	var b [8]byte
	binary.LittleEndian.PutUint32(b[0:4], free)
	binary.LittleEndian.PutUint32(b[4:8], first)
	for _, sec := range []int64{v.fsInfo, v.backupBoot + 1} {
		if _, err := f.WriteAt(b[:], v.start+sec*v.bps+488); err != nil {
			return fmt.Errorf("writing the FSInfo sector: %w", err)
		}
	}
	return nil
}
