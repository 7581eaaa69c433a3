package contract

import "testing"

func TestCheckVolume(t *testing.T) {
	good := []Volume{
		{Name: "t", Type: VolumeTmpfs},
		{Name: "t", Type: VolumeTmpfs, SizeBytes: 1 << 20},
		{Name: "data", Type: VolumeDisk, SizeBytes: 1 << 30},
		{Name: "data", Type: VolumeDisk, SizeBytes: MinDiskBytes, Seed: "/seed"},
		{Name: "src", Type: VolumeHost},
		{Name: "src", Type: VolumeHost, ReadOnly: true},
	}
	for _, v := range good {
		if err := CheckVolume(v); err != nil {
			t.Errorf("CheckVolume(%+v) = %v", v, err)
		}
	}
	bad := []Volume{
		{Name: "t", Type: "nfs"},
		{Name: "t", Type: VolumeTmpfs, Seed: "/s"},
		{Name: "t", Type: VolumeTmpfs, ReadOnly: true},
		{Name: "d", Type: VolumeDisk},
		{Name: "d", Type: VolumeDisk, SizeBytes: MinDiskBytes - DiskSizeUnit},
		{Name: "d", Type: VolumeDisk, SizeBytes: MaxDiskBytes + DiskSizeUnit},
		{Name: "d", Type: VolumeDisk, SizeBytes: MinDiskBytes + 1},
		{Name: "d", Type: VolumeDisk, SizeBytes: MinDiskBytes, Seed: "rel"},
		{Name: "d", Type: VolumeDisk, SizeBytes: MinDiskBytes, ReadOnly: true},
		{Name: "a-name-longer-than-20", Type: VolumeDisk, SizeBytes: MinDiskBytes},
		{Name: ArtifactSerial, Type: VolumeDisk, SizeBytes: MinDiskBytes},
		{Name: "h", Type: VolumeHost, SizeBytes: 1},
		{Name: "h", Type: VolumeHost, Seed: "/s"},
	}
	for _, v := range bad {
		if err := CheckVolume(v); err == nil {
			t.Errorf("CheckVolume(%+v) = nil, want an error", v)
		}
	}
}
