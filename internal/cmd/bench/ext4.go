package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
)

// ext4 compares `hyperbuild mkfs` with extract + `mke2fs -d` on the ext4
// package's generated ~20k-file / ~200 MB tree (hard links, devices,
// xattrs, setuid files, a 5,000-entry directory).
func (b *bench) ext4() error {
	if _, err := exec.LookPath("mke2fs"); err != nil {
		return fmt.Errorf("mke2fs not installed (make deps)")
	}
	tarPath := filepath.Join(b.work, "tree.tar")
	testBin := filepath.Join(b.work, "ext4.test")
	if _, err := timed(nil, "go", "test", "-c", "-o", testBin, "./disk/ext4"); err != nil {
		return err
	}
	if _, err := timed([]string{"EXT4_GEN_TAR=" + tarPath}, testBin, "-test.run", "^TestBenchTreeFile$"); err != nil {
		return err
	}
	ours := filepath.Join(b.work, "ours.ext4")
	hb := filepath.Join(b.bin, "hyperbuild")
	m, err := median(b.runs, func() (measured, error) {
		os.Remove(ours)
		return timed(nil, hb, "mkfs", tarPath, "-o", ours)
	})
	if err != nil {
		return err
	}
	data, err := dataBytes(tarPath)
	if err != nil {
		return err
	}
	base, err := median(b.runs, func() (measured, error) { return b.extractMke2fs(tarPath, data) })
	if err != nil {
		return err
	}
	b.add(Row{Area: "ext4", What: "tar → ext4, ~20k files / ~200 MB", Value: m.wall.Seconds(), Unit: "s",
		Baseline: base.wall.Seconds(), BaseWhat: "tar -x + mke2fs -d", Goal: "≥ 6× faster (ratio ≤ 0.17)"})
	b.add(Row{Area: "ext4", What: "peak RSS", Value: m.rssMiB, Unit: "MiB", Baseline: base.rssMiB, BaseWhat: "tar -x + mke2fs -d", Goal: "≤ 64 MiB"})
	st, err := os.Stat(ours)
	if err != nil {
		return err
	}
	b.add(Row{Area: "ext4", What: "image size / file data", Value: float64(st.Size()) / float64(data), Unit: "×", Goal: "≤ 1.05× block-rounded data"})
	return nil
}

// extractMke2fs is the baseline: unpack the tarball, then mke2fs -d.
func (b *bench) extractMke2fs(tarPath string, data int64) (measured, error) {
	dir := filepath.Join(b.work, "extract")
	img := filepath.Join(b.work, "mke2fs.ext4")
	os.RemoveAll(dir)
	os.Remove(img)
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return measured{}, err
	}
	x, err := timed(nil, "tar", "-xpf", tarPath, "-C", dir, "--xattrs", "--xattrs-include=*")
	if err != nil {
		return x, err
	}
	size := fmt.Sprintf("%dk", data*13/10/1024+16384)
	mk, err := timed(nil, "mke2fs", "-q", "-F", "-t", "ext4", "-O", "^has_journal", "-d", dir, img, size)
	if err != nil {
		return mk, err
	}
	return measured{wall: x.wall + mk.wall, rssMiB: max(x.rssMiB, mk.rssMiB)}, nil
}

// dataBytes is the tarball's file data, block-rounded as a filesystem
// stores it, from `tar -tvf`'s sizes.
func dataBytes(tarPath string) (int64, error) {
	out, err := exec.Command("tar", "-tvf", tarPath).Output()
	if err != nil {
		return 0, fmt.Errorf("listing %s: %w", tarPath, err)
	}
	re := regexp.MustCompile(`(?m)^-\S+\s+\S+\s+(\d+)\s`)
	var n int64
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		v, _ := strconv.ParseInt(m[1], 10, 64)
		n += (v + 4095) &^ 4095
	}
	return n, nil
}
