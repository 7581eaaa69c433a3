package formats

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// fakeVMDK writes a VMDK4 header and a descriptor with the given CID, as
// qemu-img lays them out (descriptor at sector 1, one sector, NUL-padded).
func fakeVMDK(t *testing.T, cid string) string {
	t.Helper()
	b := make([]byte, 3*512)
	copy(b, "KDMV")
	binary.LittleEndian.PutUint64(b[28:], 1) // descriptor offset, sectors
	binary.LittleEndian.PutUint64(b[36:], 1) // descriptor size, sectors
	copy(b[512:], "# Disk DescriptorFile\nversion=1\nCID="+cid+"\nparentCID=ffffffff\ncreateType=\"streamOptimized\"\n")
	copy(b[1024:], "grains")
	p := filepath.Join(t.TempDir(), "d.vmdk")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFixVMDKCID: qemu-img's random CID, with or without leading zeros,
// becomes the same 8 digits, and the rest of the file is kept. Before,
// a CID printed with fewer digits ("7d8c2d", one time in sixteen) had its
// line overwritten into the next one, and two builds differed.
func TestFixVMDKCID(t *testing.T) {
	var first []byte
	for _, cid := range []string{"f1fa5883", "7d8c2d", "1", "0abc1234"} {
		p := fakeVMDK(t, cid)
		if err := fixVMDKCID(p); err != nil {
			t.Fatalf("CID=%s: %v", cid, err)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`\nCID=[0-9a-f]{8}\nparentCID=ffffffff\ncreateType="streamOptimized"\n\x00`).Match(got[512:1024]) {
			t.Fatalf("CID=%s: descriptor now %q", cid, bytes.TrimRight(got[512:1024], "\x00"))
		}
		if string(got[1024:1030]) != "grains" {
			t.Fatalf("CID=%s: the data after the descriptor moved", cid)
		}
		if first == nil {
			first = got
		} else if !bytes.Equal(got, first) {
			t.Fatalf("CID=%s: the fixed file differs from CID=f1fa5883's", cid)
		}
	}
}
