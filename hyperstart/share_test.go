package hyperstart

import (
	"testing"

	"github.com/hyperbuild/hyper/contract"
)

func TestSharePlan(t *testing.T) {
	p := &contract.Pod{Volumes: []contract.Volume{
		{Name: "cache", Type: contract.VolumeTmpfs},
		{Name: "src", Type: contract.VolumeHost},
		{Name: "conf", Type: contract.VolumeHost, ReadOnly: true},
		{Name: "data", Type: contract.VolumeDisk},
	}}
	var got []string
	for _, s := range SharePlan(p) {
		got = append(got, s.String())
	}
	want := []string{
		"mount src on /run/hyper/volumes/src (9p) nosuid,nodev," + contract.ShareMountOptions,
		"mount conf on /run/hyper/volumes/conf (9p) ro,nosuid,nodev," + contract.ShareMountOptions,
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("SharePlan = %q\nwant %q", got, want)
	}
}

func TestCheckVolumesHost(t *testing.T) {
	p := testPod()
	p.Volumes[0].Type = contract.VolumeHost
	p.Volumes[0].ReadOnly = true
	if err := checkVolumes(p); err != nil {
		t.Errorf("host volume: %v", err)
	}
	for _, s := range PodPlan(p, "/dev/vda") {
		if m, ok := s.(Mount); ok && m.FSType == "tmpfs" && m.Source == "volume-"+p.Volumes[0].Name {
			t.Errorf("PodPlan mounts a tmpfs for host volume %q", p.Volumes[0].Name)
		}
	}
}
