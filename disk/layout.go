package disk

import (
	"crypto/sha256"
	"fmt"
	"path"
)

const (
	sectorSize = 512
	mib        = 1 << 20
	// fat32MinClusters is the smallest cluster count that firmware and
	// Linux take for FAT32 (fewer and they read the volume as FAT16).
	fat32MinClusters = 65525
	// Partition names in the GPT.
	espName = "hyper-efi"
	podName = "hyper-pod"
	// ESPLabel is the FAT volume label of the EFI System Partition.
	ESPLabel = "HYPER-EFI"
)

// layout is where everything goes, in bytes from the start of the disk.
type layout struct {
	espStart, espSize int64
	podStart, podSize int64
	total             int64
}

func planLayout(espSize, podFSSize int64) layout {
	l := layout{espStart: mib, espSize: espSize}
	l.podStart = l.espStart + l.espSize
	l.podSize = roundUp(podFSSize, mib)
	// The backup GPT (33 sectors) lives in the last MiB.
	l.total = l.podStart + l.podSize + mib
	return l
}

func roundUp(n, to int64) int64 { return (n + to - 1) / to * to }

// fatGeometry mirrors go-diskfs v1.9.4's fat32.Create: the cluster size
// it picks for a volume of size bytes (512-byte sectors) and the data
// clusters that leaves after 32 reserved sectors and two FATs.
func fatGeometry(size int64) (clusterBytes, clusters int64) {
	switch {
	case size <= 260*mib:
		clusterBytes = 512
	case size <= 8<<30:
		clusterBytes = 4 << 10
	case size <= 16<<30:
		clusterBytes = 8 << 10
	case size <= 32<<30:
		clusterBytes = 16 << 10
	default:
		clusterBytes = 32 << 10
	}
	spc := clusterBytes / sectorSize
	total := size / sectorSize
	denom := sectorSize*spc + 8
	spf := (4*(total-32) + denom - 1) / denom
	return clusterBytes, (total - 32 - 2*spf) / spc
}

// espSizeFor returns the smallest whole-MiB FAT32 volume (at least 65525
// clusters) that holds files (path -> size) and their directories.
func espSizeFor(files map[string]int64) int64 {
	for size := int64(33 * mib); ; size += mib {
		cb, clusters := fatGeometry(size)
		if clusters >= fat32MinClusters && clusters >= clustersNeeded(files, cb)+16 {
			return size
		}
	}
}

// clustersNeeded counts data clusters for the files and for directories
// with long-name entries (one 32-byte slot per 13 characters plus one).
func clustersNeeded(files map[string]int64, cb int64) int64 {
	children := map[string]map[string]bool{"/": {}}
	var n int64
	for p, size := range files {
		n += (size + cb - 1) / cb
		for c := p; c != "/"; c = path.Dir(c) {
			d := path.Dir(c)
			if children[d] == nil {
				children[d] = map[string]bool{}
			}
			children[d][path.Base(c)] = true
		}
	}
	for _, names := range children {
		slots := int64(2) // . and .. (the volume label in the root)
		for name := range names {
			slots += 1 + int64(len(name)+12)/13
		}
		n += (slots*32 + cb - 1) / cb
	}
	return n
}

// guid derives a stable GUID (RFC 9562 version 8) for what from the
// content hash, so that the same inputs give the same disk.
func guid(content [32]byte, what string) string {
	h := sha256.Sum256(append(content[:], what...))
	h[6] = h[6]&0x0f | 0x80
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
