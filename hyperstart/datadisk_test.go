package hyperstart

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// fakeSys makes a sysfs block directory and a /dev: each disk with its
// serial ("" for none), partitions inside their disk's directory with a
// link in sysBlock, as sysfs has them.
func fakeSys(t *testing.T, disks map[string]string, parts map[string]string) (sysBlock, dev string) {
	t.Helper()
	dir := t.TempDir()
	devices := filepath.Join(dir, "devices")
	sysBlock, dev = filepath.Join(dir, "class", "block"), filepath.Join(dir, "dev")
	for _, d := range []string{sysBlock, dev} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, serial := range disks {
		os.MkdirAll(filepath.Join(devices, name), 0o755)
		if serial != "" {
			os.WriteFile(filepath.Join(devices, name, "serial"), []byte(serial+"\n"), 0o444)
		}
		os.Symlink(filepath.Join(devices, name), filepath.Join(sysBlock, name))
		os.WriteFile(filepath.Join(dev, name), make([]byte, 4096), 0o644)
	}
	for part, disk := range parts {
		p := filepath.Join(devices, disk, part)
		os.MkdirAll(p, 0o755)
		os.WriteFile(filepath.Join(p, "partition"), []byte("1\n"), 0o444)
		os.Symlink(p, filepath.Join(sysBlock, part))
	}
	return sysBlock, dev
}

func TestFindBySerials(t *testing.T) {
	sys, dev := fakeSys(t, map[string]string{"vda": "", "vdb": "data", "vdc": "logs"}, map[string]string{"vda2": "vda", "vdc1": "vdc"})
	got, err := FindBySerials(sys, dev, []string{"data", "logs"})
	if err != nil || got["data"] != filepath.Join(dev, "vdb") || got["logs"] != filepath.Join(dev, "vdc") || len(got) != 2 {
		t.Errorf("FindBySerials = %v, %v", got, err)
	}
	_, err = FindBySerials(sys, dev, []string{"data", "zz", "aa"})
	if !errors.Is(err, ErrNoDataDisk) || !strings.Contains(err.Error(), "aa, zz") {
		t.Errorf("FindBySerials(missing) = %v, want ErrNoDataDisk naming aa, zz", err)
	}
	if _, err := WaitForSerials(sys, dev, []string{"zz"}, 30*time.Millisecond, 10*time.Millisecond); !errors.Is(err, ErrNoDataDisk) {
		t.Errorf("WaitForSerials(missing) = %v", err)
	}
	if s := diskSerial(sys, "vdc1"); s != "logs" {
		t.Errorf("a partition's serial = %q, want its disk's", s)
	}
}

// TestFindByLabelSkipsDataDisks: a data disk labelled hyper-pod (a guest
// can write any label there) is never taken for the pod's disk.
func TestFindByLabelSkipsDataDisks(t *testing.T) {
	sys, dev := fakeSys(t, map[string]string{"vda": "", "vdb": "data"}, map[string]string{"vdb1": "vdb"})
	os.WriteFile(filepath.Join(dev, "vdb"), fakeExt4("hyper-pod"), 0o644)
	os.WriteFile(filepath.Join(dev, "vdb1"), fakeExt4("hyper-pod"), 0o644)
	if got, err := FindByLabel(sys, dev, "hyper-pod"); !errors.Is(err, ErrNoPodDisk) {
		t.Errorf("FindByLabel = %q, %v; want ErrNoPodDisk", got, err)
	}
	os.WriteFile(filepath.Join(dev, "vda"), fakeExt4("hyper-pod"), 0o644)
	if got, err := FindByLabel(sys, dev, "hyper-pod"); err != nil || got != filepath.Join(dev, "vda") {
		t.Errorf("FindByLabel = %q, %v; want vda", got, err)
	}
	// The kvm backend's artifact disk has a serial of its own.
	sys, dev = fakeSys(t, map[string]string{"vda": contract.ArtifactSerial, "vdb": "data"}, nil)
	os.WriteFile(filepath.Join(dev, "vda"), fakeExt4("hyper-pod"), 0o644)
	if got, err := FindByLabel(sys, dev, "hyper-pod"); err != nil || got != filepath.Join(dev, "vda") {
		t.Errorf("FindByLabel with the artifact's serial = %q, %v; want vda", got, err)
	}
}

func TestDataDiskPlan(t *testing.T) {
	p := testPod()
	p.Volumes[0] = contract.Volume{Name: "data", Type: contract.VolumeDisk, SizeBytes: 1 << 30}
	got := strings.Join(stepStrings(DataDiskPlan(p, map[string]string{"data": "/dev/vdb"})), "\n")
	if want := "mount /dev/vdb on /run/hyper/volumes/data (ext4) nosuid,nodev"; got != want {
		t.Errorf("DataDiskPlan = %q, want %q", got, want)
	}
	// PodPlan leaves the disk volume to DataDiskPlan: no tmpfs for it.
	if s := strings.Join(stepStrings(PodPlan(p, "/dev/vda")), "\n"); strings.Contains(s, "volumes/data") {
		t.Errorf("PodPlan mounts the disk volume:\n%s", s)
	}
}
