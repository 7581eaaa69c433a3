package builder

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
)

// TestBuildDataDisk: a disk volume's data disk is made beside the
// artifact, seeded; a rebuild keeps it as it is; a disk of the wrong size
// stops the build before anything is written.
func TestBuildDataDisk(t *testing.T) {
	image := busyboxLayout(t)
	pod, dir := loadExample(t, "data.hcl", image)
	seed := t.TempDir()
	if err := os.WriteFile(filepath.Join(seed, "hello.txt"), []byte("seeded\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pod.Volumes[0].Seed = seed
	out := filepath.Join(t.TempDir(), "data.img")
	if _, err := Build(context.Background(), pod, dir, out, buildOpts(t)...); err != nil {
		t.Fatal(err)
	}
	dd := filepath.Join(filepath.Dir(out), "data.data.ext4")
	fi, err := os.Stat(dd)
	if err != nil || fi.Size() != 64<<20 {
		t.Fatalf("data disk: %v, %v", fi, err)
	}
	if _, err := exec.LookPath("debugfs"); err == nil {
		if out, err := exec.Command("e2fsck", "-fn", dd).CombinedOutput(); err != nil {
			t.Errorf("e2fsck: %v\n%s", err, out)
		}
		if got, err := exec.Command("debugfs", "-R", "cat /hello.txt", dd).Output(); err != nil || string(got) != "seeded\n" {
			t.Errorf("seeded file = %q, %v", got, err)
		}
	}

	// A rebuild keeps the disk: the same file, untouched.
	if err := os.WriteFile(filepath.Join(seed, "hello.txt"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), pod, dir, out, buildOpts(t)...); err != nil {
		t.Fatal(err)
	}
	fi2, err := os.Stat(dd)
	if err != nil || !os.SameFile(fi, fi2) || !fi2.ModTime().Equal(fi.ModTime()) {
		t.Errorf("rebuild replaced the data disk: %v, %v", fi2, err)
	}

	// The volume grew: the build stops before writing the artifact.
	pod.Volumes[0].SizeBytes = 128 << 20
	out2 := filepath.Join(filepath.Dir(out), "data2.img")
	if err := os.Link(dd, disk.DataDiskPath(out2, "data")); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), pod, dir, out2, buildOpts(t)...); !errors.Is(err, ErrOutput) || !errors.Is(err, disk.ErrDataDisk) {
		t.Errorf("Build with a data disk of the wrong size = %v, want ErrOutput and disk.ErrDataDisk", err)
	}
	if _, err := os.Stat(out2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused build wrote %s", out2)
	}
}

func TestGuestVolumesDropSeeds(t *testing.T) {
	in := []contract.Volume{{Name: "d", Type: contract.VolumeDisk, SizeBytes: 1 << 30, Seed: "/home/me/seed"}}
	got := guestVolumes(in)
	if got[0].Seed != "" || in[0].Seed == "" || got[0].SizeBytes != 1<<30 {
		t.Errorf("guestVolumes = %+v (input now %+v)", got, in)
	}
}
