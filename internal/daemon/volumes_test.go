package daemon

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/runner"
)

// TestVolumesToRunner: a create request's volumes reach the runner as
// bindings, and the runner's volume errors get their statuses: a disk
// another pod holds is a conflict (409), a binding that cannot be a bad
// request (400).
func TestVolumesToRunner(t *testing.T) {
	got := runnerVolumes([]api.Volume{{Target: "data", Source: "/d.ext4"}, {Target: "/src", Source: "/s", ReadOnly: true}})
	want := []runner.VolumeBinding{{Target: "data", Path: "/d.ext4"}, {Target: "/src", Path: "/s", ReadOnly: true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("runnerVolumes = %+v, want %+v", got, want)
	}
	for _, tt := range []struct {
		err  error
		want error
	}{
		{runner.ErrVolumeBusy, errConflict},
		{runner.ErrBadVolume, api.ErrBadRequest},
		{disk.ErrDataDisk, api.ErrBadRequest},
	} {
		if err := startError(fmt.Errorf("volume %q: %w", "data", tt.err)); !errors.Is(err, tt.want) {
			t.Errorf("startError(%v) = %v, want %v", tt.err, err, tt.want)
		}
	}
}
