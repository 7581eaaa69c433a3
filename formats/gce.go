package formats

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// gce writes what GCE's image import takes: a gzip'd tar holding one
// file, disk.raw, a whole number of GiB (the raw disk, its backup GPT
// moved to the new end), as GNU tar's oldgnu sparse entry (tar --format=oldgnu
// -S), so that the zeros of the disk cost nothing. Go's archive/tar reads
// sparse files but does not write them, so the entry is written here.
// The holes are found by content (blocks of zeros), not by the file
// system's holes, so the same disk gives the same bytes anywhere.
func (o options) gce(ctx context.Context, raw, out string) error {
	fi, err := os.Stat(raw)
	if err != nil {
		return err
	}
	// GCE takes disks of whole GiB: the disk grows, its zeros cost
	// nothing in the sparse tar.
	grown := filepath.Join(filepath.Dir(out), "disk.raw")
	if err := growGPT(ctx, raw, grown, (fi.Size()+gib-1)/gib*gib); err != nil {
		return err
	}
	defer os.Remove(grown)
	raw = grown
	src, err := os.Open(raw)
	if err != nil {
		return err
	}
	defer src.Close()
	fi, err = src.Stat()
	if err != nil {
		return err
	}
	regions, err := dataRegions(ctx, src, fi.Size())
	if err != nil {
		return err
	}
	dst, err := os.Create(out)
	if err != nil {
		return err
	}
	defer dst.Close()
	bw := bufio.NewWriterSize(dst, 1<<20)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return err
	}
	if err := writeSparseTar(ctx, zw, src, "disk.raw", fi.Size(), regions, o.epoch); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return dst.Close()
}

const gib = 1 << 30

// region is a run of data in a sparse file.
type region struct{ off, n int64 }

// dataRegions lists the runs of 4 KiB blocks that are not all zeros. It
// skips the file system's holes (SEEK_DATA, SEEK_HOLE), which hold zeros
// anyway, and looks at the rest block by block, so the runs depend on
// the content alone.
func dataRegions(ctx context.Context, f *os.File, size int64) ([]region, error) {
	var out []region
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size; {
		start, end := nextData(f, off, size)
		if start >= size {
			break
		}
		for at := start; at < end; at += int64(len(buf)) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			n, err := f.ReadAt(buf[:min(int64(len(buf)), end-at)], at)
			if err != nil && err != io.EOF {
				return nil, err
			}
			for i := 0; i < n; i += sparseBlock {
				e := min(i+sparseBlock, n)
				if isZero(buf[i:e]) {
					continue
				}
				b := at + int64(i)
				if k := len(out) - 1; k >= 0 && out[k].off+out[k].n == b {
					out[k].n += int64(e - i)
				} else {
					out = append(out, region{b, int64(e - i)})
				}
			}
		}
		off = end
	}
	return out, nil
}

// nextData is the next extent of f at or after off that may hold data,
// its ends aligned to sparseBlock; without SEEK_DATA, the rest of f.
func nextData(f *os.File, off, size int64) (start, end int64) {
	fd := int(f.Fd())
	d, err := unix.Seek(fd, off, unix.SEEK_DATA)
	if err != nil {
		if err == unix.ENXIO {
			return size, size // only a hole is left
		}
		return off, size
	}
	h, err := unix.Seek(fd, d, unix.SEEK_HOLE)
	if err != nil {
		h = size
	}
	start = max(off, d/sparseBlock*sparseBlock)
	end = min(size, (h+sparseBlock-1)/sparseBlock*sparseBlock)
	return start, end
}

// writeSparseTar writes one oldgnu sparse entry (type 'S': four map
// entries in the header, 21 in each extension block) and the tar's end.
func writeSparseTar(ctx context.Context, w io.Writer, src io.ReaderAt, name string, size int64, regions []region, mtime time.Time) error {
	m := append([]region(nil), regions...)
	if len(m) == 0 || m[len(m)-1].off+m[len(m)-1].n < size {
		m = append(m, region{size, 0}) // GNU tar's marker of a trailing hole
	}
	var stored int64
	for _, r := range regions {
		stored += r.n
	}
	var hdr [512]byte
	copy(hdr[0:100], name)
	octal(hdr[100:108], 0o644)
	octal(hdr[108:116], 0)
	octal(hdr[116:124], 0)
	numeric(hdr[124:136], stored)
	numeric(hdr[136:148], mtime.Unix())
	hdr[156] = 'S'
	copy(hdr[257:265], "ustar  \x00")
	copy(hdr[265:297], "root")
	copy(hdr[297:329], "root")
	for i := 0; i < 4 && i < len(m); i++ {
		numeric(hdr[386+24*i:398+24*i], m[i].off)
		numeric(hdr[398+24*i:410+24*i], m[i].n)
	}
	m = m[min(4, len(m)):]
	if len(m) > 0 {
		hdr[482] = 1
	}
	numeric(hdr[483:495], size)
	checksum(&hdr)
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	for len(m) > 0 {
		var ext [512]byte
		for i := 0; i < 21 && i < len(m); i++ {
			numeric(ext[24*i:24*i+12], m[i].off)
			numeric(ext[24*i+12:24*i+24], m[i].n)
		}
		m = m[min(21, len(m)):]
		if len(m) > 0 {
			ext[504] = 1
		}
		if _, err := w.Write(ext[:]); err != nil {
			return err
		}
	}
	buf := make([]byte, 1<<20)
	for _, r := range regions {
		for off := r.off; off < r.off+r.n; {
			if err := ctx.Err(); err != nil {
				return err
			}
			n := min(int64(len(buf)), r.off+r.n-off)
			if _, err := src.ReadAt(buf[:n], off); err != nil {
				return fmt.Errorf("reading %s at %d: %w", name, off, err)
			}
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
			off += n
		}
	}
	pad := (512 - stored%512) % 512
	_, err := w.Write(make([]byte, pad+1024)) // padding, then two zero blocks
	return err
}

// octal writes n as NUL-terminated octal digits filling b.
func octal(b []byte, n int64) {
	s := strconv.FormatInt(n, 8)
	for len(s) < len(b)-1 {
		s = "0" + s
	}
	copy(b, s)
	b[len(b)-1] = 0
}

// numeric writes n in octal when it fits, else in GNU's base-256 form
// (first byte 0x80), as GNU tar does for sizes of 8 GiB and more.
func numeric(b []byte, n int64) {
	if n >= 0 && n < 1<<(3*(len(b)-1)) {
		octal(b, n)
		return
	}
	for i := len(b) - 1; i > 0; i-- {
		b[i] = byte(n)
		n >>= 8
	}
	b[0] = 0x80
}

// checksum fills the header's checksum: the sum of its bytes with the
// field itself as spaces, six octal digits, NUL, space.
func checksum(h *[512]byte) {
	copy(h[148:156], "        ")
	var sum int64
	for _, x := range h {
		sum += int64(x)
	}
	octal(h[148:155], sum)
	h[155] = ' '
}
