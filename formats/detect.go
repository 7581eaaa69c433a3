package formats

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"syscall"
)

// Detect says which converted format the file at path is in, by its
// magic numbers and first entries: a qcow2 or VMDK header, a fixed VHD's
// footer, a gzip'd tar starting with disk.raw (gce), or an OCI layout tar
// (containerdisk). It reads only headers. ok is false for anything else,
// a raw image included (disk.Open reads those).
func Detect(path string) (f Format, ok bool) {
	// Never open a fifo or a device: opening a fifo blocks until a
	// writer comes. O_NONBLOCK covers a file swapped in after the Stat.
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	file, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", false
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	var head [512]byte
	n, _ := io.ReadFull(file, head[:])
	switch {
	case n >= 4 && string(head[:4]) == "QFI\xfb":
		return QCOW2, true
	case n >= 4 && string(head[:4]) == "KDMV":
		return VMDK, true
	case n >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return gceTar(file)
	}
	if fi.Size() >= 1024 && fi.Size()%512 == 0 {
		var foot [512]byte
		if _, err := file.ReadAt(foot[:], fi.Size()-512); err == nil &&
			string(foot[:8]) == "conectix" && binary.BigEndian.Uint32(foot[60:64]) == 2 {
			return VHD, true
		}
	}
	if ociTar(file) {
		return ContainerDiskFormat, true
	}
	return "", false
}

func gceTar(f *os.File) (Format, bool) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", false
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", false
	}
	h, err := tar.NewReader(zr).Next()
	if err != nil || h.Name != "disk.raw" {
		return "", false
	}
	return GCE, true
}

// ociTar reports whether f is a tar holding oci-layout and index.json
// (reading at most 16 headers; tar skips file contents by seeking).
func ociTar(f *os.File) bool {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return false
	}
	tr := tar.NewReader(f)
	seen := map[string]bool{}
	for i := 0; i < 16; i++ {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Name == "oci-layout" {
			b, err := io.ReadAll(io.LimitReader(tr, 256))
			seen[h.Name] = err == nil && bytes.Contains(b, []byte("imageLayoutVersion"))
		}
		seen[h.Name] = seen[h.Name] || h.Name == "index.json"
	}
	return seen["oci-layout"] && seen["index.json"]
}
