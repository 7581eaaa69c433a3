package ext4

import (
	"syscall"
	"testing"
)

// TestLargeFreeSpace asks for 8 GiB of free space: the image must stay
// fsck-clean and the writer must not write the free blocks or the unused
// inode tables (the image file stays sparse).
func TestLargeFreeSpace(t *testing.T) {
	needTools(t)
	es, _ := fixture()
	img, st := buildImage(t, addOne(makeTar(t, es...)), WithFreeSpace(8<<30))
	fsck(t, img)
	if st.FreeBlocks < 8<<30/blockSize || st.Inodes < 8<<30/16384 {
		t.Errorf("stats %+v: want 8 GiB and 512k inodes free", st)
	}
	var fst syscall.Stat_t
	if err := syscall.Stat(img, &fst); err != nil {
		t.Fatal(err)
	}
	if allocated := fst.Blocks * 512; allocated > 32<<20 {
		t.Errorf("%d bytes allocated for an image of %d, want the free space left unwritten", allocated, st.Size)
	}
}
