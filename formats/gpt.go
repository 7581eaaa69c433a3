package formats

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
)

const sector = 512

// growGPT copies the GPT disk at raw to out, size bytes long (at least
// raw's size), sparse, with the backup GPT moved to the new end and the
// headers and the protective MBR saying so: the disk a cloud makes from
// an image of whole GiB, with hyper's partitions where they were. What
// stood where the old backup GPT was becomes zeros.
func growGPT(ctx context.Context, raw, out string, size int64) error {
	src, err := os.Open(raw)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(out)
	if err != nil {
		return err
	}
	defer dst.Close()
	old, err := copySparse(ctx, dst, src, sha256.New())
	if err != nil {
		return err
	}
	if size < old || size%sector != 0 {
		return fmt.Errorf("growing a %d-byte disk to %d bytes", old, size)
	}
	hdr := make([]byte, sector)
	if _, err := dst.ReadAt(hdr, sector); err != nil {
		return fmt.Errorf("reading the GPT header: %w", err)
	}
	le := binary.LittleEndian
	hsize := le.Uint32(hdr[12:16])
	if string(hdr[0:8]) != "EFI PART" || hsize < 92 || hsize > sector || le.Uint64(hdr[24:32]) != 1 {
		return fmt.Errorf("%s has no GPT header at LBA 1", raw)
	}
	entries := int64(le.Uint32(hdr[80:84])) * int64(le.Uint32(hdr[84:88]))
	entrySectors := (entries + sector - 1) / sector
	oldAlt := int64(le.Uint64(hdr[32:40]))
	if oldAlt != old/sector-1 || entrySectors <= 0 || entrySectors > 1024 {
		return fmt.Errorf("%s: backup GPT at LBA %d of %d sectors, %d entry sectors: not hyper's layout", raw, oldAlt, old/sector, entrySectors)
	}
	table := make([]byte, entrySectors*sector)
	if _, err := dst.ReadAt(table, 2*sector); err != nil {
		return fmt.Errorf("reading the GPT entries: %w", err)
	}
	// The old backup (entries, then header) becomes zeros.
	if _, err := dst.WriteAt(make([]byte, (entrySectors+1)*sector), (oldAlt-entrySectors)*sector); err != nil {
		return err
	}
	if err := dst.Truncate(size); err != nil {
		return err
	}
	last := size/sector - 1
	le.PutUint64(hdr[32:40], uint64(last))                // AlternateLBA
	le.PutUint64(hdr[48:56], uint64(last-entrySectors-1)) // LastUsableLBA
	primary := gptHeaderCRC(hdr, hsize)
	backup := append([]byte(nil), hdr...)
	le.PutUint64(backup[24:32], uint64(last))              // MyLBA
	le.PutUint64(backup[32:40], 1)                         // AlternateLBA
	le.PutUint64(backup[72:80], uint64(last-entrySectors)) // PartitionEntryLBA
	backup = gptHeaderCRC(backup, hsize)
	for _, w := range []struct {
		b   []byte
		off int64
	}{{primary, sector}, {table, (last - entrySectors) * sector}, {backup, last * sector}} {
		if _, err := dst.WriteAt(w.b, w.off); err != nil {
			return err
		}
	}
	// The protective MBR's one partition covers the disk (or 2 TiB).
	var n [4]byte
	le.PutUint32(n[:], uint32(min(last, 0xffffffff)))
	if _, err := dst.WriteAt(n[:], 446+12); err != nil {
		return err
	}
	return dst.Close()
}

func gptHeaderCRC(h []byte, size uint32) []byte {
	binary.LittleEndian.PutUint32(h[16:20], 0)
	binary.LittleEndian.PutUint32(h[16:20], crc32.ChecksumIEEE(h[:size]))
	return h
}
