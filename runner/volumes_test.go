package runner

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
)

func volumesManifest() disk.Manifest {
	return disk.Manifest{
		Pod: "store",
		Volumes: []contract.Volume{
			{Name: "data", Type: contract.VolumeDisk, SizeBytes: 16 << 20},
			{Name: "src", Type: contract.VolumeHost},
			{Name: "tmp", Type: contract.VolumeTmpfs},
		},
		Containers: []disk.ManifestContainer{
			{Name: "app", Mounts: []contract.Mount{{Volume: "data", Path: "/data"}, {Volume: "src", Path: "/src"}, {Volume: "tmp", Path: "/tmp"}}},
		},
	}
}

func mustBind(t *testing.T, s string) VolumeBinding {
	t.Helper()
	b, err := ParseVolumeBinding(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBindVolumes: the data disk beside the artifact by default, -v in
// both forms, a new disk made where -v points at nothing, the lock that
// keeps a second run off a disk in use, and the errors before boot.
func TestBindVolumes(t *testing.T) {
	dir := t.TempDir()
	artifact := filepath.Join(dir, "store.img")
	m := volumesManifest()
	if err := disk.CreateDataDisk(disk.DataDiskPath(artifact, "data"), m.Volumes[0], time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	v, err := bindVolumes(m, artifact, []VolumeBinding{mustBind(t, src+":/src:ro")}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.disks) != 1 || v.disks[0] != (DataDisk{Name: "data", Path: filepath.Join(dir, "store.data.ext4")}) {
		t.Errorf("disks = %+v", v.disks)
	}
	if len(v.shares) != 1 || v.shares[0] != (Share{Name: "src", Path: src, ReadOnly: true}) {
		t.Errorf("shares = %+v", v.shares)
	}

	// A second run while the first holds the disk.
	_, err = bindVolumes(m, artifact, []VolumeBinding{mustBind(t, src+":src")}, io.Discard)
	if !errors.Is(err, ErrVolumeBusy) {
		t.Errorf("second bind = %v, want ErrVolumeBusy", err)
	}
	v.Close()
	v2, err := bindVolumes(m, artifact, []VolumeBinding{mustBind(t, src+":src")}, io.Discard)
	if err != nil {
		t.Errorf("bind after Close: %v", err)
	}
	v2.Close()

	// -v NAME=PATH where nothing is: a new disk, said so.
	other := filepath.Join(t.TempDir(), "other.ext4")
	var msgs strings.Builder
	v3, err := bindVolumes(m, artifact, []VolumeBinding{mustBind(t, "data="+other), mustBind(t, src+":src")}, &msgs)
	if err != nil {
		t.Fatal(err)
	}
	v3.Close()
	if fi, err := os.Stat(other); err != nil || fi.Size() != 16<<20 || !strings.Contains(msgs.String(), "made an empty data disk") {
		t.Errorf("new disk: %v, %v; said %q", fi, err, msgs.String())
	}

	wrongSize := filepath.Join(t.TempDir(), "wrong.ext4")
	if err := disk.CreateDataDisk(wrongSize, contract.Volume{Name: "data", Type: contract.VolumeDisk, SizeBytes: 32 << 20}, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	notExt4 := filepath.Join(t.TempDir(), "zeros")
	os.WriteFile(notExt4, make([]byte, 16<<20), 0o600)
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	bad := []struct {
		binds []string
		want  string
	}{
		{nil, "host directory: bind one with -v DIR:src or -v DIR:/src"},
		{[]string{src + ":/nowhere"}, "no container mounts a volume at /nowhere"},
		{[]string{src + ":nope"}, `no volume "nope"`},
		{[]string{src + ":tmp"}, "binds to nothing"},
		{[]string{src + ":src", src + ":/src"}, "both bind volume"},
		{[]string{file + ":src"}, "not a directory"},
		{[]string{"data=" + wrongSize, src + ":src"}, "33554432 bytes, the volume is 16777216"},
		{[]string{"data=" + notExt4, src + ":src"}, "not an ext4 filesystem"},
		{[]string{"data=" + dir, src + ":src"}, "is a directory"},
	}
	for _, tt := range bad {
		var bs []VolumeBinding
		for _, s := range tt.binds {
			bs = append(bs, mustBind(t, s))
		}
		v, err := bindVolumes(m, artifact, bs, io.Discard)
		if err == nil || !errors.Is(err, ErrBadVolume) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("bind %q = %v, want ErrBadVolume saying %q", tt.binds, err, tt.want)
			v.Close()
		}
	}
	// No data disk beside the artifact.
	if _, err := bindVolumes(m, filepath.Join(dir, "other.img"), []VolumeBinding{mustBind(t, src+":src")}, io.Discard); err == nil || !strings.Contains(err.Error(), "no data disk at") {
		t.Errorf("bind without a disk = %v", err)
	}
}
